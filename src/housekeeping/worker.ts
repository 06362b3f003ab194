import type { PgBoss } from 'pg-boss';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { removeExpiredRecords } from './cleanup.ts';

export const HOUSEKEEPING_QUEUE = 'housekeeping';
// Every ten minutes: expired sessions are refused by the store anyway, so this only keeps the
// tables small; pg-boss's cron runs it on one instance at a time, whatever the number of instances.
const EVERY_TEN_MINUTES = '*/10 * * * *';

export interface HousekeepingDeps {
  db: Db;
  clock: Clock;
  log: { info(details: object, message: string): void };
}

export async function startHousekeeping(boss: PgBoss, deps: HousekeepingDeps): Promise<void> {
  await boss.createQueue(HOUSEKEEPING_QUEUE, { retryLimit: 1, expireInSeconds: 600 });
  await boss.schedule(HOUSEKEEPING_QUEUE, EVERY_TEN_MINUTES);
  await boss.work(HOUSEKEEPING_QUEUE, async () => {
    const removed = await removeExpiredRecords(deps.db, deps.clock.now());
    deps.log.info({ removed }, 'Aufräumen erledigt');
  });
}
