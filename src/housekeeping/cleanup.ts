import { removeExpiredSessions } from '../auth/session-store.ts';
import { forgetOldKnownAddresses, forgetQuietThrottleEntries } from '../auth/throttle.ts';
import type { Db } from '../db/database.ts';
import { expireImportPreviews } from '../imports/runs.ts';
import { sweepExpiredCounters } from '../ops/rate-limit-store.ts';
import { removeOldSubmissions } from '../web/once.ts';

// Rows that only lose their meaning with time. Nothing here removes what a person could still
// use: each limit is the one the feature itself enforces, or longer. Each capability owns its
// own query; this only runs them.

export interface HousekeepingResult {
  sessions: number;
  throttleEntries: number;
  formSubmissions: number;
  expiredImports: number;
  knownAddresses: number;
  rateLimitCounters: number;
}

export async function removeExpiredRecords(db: Db, now: Date): Promise<HousekeepingResult> {
  return {
    sessions: await removeExpiredSessions(db, now),
    throttleEntries: await forgetQuietThrottleEntries(db, now),
    formSubmissions: await removeOldSubmissions(db, now),
    expiredImports: await db.transaction().execute((trx) => expireImportPreviews(trx, now)),
    knownAddresses: await forgetOldKnownAddresses(db, now),
    // Windows end by the database's clock (every instance's counters use it), not by `now`.
    rateLimitCounters: await sweepExpiredCounters(db),
  };
}
