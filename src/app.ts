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
import { createMailOutbox } from './mail/outbox.ts';
import { startJobQueue } from './mail/queue.ts';
import { createRateLimiter } from './mail/rate-limit.ts';
import { createMailRenderer } from './mail/templates.ts';
import { createFileTransport, createSmtpTransport, type MailTransport } from './mail/transport.ts';
import { startMailWorker } from './mail/worker.ts';
import { startHousekeeping } from './housekeeping/worker.ts';
import { pageRoutes } from './pages/routes.ts';
import { linkRoutes } from './passwords/routes.ts';
import { setupRoutes } from './setup/routes.ts';
import { registerErrorPages } from './web/errors.ts';
import { takeFlash } from './web/flash.ts';
import { newSubmissionId } from './web/once.ts';
import { loggerOptions } from './web/logger.ts';
import { type FormErrors, invalidFieldsInFormOrder } from './web/forms.ts';
import { registerSecurity } from './web/security.ts';
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
    // At close, keep-alive connections without a request in flight are closed at once (not after
    // the 72 s keep-alive); the others get "Connection: close" on their last response (below).
    forceCloseConnections: 'idle',
    // A URL the router cannot even read (broken percent-encoding) gets the German 404 page; no
    // hooks have run yet, so it is rendered without session or form tokens.
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
  const boss = await startJobQueue(database, { retryLimit: config.mailRetryLimit, retryDelaySeconds: config.mailRetryDelaySeconds }, queueLog);
  const metrics = createMetrics(database, boss);
  const lifecycle: Lifecycle = { stopping: false };
  const rawTransport: MailTransport = config.smtpUrl
    ? createSmtpTransport(config.smtpUrl, config.mailFrom, { maxConnections: config.smtpMaxConnections, timeoutSeconds: config.smtpTimeoutSeconds })
    : createFileTransport(join(config.dataDir, 'mail'), config.mailFrom, options.printLine ?? ((line) => app.log.info(line)));
  const transport = countingTransport(rawTransport, metrics);

  app.decorate('db', database.db);
  app.decorate('clock', clock);
  app.decorate('config', config);
  app.decorate('boss', boss);
  app.decorate('outbox', createMailOutbox(boss));
  app.decorate('secureCookies', config.secureCookies);
  app.decorate('lifecycle', lifecycle);
  app.decorate('metrics', metrics);

  const limiter = createRateLimiter(database.db, config.mailRatePerMinute);
  // Shutdown (SIGTERM, app.close()): from the first moment /readyz says "not ready" and the mail
  // worker fetches nothing new, while the requests in flight and the mails in hand finish side by
  // side; the process ends when both are done (start.ts bounds the whole by SHUTDOWN_TIMEOUT_SECONDS).
  let queueStopped: Promise<void> | null = null;
  const stopQueue = () => {
    // Sends still waiting for rate budget give up first (their jobs are retried later); then the
    // queue waits for the sends already talking to the SMTP server.
    limiter.close();
    queueStopped ??= boss.stop({ graceful: true, timeout: Math.max(1000, config.shutdownTimeoutSeconds * 1000 - 1000) });
    return queueStopped;
  };
  app.addHook('preClose', (done) => {
    lifecycle.stopping = true;
    void stopQueue().catch((error) => app.log.error({ err: error }, 'Job-Queue ließ sich nicht sauber beenden'));
    done();
  });
  app.addHook('onClose', async () => {
    await stopQueue();
    transport.close();
  });
  // A keep-alive connection whose request is still running at shutdown is closed after its
  // response instead of idling on (it would hold the process until the keep-alive timeout).
  app.addHook('onSend', async (_request, reply) => {
    if (lifecycle.stopping) reply.header('connection', 'close');
  });

  if (options.startWorker !== false) {
    await startMailWorker(
      boss,
      { db: database.db, clock, transport, renderer: createMailRenderer(eta, config.supportEmail), baseUrl: config.baseUrl, log: app.log, limiter },
      { pollingSeconds: config.mailPollingSeconds, maxConnections: config.smtpMaxConnections, ratePerMinute: config.mailRatePerMinute },
    );
  }
  if (options.housekeeping ?? options.startWorker !== false) {
    await startHousekeeping(boss, { db: database.db, clock, log: app.log });
  }

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
      csrfToken: this.generateCsrf(),
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
