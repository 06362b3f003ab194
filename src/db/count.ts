import { type SelectQueryBuilder, sql } from 'kysely';
import type { Executor } from './database.ts';

/**
 * How many rows a search finds, counting no further than `cap` + 1: a list only needs to say
 * "mehr als 1.000 Treffer", and a broad search over a big reseller should not count them all.
 */
export async function countUpTo(db: Executor, query: SelectQueryBuilder<any, any, any>, cap: number): Promise<number> {
  const row = await db
    .selectFrom(query.select(sql`1`.as('one')).limit(cap + 1).as('hits'))
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
