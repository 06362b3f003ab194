import { sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import type { Db, Tx } from '../db/database.ts';
import type { MailOutbox } from '../mail/outbox.ts';
import { issueSelfServiceLink, type LinkLifetimes } from './links.ts';

// "Passwort vergessen" must not tell by its timing whether an account exists (issue 12, finding
// 10: 8.5 ms against 3.2 ms). The request therefore does one thing whatever was typed: it queues
// one job with what was typed. Looking the account up and issuing the link happen in the job,
// after the answer has gone out.

export const FORGOT_QUEUE = 'password-forgot';

/** What the job carries: what the person typed (a login or an address, never a secret), when and from where. */
export interface ForgotJob {
  identifier: string;
  at: string;
  ip: string | null;
}

export async function createForgotQueue(boss: PgBoss): Promise<void> {
  const options = {
    retryLimit: 3,
    retryDelay: 5,
    expireInSeconds: 60,
    // The typed login or address need not stay in the queue's tables for the default week.
    deleteAfterSeconds: 3600,
    notify: true,
  };
  await boss.createQueue(FORGOT_QUEUE, options);
  await boss.updateQueue(FORGOT_QUEUE, options);
}

/** The request's whole work, the same for every input: one job. */
export async function queueForgotRequest(boss: PgBoss, request: { identifier: string; at: Date; ip: string | null }): Promise<void> {
  const job: ForgotJob = { identifier: request.identifier, at: request.at.toISOString(), ip: request.ip };
  await boss.send(FORGOT_QUEUE, job);
}

export interface ForgotWorkerDeps {
  db: Db;
  outbox: MailOutbox;
  lifetimes: LinkLifetimes;
}

export async function startForgotWorker(boss: PgBoss, deps: ForgotWorkerDeps, settings: { pollingSeconds: number }): Promise<string> {
  return boss.work<ForgotJob>(FORGOT_QUEUE, { batchSize: 1, notifyPollingIntervalSeconds: settings.pollingSeconds, pollingIntervalSeconds: settings.pollingSeconds }, async ([job]) => {
    if (!job) return;
    const { identifier, at, ip } = job.data;
    await deps.db.transaction().execute((trx) => requestLinkByIdentifier(trx, deps.outbox, deps.lifetimes, { identifier, at: new Date(at), ip }));
  });
}

/**
 * Finds an active account by login, or by e-mail when exactly one active account has it, and
 * issues a link. The caller answers the same whatever happens here.
 */
export async function requestLinkByIdentifier(
  trx: Tx,
  outbox: MailOutbox,
  lifetimes: LinkLifetimes,
  request: { identifier: string; at: Date; ip?: string | null },
): Promise<boolean> {
  const folded = request.identifier.toLocaleLowerCase('de-DE');
  const matches = await trx
    .selectFrom('accounts')
    .select(['id', 'reseller_id', 'tenant_id'])
    .where('status', '=', 'active')
    .where((eb) => eb.or([eb(sql`lower(login)`, '=', folded), eb(sql`lower(email)`, '=', folded)]))
    .limit(2)
    .execute();
  const account = matches.length === 1 ? matches[0] : undefined;
  if (!account) return false;
  return issueSelfServiceLink(trx, outbox, lifetimes, account, 'forgot-password', request);
}
