import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyFormbody from '@fastify/formbody';
import fastifyStatic from '@fastify/static';
import fastifyView from '@fastify/view';
import { Eta } from 'eta';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { accountRoutes } from './account/routes.ts';
import { authRoutes } from './auth/routes.ts';
import { systemClock, type Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { DatabaseHandle } from './db/database.ts';
import { text } from './i18n/de.ts';
import type { PgBoss } from 'pg-boss';
import type { MailOutbox } from './mail/outbox.ts';
import type { MailRateLimiter } from './mail/rate-limit.ts';
import type { MailTransport } from './mail/transport.ts';
import { pageRoutes } from './pages/routes.ts';
import { createForgotQueue, startForgotWorker } from './passwords/forgot.ts';
import { linkRoutes } from './passwords/routes.ts';
import { setupRoutes } from './setup/routes.ts';
import { registerErrorPages } from './web/errors.ts';
import { takeFlash } from './web/flash.ts';
import { newSubmissionId } from './web/once.ts';
import { loggerOptions } from './web/logger.ts';
import { type FormErrors, invalidFieldsInFormOrder } from './web/forms.ts';
import { csrfUserInfo, registerSecurity } from './web/security.ts';
import './web/types.ts';
import { currentWorkspace, selectedTenant } from './workspace/context.ts';
import { tenantRoutes } from './tenants/routes.ts';
import { userRoutes } from './users/routes.ts';
import { resellerRoutes } from './resellers/routes.ts';
import { auditRoutes } from './audit/routes.ts';
import { importRoutes } from './imports/routes.ts';
import { applicationRoutes } from './applications/routes.ts';
import { countingTransport, createMetrics, registerRequestMetrics } from './ops/metrics.ts';
import { registerOpsRoutes, type Lifecycle } from './ops/routes.ts';
import { isDatabaseUnavailable } from './ops/database-health.ts';
import { createPostgresRateLimitStore } from './ops/rate-limit-store.ts';

export const viewsDir = fileURLToPath(new URL('../views', import.meta.url));
const publicDir = fileURLToPath(new URL('../public', import.meta.url));

export interface AppOptions {
  config: Config;
  database: DatabaseHandle;
  clock?: Clock;
  /** Where development output goes (mail file notices); server.ts passes the console. */
  printLine?: (line: string) => void;
  /** A log destination (tests collect lines to prove no secret gets there). */
  logStream?: NodeJS.WritableStream;
  /** Tests may run without the background mail worker and drive deliveries themselves. */
  startWorker?: boolean;
  /**
   * The scheduled clean-up (on by default, with the worker). Tests move their clock; a cron tick
   * in the middle of one would remove rows the test is still looking at, so they opt in.
   */
  housekeeping?: boolean;
  /**
   * Return before the mail queue has started (the server: pages answer meanwhile, queueing a
   * mail waits for it; app.queueReady tells when it runs or why not). Tests wait for it.
   */
  queueInBackground?: boolean;
}

/** The path as sent, or a path no route has when its percent-encoding is broken. */
export function readablePath(url: string): string {
  const query = url.indexOf('?');
  try {
    decodeURIComponent(query === -1 ? url : url.slice(0, query));
    return url;
  } catch {
    return '/ungueltige-adresse';
  }
}

export function createViews(production: boolean): Eta {
  return new Eta({ views: viewsDir, cache: production, autoEscape: true, autoTrim: [false, 'nl'] });
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { config, database } = options;
  const clock = options.clock ?? systemClock;
  const eta = createViews(config.production);
  const app = Fastify({
    logger: loggerOptions(config.logLevel, options.logStream),
    trustProxy: config.trustProxy,
    bodyLimit: 256 * 1024,
    // Long ids reach the handlers, which answer 404 and audit it, instead of a bare 414.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 8192 },
    return503OnClosing: true,
    // A path with broken percent-encoding goes to a path no route has, so it gets the ordinary
    // German 404 page with every hook (security headers, session) instead of frameworkErrors.
    rewriteUrl: (request) => readablePath(request.url ?? '/'),
    // At close, keep-alive connections without a request in flight are closed at once (not after
    // the 72 s keep-alive); the others get "Connection: close" on their last response (below).
    forceCloseConnections: 'idle',
    // The fallback for anything else the router cannot read; no hooks have run yet, so it is
    // rendered without session or form tokens.
    frameworkErrors: (_error, _request, reply) => {
      const data = { t: text, me: null, workspace: null, selectedTenant: null, csrfToken: '', submissionId: '', flash: null, supportEmail: config.supportEmail, path: '', values: {}, errors: {} };
      const page = { ...data, title: text.pages.notFoundTitle, message: text.pages.notFoundText };
      const html = eta.render('layout.eta', { ...page, body: eta.render('pages/error.eta', page) });
      void (reply as FastifyReply).code(404).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html);
    },
  });

  // An outage is logged when it begins and when it ends, not once per failed query or request.
  database.health.onChange((event) => {
    if (event.kind === 'down') app.log.error({ reason: event.reason }, 'Datenbank nicht erreichbar: Anfragen bekommen 503, bis sie wieder antwortet');
    else app.log.warn({ downForSeconds: Math.round(event.downForMs / 100) / 10, refusedRequests: event.refused }, 'Datenbank wieder erreichbar');
  });
  // The queue polls while the database is away; those failures belong to the outage's two lines.
  const queueLog = {
    error: (details: { err: unknown }, message: string) => {
      if (isDatabaseUnavailable(details.err)) database.health.noteFailure(details.err);
      else app.log.error(details, message);
    },
    warn: (details: { warning: unknown }, message: string) => app.log.warn(details, message),
  };
  let boss: PgBoss | null = null;
  const metrics = createMetrics(database, () => boss);
  const lifecycle: Lifecycle = { stopping: false };

  // The mail queue (pg-boss) and its workers. Starting them costs ~0.5 s on embedded PGlite and
  // loading their modules (pg-boss, nodemailer) ~0.3 s of CPU, most of a restart beside PGlite
  // itself: the server (start.ts) lets pages answer meanwhile, and only a change that queues a
  // mail waits for the queue (issue 16: cold start to first page).
  let transport: MailTransport | null = null;
  let limiter: MailRateLimiter | null = null;
  const queueReady = (async () => {
    const [{ startJobQueue }, { createRateLimiter }, { createMailRenderer }, { createFileTransport, createSmtpTransport }, { startMailWorker }, { startHousekeeping }] = await Promise.all([
      import('./mail/queue.ts'),
      import('./mail/rate-limit.ts'),
      import('./mail/templates.ts'),
      import('./mail/transport.ts'),
      import('./mail/worker.ts'),
      import('./housekeeping/worker.ts'),
    ]);
    const rawTransport = config.smtpUrl
      ? createSmtpTransport(config.smtpUrl, config.mailFrom, { maxConnections: config.smtpMaxConnections, timeoutSeconds: config.smtpTimeoutSeconds })
      : createFileTransport(join(config.dataDir, 'mail'), config.mailFrom, options.printLine ?? ((line) => app.log.info(line)));
    const counted = countingTransport(rawTransport, metrics);
    transport = counted;
    const rateLimiter = createRateLimiter(database.db, config.mailRatePerMinute);
    limiter = rateLimiter;
    const started = await startJobQueue(database, { retryLimit: config.mailRetryLimit, retryDelaySeconds: config.mailRetryDelaySeconds }, queueLog);
    if (options.startWorker !== false) {
      await startMailWorker(
        started,
        { db: database.db, clock, transport: counted, renderer: createMailRenderer(eta, config.supportEmail), baseUrl: config.baseUrl, log: app.log, limiter: rateLimiter },
        { pollingSeconds: config.mailPollingSeconds, maxConnections: config.smtpMaxConnections, ratePerMinute: config.mailRatePerMinute },
      );
    }
    await createForgotQueue(started);
    if (options.startWorker !== false) {
      // Its mails go through the outbox, which exists once this function has returned the queue.
      const outbox: MailOutbox = { queueMail: (trx, mail) => app.outbox.queueMail(trx, mail), queueMails: (trx, mails) => app.outbox.queueMails(trx, mails) };
      await startForgotWorker(started, { db: database.db, outbox, lifetimes: { invitationHours: config.invitationLinkHours, resetHours: config.resetLinkHours } }, { pollingSeconds: config.mailPollingSeconds });
    }
    if (options.housekeeping ?? options.startWorker !== false) {
      await startHousekeeping(started, { db: database.db, clock, log: app.log });
    }
    return started;
  })();
  // Nobody may be left with an unhandled rejection; whoever awaits queueReady sees the error.
  queueReady.then((started) => (boss = started)).catch(() => {});
  if (!options.queueInBackground) await queueReady;
  const outboxReady = queueReady.then(async (started) => (await import('./mail/outbox.ts')).createMailOutbox(started));
  outboxReady.catch(() => {});

  app.decorate('db', database.db);
  app.decorate('clock', clock);
  app.decorate('config', config);
  app.decorate('queueReady', queueReady);
  app.decorate('boss', {
    getter(): PgBoss {
      if (!boss) throw new Error('mail queue not started yet (await app.queueReady)');
      return boss;
    },
  });
  app.decorate('outbox', {
    queueMail: async (trx, mail) => (await outboxReady).queueMail(trx, mail),
    queueMails: async (trx, mails) => (await outboxReady).queueMails(trx, mails),
  } satisfies MailOutbox);
  app.decorate('secureCookies', config.secureCookies);
  app.decorate('lifecycle', lifecycle);
  app.decorate('metrics', metrics);

  // Shutdown (SIGTERM, app.close()): from the first moment /readyz says "not ready" and the mail
  // worker fetches nothing new, while the requests in flight and the mails in hand finish side by
  // side; the process ends when both are done (start.ts bounds the whole by SHUTDOWN_TIMEOUT_SECONDS).
  let queueStopped: Promise<void> | null = null;
  const stopQueue = () => {
    queueStopped ??= queueReady.then(
      (started) => {
        // Sends still waiting for rate budget give up first (their jobs are retried later); then
        // the queue waits for the sends already talking to the SMTP server.
        limiter?.close();
        return started.stop({ graceful: true, timeout: Math.max(1000, config.shutdownTimeoutSeconds * 1000 - 1000) });
      },
      () => undefined,
    );
    return queueStopped;
  };
  app.addHook('preClose', (done) => {
    lifecycle.stopping = true;
    void stopQueue().catch((error) => app.log.error({ err: error }, 'Job-Queue ließ sich nicht sauber beenden'));
    done();
  });
  app.addHook('onClose', async () => {
    await stopQueue();
    transport?.close();
  });
  // A keep-alive connection whose request is still running at shutdown is closed after its
  // response instead of idling on (it would hold the process until the keep-alive timeout).
  app.addHook('onSend', async (_request, reply) => {
    if (lifecycle.stopping) reply.header('connection', 'close');
  });

  registerRequestMetrics(app, metrics);
  await app.register(fastifyFormbody, { bodyLimit: 64 * 1024 });
  await app.register(fastifyStatic, { root: publicDir, prefix: '/static/', maxAge: '1h' });
  await app.register(fastifyView, { engine: { eta }, root: viewsDir, layout: 'layout.eta', production: config.production });
  await registerSecurity(app, createPostgresRateLimitStore(database.db));

  app.decorateReply('page', function page(this: FastifyReply, template: string, data: Record<string, unknown> = {}, status = 200) {
    const request = this.request;
    const account = request.session?.account ?? null;
    // After a refused submit the first wrong field (in form order) gets `autofocus`, without JavaScript.
    const focus = invalidFieldsInFormOrder(data.values as Record<string, unknown> | undefined, data.errors as FormErrors | undefined)[0] ?? null;
    return this.code(status).view(template, {
      focus,
      t: text,
      me: account,
      workspace: currentWorkspace(request),
      selectedTenant: selectedTenant(request),
      csrfToken: this.generateCsrf({ userInfo: csrfUserInfo(request) }),
      submissionId: newSubmissionId(),
      flash: takeFlash(request, this),
      supportEmail: config.supportEmail,
      path: request.url.split('?')[0],
      title: '',
      values: {},
      errors: {},
      ...data,
    });
  });

  registerErrorPages(app, database.health);
  registerOpsRoutes(app, { lifecycle, metrics, metricsToken: config.metricsToken, readyTimeoutMs: config.dbConnectTimeoutSeconds * 1000 });
  await app.register(pageRoutes);
  await app.register(authRoutes);
  await app.register(accountRoutes);
  await app.register(linkRoutes);
  await app.register(setupRoutes);
  await app.register(tenantRoutes);
  await app.register(userRoutes);
  await app.register(resellerRoutes);
  await app.register(auditRoutes);
  await app.register(importRoutes);
  await app.register(applicationRoutes);
  return app;
}
