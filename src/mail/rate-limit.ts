import { sql } from 'kysely';
import type { Db } from '../db/database.ts';

// MAIL_RATE_PER_MINUTE holds for all instances together, so the budget lives in PostgreSQL: the
// minute is cut into short windows (a cap of 600 per minute becomes 10 per second, so a relay
// never sees a minute's worth in one burst), and each instance claims its sends from the current
// window's row with one atomic upsert. The clock is the database's, the same for every instance.

export interface RateWindows {
  /** Length of one window in milliseconds. */
  windowMs: number;
  /** Mails allowed in one window, for all instances together. */
  perWindow: number;
}

/** The shortest windows that keep a whole number of mails each and never exceed the cap. */
export function planRateWindows(perMinute: number): RateWindows {
  const perWindow = Math.max(1, Math.floor(perMinute / 60));
  return { perWindow, windowMs: Math.ceil((60_000 * perWindow) / perMinute) };
}

export interface MailRateLimiter {
  /** Resolves when this instance may hand one more mail to the SMTP server. */
  take(): Promise<void>;
  /** Rejects whoever still waits (the worker is stopping). */
  close(): void;
}

export const unlimited: MailRateLimiter = { take: async () => {}, close: () => {} };

const KEEP_WINDOWS_MS = 10 * 60_000;
const CLEANUP_EVERY_MS = 60_000;

/**
 * Takes up to `wish` mails from the current window; says how many it got and when the next window
 * starts. A window's budget is handed out only in its first half: a mail claimed late (or slowed by
 * opening a connection) could otherwise be accepted in the next window, on top of that window's
 * full budget. Claims are made at the window's start anyway, so throughput loses nothing.
 */
export async function claimRateBudget(db: Db, windows: RateWindows, wish: number): Promise<{ granted: number; nextWindowInMs: number }> {
  const { windowMs, perWindow } = windows;
  const lastGrantAt = Math.floor(windowMs / 2);
  const result = await sql<{ granted: number; next_window_in_ms: number }>`
    with clock as (select floor(extract(epoch from clock_timestamp()) * 1000)::bigint as ms),
    ask as (
      select ms, ms / ${windowMs}::bigint as window_no,
             case when ms % ${windowMs}::bigint > ${lastGrantAt}::bigint then 0 else least(${wish}::int, ${perWindow}::int) end as wish
      from clock)
    insert into mail_rate_windows as w (window_no, claimed, last_grant)
    select window_no, wish, wish from ask
    on conflict (window_no) do update
      set claimed = least(${perWindow}::int, w.claimed + excluded.claimed),
          last_grant = least(${perWindow}::int, w.claimed + excluded.claimed) - w.claimed
    returning w.last_grant as granted, ((w.window_no + 1) * ${windowMs}::bigint - (select ms from ask))::int as next_window_in_ms`.execute(db);
  const row = result.rows[0]!;
  return { granted: Number(row.granted), nextWindowInMs: Math.max(0, Number(row.next_window_in_ms)) };
}

async function deleteOldWindows(db: Db, windows: RateWindows): Promise<void> {
  await sql`delete from mail_rate_windows
    where window_no < floor(extract(epoch from clock_timestamp()) * 1000)::bigint / ${windows.windowMs}::bigint - ${Math.ceil(KEEP_WINDOWS_MS / windows.windowMs)}::bigint`.execute(db);
}

/**
 * One claim at a time per instance, for as many waiting sends as the window may still allow;
 * whoever is left waits for the next window. Waiters are served in order.
 */
export function createRateLimiter(db: Db, perMinute: number | null): MailRateLimiter {
  if (perMinute === null) return unlimited;
  const windows = planRateWindows(perMinute);
  const waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];
  let pumping = false;
  let closed = false;
  let lastCleanup = 0;
  let timer: NodeJS.Timeout | null = null;
  let wakeSleeper: (() => void) | null = null;

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      wakeSleeper = resolve;
      timer = setTimeout(resolve, ms);
    });

  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      while (waiting.length > 0 && !closed) {
        const wish = Math.min(waiting.length, windows.perWindow);
        let claim: { granted: number; nextWindowInMs: number };
        try {
          claim = await claimRateBudget(db, windows, wish);
        } catch (error) {
          // The database is away: the sends waiting now fail (their jobs are retried later).
          for (const waiter of waiting.splice(0)) waiter.reject(error as Error);
          break;
        }
        for (const waiter of waiting.splice(0, claim.granted)) waiter.resolve();
        if (Date.now() - lastCleanup > CLEANUP_EVERY_MS) {
          lastCleanup = Date.now();
          await deleteOldWindows(db, windows).catch(() => {});
        }
        // A few milliseconds into the next window, so that a claim never lands in the old one.
        if (waiting.length > 0 && claim.granted < wish) await pause(claim.nextWindowInMs + 2);
      }
    } finally {
      pumping = false;
    }
  }

  return {
    take() {
      if (closed) return Promise.reject(new Error('Der Mailversand wird beendet.'));
      return new Promise<void>((resolve, reject) => {
        waiting.push({ resolve, reject });
        void pump();
      });
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      wakeSleeper?.();
      for (const waiter of waiting.splice(0)) waiter.reject(new Error('Der Mailversand wird beendet.'));
    },
  };
}
