import type { Executor } from '../db/database.ts';

// The estimate on the bulk-link progress page. The queue is shared (all runs, all instances, in
// the order queued), so the pace that counts is the portal's: mails accepted by the SMTP server
// in the last half minute, capped by MAIL_RATE_PER_MINUTE when set.

const PACE_WINDOW_MS = 30_000;

/** Mails per second the portal sent recently; null before the first one of the window. */
export async function measureMailPace(db: Executor, now: Date): Promise<number | null> {
  const since = new Date(now.getTime() - PACE_WINDOW_MS);
  const row = await db
    .selectFrom('mail_deliveries')
    .select((eb) => [eb.fn.countAll<number>().as('sent'), eb.fn.min('sent_at').as('first')])
    .where('state', '=', 'sent')
    .where('sent_at', '>', since)
    .executeTakeFirstOrThrow();
  const sent = Number(row.sent);
  if (sent === 0 || !row.first) return null;
  // Measured from the first mail of the window, so the first seconds of a run are not diluted.
  const seconds = Math.max(1, (now.getTime() - new Date(row.first).getTime()) / 1000);
  return sent / seconds;
}

/** Seconds until `waiting` mails are out at the current pace; null while it cannot be told yet. */
export async function estimateSecondsLeft(db: Executor, now: Date, waiting: number, ratePerMinute: number | null): Promise<number | null> {
  if (waiting === 0) return 0;
  const measured = await measureMailPace(db, now);
  const capped = ratePerMinute === null ? measured : Math.min(measured ?? Infinity, ratePerMinute / 60);
  if (capped === null || !Number.isFinite(capped) || capped <= 0) return null;
  return Math.ceil(waiting / capped);
}

export interface LinkProgressSummary {
  /** Accepted by the SMTP server (including links already used to set a password). */
  sent: number;
  /** Queued, not tried yet. */
  queued: number;
  /** Refused for now (4xx, no connection): tried again with backoff. */
  retrying: number;
  failed: number;
  total: number;
}

/** The three figures of the progress page from the per-state counts of the run's latest link mails. */
export function summariseLinkProgress(counts: Record<string, number>): LinkProgressSummary {
  const sent = (counts.sent ?? 0) + (counts.active ?? 0);
  const queued = counts.queued ?? 0;
  const retrying = counts.retrying ?? 0;
  const failed = counts.failed ?? 0;
  return { sent, queued, retrying, failed, total: sent + queued + retrying + failed };
}
