import { sql } from 'kysely';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp, createViews } from '../../src/app.ts';
import { MovableClock } from '../../src/clock.ts';
import { openDatabase } from '../../src/db/database.ts';
import type { Db } from '../../src/db/database.ts';
import type { DeliveryState } from '../../src/db/types.ts';
import { createMailRenderer } from '../../src/mail/templates.ts';
import { createSmtpTransport } from '../../src/mail/transport.ts';
import { createRateLimiter } from '../../src/mail/rate-limit.ts';
import { startMailWorker } from '../../src/mail/worker.ts';
import { issuePasswordLink, type IssuedLink } from '../../src/passwords/links.ts';
import type { TestApp } from '../helpers/app.ts';
import { freePort } from '../helpers/server-process.ts';
import type { ReceivedMail } from '../helpers/smtp-peer.ts';
import { waitFor } from '../helpers/wait.ts';

export { freePort, waitFor };

// Shared by the mail tests: bounded waiting, reading the queue's rows, issuing links the way
// the portal does, and a worker started by hand for apps built with startWorker: false.

interface Teardown {
  teardown(fn: () => unknown): void;
}


export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Issues a link in its own transaction, as a route does, with the configured lifetimes. */
export function issueLink(testApp: TestApp, accountId: string): Promise<IssuedLink> {
  const { app, clock, config } = testApp;
  const lifetimes = { invitationHours: config.invitationLinkHours, resetHours: config.resetLinkHours };
  return app.db.transaction().execute((trx) => issuePasswordLink(trx, app.outbox, lifetimes, { accountId, actorId: null, at: clock.now() }));
}

export interface DeliveryRow {
  id: string;
  state: DeliveryState;
  attempts: number;
  last_error: string | null;
  sent_at: Date | null;
  link_id: string | null;
}

export function deliveriesOf(db: Db, accountId: string): Promise<DeliveryRow[]> {
  return db
    .selectFrom('mail_deliveries')
    .select(['id', 'state', 'attempts', 'last_error', 'sent_at', 'link_id'])
    .where('account_id', '=', accountId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function deliveryById(db: Db, id: string): Promise<DeliveryRow> {
  return db.selectFrom('mail_deliveries').select(['id', 'state', 'attempts', 'last_error', 'sent_at', 'link_id']).where('id', '=', id).executeTakeFirstOrThrow();
}

/** Waits until the delivery is in one of the given states and returns its row. */
export function waitForDeliveryState(db: Db, id: string, states: DeliveryState[], timeoutMs = 30_000): Promise<DeliveryRow> {
  return waitFor(`delivery ${id} in state ${states.join('/')}`, async () => {
    const row = await deliveryById(db, id);
    return states.includes(row.state) ? row : undefined;
  }, timeoutMs);
}

export interface QueueJob {
  id: string;
  state: string;
  data: unknown;
  retry_count: number;
  retry_limit: number;
  retry_delay: number;
  retry_backoff: boolean;
  /** The whole row as JSON text, to search for anything that must not be there. */
  row_text: string;
}

/** pg-boss's rows for the mail queue, straight from its table. */
export async function mailJobs(db: Db): Promise<QueueJob[]> {
  const result = await sql<QueueJob>`
    select id, state, data, retry_count, retry_limit, retry_delay, retry_backoff, to_jsonb(j)::text as row_text
    from pgboss.job j where name = 'mail' order by created_on, id`.execute(db);
  return result.rows;
}

export async function jobForDelivery(db: Db, deliveryId: string): Promise<QueueJob | undefined> {
  return (await mailJobs(db)).find((job) => (job.data as { deliveryId?: string } | null)?.deliveryId === deliveryId);
}

export function mailsTo(received: ReceivedMail[], address: string): ReceivedMail[] {
  return received.filter((mail) => mail.to.includes(address));
}

export async function auditActions(db: Db, accountId: string): Promise<string[]> {
  const rows = await db.selectFrom('audit_events').select('action').where('subject_account_id', '=', accountId).orderBy('id').execute();
  return rows.map((r) => r.action);
}

/**
 * The app's own mail worker for an app built with startWorker: false, so a test can queue
 * several mails before anything is sent. Same code as buildApp uses, talking to the test's peer.
 */
export async function startWorkerLater(t: Teardown, testApp: TestApp): Promise<void> {
  const { app, config, clock } = testApp;
  const transport = createSmtpTransport(testApp.smtp.url, config.mailFrom, { maxConnections: config.smtpMaxConnections, timeoutSeconds: config.smtpTimeoutSeconds });
  const renderer = createMailRenderer(createViews(false), config.supportEmail);
  const limiter = createRateLimiter(app.db, config.mailRatePerMinute);
  await startMailWorker(
    app.boss,
    { db: app.db, clock, transport, renderer, baseUrl: config.baseUrl, log: app.log, limiter },
    { pollingSeconds: config.mailPollingSeconds, maxConnections: config.smtpMaxConnections, ratePerMinute: config.mailRatePerMinute },
  );
  // Teardowns run last-in first-out: this one runs before the app (and its queue) closes.
  t.teardown(async () => {
    await app.boss.offWork('mail', { wait: true });
    limiter.close();
    transport.close();
  });
}


/** A plain SMTP peer on a given port (the shared helper picks its own port). */
export async function startSmtpPeerOn(port: number): Promise<{ received: ReceivedMail[]; close(): Promise<void> }> {
  const received: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then((parsed) => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), subject: parsed.subject ?? '', text: parsed.text ?? '', html: typeof parsed.html === 'string' ? parsed.html : '', raw: '' });
        callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return { received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/**
 * A second portal instance beside `one`: its own app, pool, queue and worker, on the same
 * PostgreSQL database and SMTP peer. Its log lines are collected in `logs`.
 */
export async function startSecondInstance(t: Teardown, one: TestApp): Promise<{ app: FastifyInstance; logs: string[] }> {
  const handle = await openDatabase({ databaseUrl: one.database.connectionString, pgliteDir: null });
  const logs: string[] = [];
  const app = await buildApp({
    config: one.config,
    database: handle,
    clock: new MovableClock(),
    logStream: new Writable({ write: (chunk, _encoding, done) => (logs.push(chunk.toString()), done()) }),
    housekeeping: false,
  });
  t.teardown(async () => {
    await app.close();
    await handle.close();
  });
  return { app, logs };
}
