import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

// @fastify/rate-limit's counters in PostgreSQL instead of each process's memory, so a limit
// holds for the deployment: two instances behind a load balancer allow 5 per minute together,
// not 5 each. One upsert per limited request; the window's end is the database's clock, the
// same for every instance. Expired rows are reused by the next request of their key and swept
// now and then by whichever instance comes by.

type IncrCallback = (error: Error | null, result?: { current: number; ttl: number }) => void;

interface RouteParams {
  routeInfo?: { method?: string | string[]; url?: string };
}

const SWEEP_EVERY_MS = 5 * 60_000;

export interface RateLimitStoreClass {
  new (params: RouteParams): {
    incr(key: string, callback: IncrCallback, timeWindow: number, max: number): void;
    child(params: RouteParams): unknown;
  };
}

/** A store class for @fastify/rate-limit's `store` option, bound to the portal's database. */
export function createPostgresRateLimitStore(db: Db): RateLimitStoreClass {
  let lastSweep = Date.now();

  class PostgresRateLimitStore {
    readonly #prefix: string;

    constructor(params: RouteParams) {
      // Each route counts on its own, as the in-memory store does (one store per route).
      const info = params.routeInfo;
      const method = Array.isArray(info?.method) ? info.method.join(',') : (info?.method ?? '');
      this.#prefix = info?.url ? `${method} ${info.url}|` : 'global|';
    }

    incr(key: string, callback: IncrCallback, timeWindow: number): void {
      countHit(db, this.#prefix + key, timeWindow).then(
        (result) => callback(null, result),
        (error: Error) => callback(error),
      );
      if (Date.now() - lastSweep > SWEEP_EVERY_MS) {
        lastSweep = Date.now();
        void sweepExpiredCounters(db).catch(() => {});
      }
    }

    child(params: RouteParams): PostgresRateLimitStore {
      return new PostgresRateLimitStore(params);
    }
  }
  return PostgresRateLimitStore;
}

/** Counts one request of a key; a window that has ended starts again at one. */
export async function countHit(db: Db, key: string, windowMs: number): Promise<{ current: number; ttl: number }> {
  const window = sql`(${sql.lit(Math.max(1, Math.round(windowMs)))} * interval '1 millisecond')`;
  const { rows } = await sql<{ hits: number; ttl_ms: number }>`
    insert into rate_limit_counters as c (key, hits, resets_at)
    values (${key}, 1, clock_timestamp() + ${window})
    on conflict (key) do update set
      hits = case when c.resets_at <= clock_timestamp() then 1 else c.hits + 1 end,
      resets_at = case when c.resets_at <= clock_timestamp() then clock_timestamp() + ${window} else c.resets_at end
    returning c.hits, greatest(0, extract(epoch from (c.resets_at - clock_timestamp())) * 1000)::float8 as ttl_ms`.execute(db);
  const row = rows[0]!;
  return { current: Number(row.hits), ttl: Math.ceil(Number(row.ttl_ms)) };
}

export async function sweepExpiredCounters(db: Db): Promise<number> {
  const result = await db.deleteFrom('rate_limit_counters').where('resets_at', '<', sql<Date>`clock_timestamp()`).executeTakeFirst();
  return Number(result.numDeletedRows);
}
