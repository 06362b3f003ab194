import { type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';
import type { Executor } from './database.ts';

// A list only needs to say "mehr als 1.000 Treffer", and a broad search over a big reseller should
// not count them all: searches are counted no further than `cap` + 1.

function cappedHits(query: SelectQueryBuilder<any, any, any>, cap: number) {
  return query.clearSelect().clearOrderBy().select(sql`1`.as('one')).limit(cap + 1);
}

/**
 * The capped count as a column of the page's own statement, so that a search page is one round
 * trip (PostgreSQL evaluates the uncorrelated subquery once, not per row).
 */
export function countUpToColumn(query: SelectQueryBuilder<any, any, any>, cap: number): RawBuilder<number> {
  return sql<number>`(select count(*) from ${cappedHits(query, cap)} as hits)`;
}

/** The capped count on its own: for a page that came back empty, which carries no count. */
export async function countUpTo(db: Executor, query: SelectQueryBuilder<any, any, any>, cap: number): Promise<number> {
  const row = await db.selectFrom(cappedHits(query, cap).as('hits')).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}
