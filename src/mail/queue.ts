import { fromPglite, PgBoss } from 'pg-boss';
import type { DatabaseHandle } from '../db/database.ts';
import { MAIL_QUEUE } from './outbox.ts';

export interface QueueLog {
  error(details: { err: unknown }, message: string): void;
  warn?(details: { warning: unknown }, message: string): void;
}

/** pg-boss's smallest heartbeat; a dead worker's batch is given up after this plus SUPERVISE_SECONDS. */
export const HEARTBEAT_SECONDS = 10;
const SUPERVISE_SECONDS = 5;

export interface QueueSettings {
  retryLimit: number;
  retryDelaySeconds: number;
}

/**
 * pg-boss keeps the queue in Postgres, so jobs survive restarts and are shared by every
 * instance. On PGlite it goes through pg-boss's PGlite adapter: PGlite runs one statement at a
 * time and waits for an open transaction to finish, so pg-boss cannot slip into one of ours;
 * jobs queued from inside our transactions use that transaction (see outbox.ts). LISTEN/NOTIFY
 * works on both: PostgreSQL delivers a notification only when the transaction that sent it commits.
 */
export async function startJobQueue(handle: DatabaseHandle, settings: QueueSettings, log: QueueLog): Promise<PgBoss> {
  // A job whose worker died (killed, machine gone) stops sending heartbeats; the supervisor looks
  // every few seconds, so such a mail is retried within seconds instead of after expireInSeconds.
  const supervision = { superviseIntervalSeconds: SUPERVISE_SECONDS, monitorIntervalSeconds: SUPERVISE_SECONDS };
  const boss = handle.pglite
    ? new PgBoss({ db: fromPglite(handle.pglite), backend: 'pglite', useListenNotify: true, ...supervision })
    : new PgBoss({ connectionString: handle.connectionString ?? undefined, max: 4, application_name: 'agileas-portal-queue', useListenNotify: true, ...supervision });
  boss.on('error', (error) => log.error({ err: error }, 'Job-Queue-Fehler'));
  // E.g. "LISTEN/NOTIFY unavailable": the mail worker then relies on MAIL_POLLING_SECONDS alone.
  boss.on('warning', (warning) => log.warn?.({ warning }, 'Job-Queue-Warnung'));
  await boss.start();
  const options = {
    retryLimit: settings.retryLimit,
    retryDelay: settings.retryDelaySeconds,
    retryBackoff: true,
    retryDelayMax: 3600,
    // A batch that hangs longer than this is treated as failed and retried.
    expireInSeconds: 300,
    // The worker's pg-boss refreshes this while it works on a batch (pg-boss's minimum).
    heartbeatSeconds: HEARTBEAT_SECONDS,
    // A job queued here sends a NOTIFY with the commit that queues it: every instance's mail
    // worker fetches at once instead of at its next poll (the 2-second promise for one link).
    notify: true,
  };
  await boss.createQueue(MAIL_QUEUE, options);
  // createQueue leaves an existing queue as it is: bring its settings up to date.
  await boss.updateQueue(MAIL_QUEUE, options);
  return boss;
}
