import type { FastifyBaseLogger } from 'fastify';
import { sql } from 'kysely';
import type { JobResult, JobWithMetadata, PgBoss } from 'pg-boss';
import { recordAuditEvents, type AuditEvent } from '../audit/audit.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import type { MailKind, Role } from '../db/types.ts';
import { buildLinkUrl } from '../passwords/links.ts';
import { generateToken, hashToken } from '../tokens.ts';
import { MAIL_QUEUE, type MailJob } from './outbox.ts';
import { unlimited, type MailRateLimiter } from './rate-limit.ts';
import type { MailRenderer } from './templates.ts';
import { describeMailError, isPermanentMailError, type MailTransport, type OutgoingMail } from './transport.ts';

export interface MailWorkerDeps {
  db: Db;
  clock: Clock;
  transport: MailTransport;
  renderer: MailRenderer;
  baseUrl: URL;
  log: FastifyBaseLogger;
  /** MAIL_RATE_PER_MINUTE, shared by all instances; unlimited when not set. */
  limiter?: MailRateLimiter;
}

export interface MailWorkerSettings {
  /** MAIL_POLLING_SECONDS: the safety-net poll while LISTEN/NOTIFY wakes the worker. */
  pollingSeconds: number;
  /** SMTP_MAX_CONNECTIONS: sizes the batches so that every connection has work. */
  maxConnections: number;
  /** MAIL_RATE_PER_MINUTE: with a cap, batches hold no more than a few seconds' budget. */
  ratePerMinute: number | null;
}

/** One job of a batch, as pg-boss hands it over. */
export interface MailAttempt {
  jobId: string;
  deliveryId: string;
  retryCount: number;
  retryLimit: number;
}

interface DeliveryRow {
  id: string;
  kind: MailKind;
  state: string;
  link_id: string | null;
  attempts: number;
  account_id: string;
  login: string;
  first_name: string;
  last_name: string;
  email: string;
  status: string;
  role: Role;
  reseller_id: string | null;
  tenant_id: string | null;
  expires_at: Date | null;
  link_created_at: Date | null;
}

interface ReadyMail {
  attempt: MailAttempt;
  delivery: DeliveryRow;
  mail: OutgoingMail;
}

const DONE_STATES = new Set(['sent', 'dropped', 'failed']);

async function loadDeliveries(db: Db, ids: string[]): Promise<Map<string, DeliveryRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('mail_deliveries as d')
    .innerJoin('accounts as a', 'a.id', 'd.account_id')
    .leftJoin('password_links as l', 'l.id', 'd.link_id')
    .select(['d.id', 'd.kind', 'd.state', 'd.link_id', 'd.attempts', 'a.id as account_id', 'a.login', 'a.first_name', 'a.last_name', 'a.email', 'a.status', 'a.role', 'a.reseller_id', 'a.tenant_id'])
    .select(['l.expires_at', 'l.created_at as link_created_at'])
    .where('d.id', 'in', ids)
    .execute();
  return new Map(rows.map((row) => [row.id, row]));
}

/**
 * Stores the hash of a fresh token on every link that is still live, in one statement, and
 * returns the tokens of those links. A link revoked, used or expired meanwhile gets none.
 *
 * A link that has a token already was minted by an earlier attempt of this mail: a worker that
 * died (or lost its database) after the SMTP server took the mail. That mail may be in the
 * person's inbox, so its token stays valid beside the new one until either is used.
 */
async function mintTokens(db: Db, linkIds: string[], now: Date): Promise<Map<string, string>> {
  if (linkIds.length === 0) return new Map();
  const tokens = new Map(linkIds.map((id) => [id, generateToken()]));
  const values = sql.join([...tokens].map(([id, token]) => sql`(${id}::uuid, ${hashToken(token)})`));
  const minted = await sql<{ id: string }>`
    update password_links as l set previous_token_hash = l.token_hash, token_hash = v.hash
    from (values ${values}) as v(id, hash)
    where l.id = v.id and l.used_at is null and l.revoked_at is null and l.expires_at > ${now}
    returning l.id`.execute(db);
  const live = new Map<string, string>();
  for (const { id } of minted.rows) live.set(id, tokens.get(id)!);
  return live;
}

async function markDropped(db: Db, ids: string[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('mail_deliveries').set({ state: 'dropped', updated_at: at }).where('id', 'in', ids).where('state', 'in', ['queued', 'retrying']).execute();
}

/** Many accepted mails in one transaction: two statements, however many mails. */
async function markSent(db: Db, sent: ReadyMail[], at: Date): Promise<void> {
  const events: AuditEvent[] = sent
    .filter(({ delivery }) => delivery.link_id)
    .map(({ delivery }) => ({
      action: 'link.sent',
      at,
      subjectId: delivery.account_id,
      resellerId: delivery.reseller_id,
      tenantId: delivery.tenant_id,
      details: { kind: delivery.kind, deliveryId: delivery.id },
    }));
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('mail_deliveries')
      .set({ state: 'sent', attempts: sql`attempts + 1`, last_error: null, sent_at: at, updated_at: at })
      .where('id', 'in', sent.map(({ delivery }) => delivery.id))
      .execute();
    await recordAuditEvents(trx, events);
  });
}

type FailedState = 'retrying' | 'failed';

async function markFailed(db: Db, failed: { ready: ReadyMail; state: FailedState; error: unknown }[], at: Date): Promise<void> {
  await db.transaction().execute(async (trx) => {
    for (const { ready, state, error } of failed) {
      await trx
        .updateTable('mail_deliveries')
        .set({ state, attempts: sql`attempts + 1`, last_error: describeMailError(error), updated_at: at })
        .where('id', '=', ready.delivery.id)
        .execute();
    }
    await recordAuditEvents(
      trx,
      failed
        .filter(({ state }) => state === 'failed')
        .map(({ ready: { delivery }, error }) => ({
          action: delivery.link_id ? 'link.delivery_failed' : 'mail.delivery_failed',
          at,
          subjectId: delivery.account_id,
          resellerId: delivery.reseller_id,
          tenantId: delivery.tenant_id,
          details: { kind: delivery.kind, deliveryId: delivery.id, permanent: isPermanentMailError(error), attempts: delivery.attempts + 1 },
        })),
    );
  });
}

/**
 * Writes "sent" for accepted mails while the batch is still sending: whatever was accepted during
 * one write goes into the next, so a busy batch needs few statements and a lone mail shows as
 * sent at once. A failed write is kept and retried by `finish`, which throws if it still fails.
 */
function createSentRecorder(db: Db, clock: Clock) {
  const pending: ReadyMail[] = [];
  let writing: Promise<void> | null = null;
  let lastError: unknown = null;
  const write = async () => {
    while (pending.length > 0) {
      const chunk = pending.splice(0, 1000);
      try {
        await markSent(db, chunk, clock.now());
      } catch (error) {
        lastError = error;
        pending.unshift(...chunk);
        return;
      }
    }
  };
  const start = () => {
    writing ??= write().finally(() => {
      writing = null;
    });
  };
  return {
    add(ready: ReadyMail) {
      pending.push(ready);
      if (lastError === null) start();
    },
    async finish(): Promise<void> {
      await writing;
      if (pending.length === 0) return;
      lastError = null;
      start();
      await writing;
      if (lastError !== null) throw lastError;
    },
  };
}

/**
 * Sends one batch of queued mails, each on its own: one that is refused or stalls does not keep
 * the others from going out, and pg-boss settles each job with its own result (a retry with
 * backoff for a 4xx or a connection error; done for a sent, dropped or finally failed mail).
 *
 * For a link mail the token is minted here, at the last moment, and only its hash is stored, and
 * only if the link is still the account's live one: a link revoked or used while the mail waited
 * is dropped instead of sent. The database work is done for the whole batch at once.
 */
export async function deliverMails(deps: MailWorkerDeps, attempts: MailAttempt[]): Promise<JobResult[]> {
  const { db, clock, log } = deps;
  const limiter = deps.limiter ?? unlimited;
  const results: JobResult[] = [];
  const deliveries = await loadDeliveries(db, [...new Set(attempts.map((a) => a.deliveryId))]);

  const now = clock.now();
  const toSend: { attempt: MailAttempt; delivery: DeliveryRow }[] = [];
  const dropped: string[] = [];
  const seen = new Set<string>();
  for (const attempt of attempts) {
    const delivery = deliveries.get(attempt.deliveryId);
    // Gone (account deleted), already handled, or twice in this batch: nothing to send.
    if (!delivery || DONE_STATES.has(delivery.state) || seen.has(delivery.id)) {
      results.push({ id: attempt.jobId, status: 'completed' });
      continue;
    }
    seen.add(delivery.id);
    if (delivery.link_id && delivery.status !== 'active') {
      dropped.push(delivery.id);
      results.push({ id: attempt.jobId, status: 'completed' });
      continue;
    }
    toSend.push({ attempt, delivery });
  }

  const tokens = await mintTokens(db, toSend.flatMap(({ delivery }) => (delivery.link_id ? [delivery.link_id] : [])), now);
  const ready: ReadyMail[] = [];
  for (const { attempt, delivery } of toSend) {
    const token = delivery.link_id ? tokens.get(delivery.link_id) : undefined;
    if (delivery.link_id && !token) {
      dropped.push(delivery.id);
      results.push({ id: attempt.jobId, status: 'completed' });
      continue;
    }
    const mail = deps.renderer.render({
      kind: delivery.kind,
      role: delivery.role,
      to: delivery.email,
      login: delivery.login,
      firstName: delivery.first_name,
      lastName: delivery.last_name,
      linkUrl: token ? buildLinkUrl(deps.baseUrl, token) : undefined,
      linkHours: delivery.expires_at && delivery.link_created_at ? Math.round((delivery.expires_at.getTime() - delivery.link_created_at.getTime()) / 3_600_000) : undefined,
      expiresAt: delivery.expires_at ?? undefined,
      changedAt: now,
    });
    ready.push({ attempt, delivery, mail });
  }
  await markDropped(db, dropped, now);

  // Every mail of the batch is handed to the pool at once; the pool keeps SMTP_MAX_CONNECTIONS
  // conversations busy, and a stalled one holds only its own mail (until the send timeout).
  const recorder = createSentRecorder(db, clock);
  const failed: { ready: ReadyMail; state: FailedState; error: unknown }[] = [];
  await Promise.all(
    ready.map(async (item) => {
      try {
        await limiter.take();
        await deps.transport.send(item.mail);
      } catch (error) {
        const permanent = isPermanentMailError(error);
        const lastAttempt = item.attempt.retryCount >= item.attempt.retryLimit;
        failed.push({ ready: item, state: permanent || lastAttempt ? 'failed' : 'retrying', error });
        return;
      }
      recorder.add(item);
      log.info({ deliveryId: item.delivery.id, kind: item.delivery.kind }, 'Mail versendet');
    }),
  );
  // Accepted mails whose "sent" cannot be written make this throw: pg-boss then retries the whole
  // batch, and the worker sends those again (with a new token) — the one window the issue allows.
  // Written first, so that a failure below does not cost them their record.
  await recorder.finish();
  if (failed.length > 0) await markFailed(db, failed, clock.now());

  for (const { ready: item, state, error } of failed) {
    log.warn({ deliveryId: item.delivery.id, kind: item.delivery.kind, state, error: describeMailError(error) }, 'Mailversand fehlgeschlagen');
    results.push(state === 'retrying' ? { id: item.attempt.jobId, status: 'failed', output: { error: describeMailError(error) } } : { id: item.attempt.jobId, status: 'completed' });
  }
  const failedIds = new Set(failed.map(({ ready: item }) => item.attempt.jobId));
  for (const item of ready) if (!failedIds.has(item.attempt.jobId)) results.push({ id: item.attempt.jobId, status: 'completed' });
  return results;
}

/**
 * Batch size: ten mails per connection (measured: as fast as twenty, with half the mails held in
 * memory and by a stalled batch). With a rate cap, about two seconds of the
 * budget: a batch then never waits long enough for its jobs to expire, and the instances share.
 */
export function mailBatchSize(settings: MailWorkerSettings): number {
  const full = Math.min(200, settings.maxConnections * 10);
  if (settings.ratePerMinute === null) return full;
  return Math.max(1, Math.min(full, Math.floor(settings.ratePerMinute / 30)));
}

/**
 * Batches in flight at once. A batch waits for its slowest mail and does its database work
 * before and after sending; with several batches overlapping, the pool always has mails to send
 * (measured on 2 cores with 5 connections: 2 batches ~250/s, 8 batches ~500-650/s).
 */
export function mailBatchesInFlight(settings: MailWorkerSettings): number {
  return Math.max(2, Math.min(16, Math.ceil(settings.maxConnections * 1.6)));
}

/**
 * The mail worker. Queued mail wakes it right after the commit that queued it (pg-boss's
 * LISTEN/NOTIFY on the mail queue, across all instances); otherwise it polls only every
 * MAIL_POLLING_SECONDS, as a safety net for retries that come due. While batches come back full
 * it fetches the next one at once; several batches overlap so the pool never runs dry between them.
 */
export async function startMailWorker(boss: PgBoss, deps: MailWorkerDeps, settings: MailWorkerSettings): Promise<string> {
  const batchSize = mailBatchSize(settings);
  return boss.work(
    MAIL_QUEUE,
    {
      batchSize,
      localConcurrency: settings.ratePerMinute === null ? mailBatchesInFlight(settings) : 1,
      includeMetadata: true,
      perJobResults: true,
      burstWhenBatchFull: true,
      // Without LISTEN/NOTIFY (e.g. behind a transaction-pooling PgBouncer) pg-boss warns in the
      // log and polling is all there is: then MAIL_POLLING_SECONDS=1 keeps the 2-second promise.
      notifyPollingIntervalSeconds: settings.pollingSeconds,
      pollingIntervalSeconds: settings.pollingSeconds,
    },
    (jobs: JobWithMetadata<MailJob>[]) =>
      deliverMails(
        deps,
        jobs.map((job) => ({ jobId: job.id, deliveryId: job.data.deliveryId, retryCount: job.retryCount, retryLimit: job.retryLimit })),
      ),
  );
}
