import { sql } from 'kysely';
import type { Db } from '../../src/db/database.ts';
import { waitFor } from './wait.ts';

/** Jobs of a queue not yet finished (created, retry or active), read from pg-boss's own table. */
export async function openJobs(db: Db, queue: string): Promise<number> {
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pgboss.job where name = ${queue} and state in ('created', 'retry', 'active')`.execute(db);
  return rows[0]!.n;
}

/** Waits until the worker has finished every job of the queue (background work, not a timing assertion). */
export async function waitForQueueDrained(db: Db, queue: string): Promise<void> {
  await waitFor(`the ${queue} jobs to finish`, async () => (await openJobs(db, queue)) === 0);
}
