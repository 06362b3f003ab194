import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { PgBoss } from 'pg-boss';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { DatabaseHandle } from '../db/database.ts';
import type { MailTransport } from '../mail/transport.ts';

// Prometheus metrics of one portal process. Each app gets a registry of its own (tests run
// several apps in one process); the figures that the whole deployment shares (the queue) are
// read from the database at scrape time, so every instance reports the same queue.

export interface PortalMetrics {
  registry: Registry;
  logins: Counter<'result'>;
  mails: Counter<'result'>;
}

/** `currentBoss` is null while the mail queue is still starting (app.ts starts it in the background). */
export function createMetrics(database: DatabaseHandle, currentBoss: () => PgBoss | null): PortalMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const logins = new Counter({ name: 'portal_logins_total', help: 'Anmeldeversuche nach Ergebnis (ok, failed, throttled)', labelNames: ['result'] as const, registers: [registry] });
  const mails = new Counter({ name: 'portal_mails_total', help: 'Mails, die dieser Prozess dem SMTP-Server übergeben hat (sent) oder nicht (failed)', labelNames: ['result'] as const, registers: [registry] });
  for (const result of ['ok', 'failed', 'throttled']) logins.inc({ result }, 0);
  for (const result of ['sent', 'failed']) mails.inc({ result }, 0);

  new Gauge({
    name: 'portal_database_up',
    help: '1, wenn die letzte Datenbankabfrage die Datenbank erreicht hat',
    registers: [registry],
    collect() {
      this.set(database.health.available ? 1 : 0);
    },
  });

  if (database.pool) {
    const pool = database.pool;
    new Gauge({
      name: 'portal_db_pool_connections',
      help: 'Verbindungen im PostgreSQL-Pool dieses Prozesses (total, idle, waiting = wartende Abfragen)',
      labelNames: ['state'] as const,
      registers: [registry],
      collect() {
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
  }

  new Gauge({
    name: 'portal_mail_queue_depth',
    help: 'Mails, die auf Versand warten (queued, retrying), für alle Instanzen',
    registers: [registry],
    async collect() {
      const row = await readWaitingMail(database).catch(() => null);
      if (row) this.set(row.waiting);
    },
  });
  new Gauge({
    name: 'portal_mail_queue_oldest_seconds',
    help: 'Alter der ältesten wartenden Mail in Sekunden (0: keine wartet)',
    registers: [registry],
    async collect() {
      const row = await readWaitingMail(database).catch(() => null);
      if (row) this.set(row.oldestSeconds);
    },
  });
  new Gauge({
    name: 'portal_mail_jobs_active',
    help: 'Mail-Jobs, die gerade ein Worker bearbeitet (laut pg-boss), für alle Instanzen',
    registers: [registry],
    async collect() {
      const boss = currentBoss();
      if (!boss) return;
      // Imported here: outbox.ts loads pg-boss, which the server loads only with the queue.
      const { MAIL_QUEUE } = await import('../mail/outbox.ts');
      const queue = await boss.getQueue(MAIL_QUEUE).catch(() => null);
      if (queue) this.set(queue.activeCount);
    },
  });

  return { registry, logins, mails };
}

// One query serves both gauges of a scrape (they are collected one after the other).
let lastRead: { at: number; database: DatabaseHandle; value: Promise<{ waiting: number; oldestSeconds: number }> } | null = null;
function readWaitingMail(database: DatabaseHandle): Promise<{ waiting: number; oldestSeconds: number }> {
  if (lastRead && lastRead.database === database && Date.now() - lastRead.at < 1000) return lastRead.value;
  const value = sql<{ waiting: number; oldest_seconds: number | null }>`
    select count(*)::int as waiting, extract(epoch from (now() - min(created_at)))::float8 as oldest_seconds
    from mail_deliveries where state in ('queued', 'retrying')`
    .execute(database.db)
    .then(({ rows }) => ({ waiting: Number(rows[0]?.waiting ?? 0), oldestSeconds: Math.max(0, Number(rows[0]?.oldest_seconds ?? 0)) }));
  lastRead = { at: Date.now(), database, value };
  return value;
}

/** Counts each mail handed to the SMTP server (or refused) without touching the mail worker. */
export function countingTransport(transport: MailTransport, metrics: PortalMetrics): MailTransport {
  return {
    async send(mail) {
      try {
        await transport.send(mail);
        metrics.mails.inc({ result: 'sent' });
      } catch (error) {
        metrics.mails.inc({ result: 'failed' });
        throw error;
      }
    },
    close: () => transport.close(),
  };
}

/** Request rate and latency per route (the route's pattern, never the URL with its ids or tokens). */
export function registerRequestMetrics(app: FastifyInstance, metrics: PortalMetrics): void {
  const requests = new Counter({ name: 'portal_http_requests_total', help: 'Beantwortete Anfragen nach Methode, Route und Status', labelNames: ['method', 'route', 'status'] as const, registers: [metrics.registry] });
  const duration = new Histogram({
    name: 'portal_http_request_duration_seconds',
    help: 'Antwortzeit nach Methode und Route',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [metrics.registry],
  });
  app.addHook('onResponse', async (request, reply) => {
    // Unknown paths share one label, so a scanner cannot blow up the number of series.
    const route = request.is404 ? 'unbekannt' : request.routeOptions.url ?? 'unbekannt';
    if (route === '/metrics') return;
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
  });
}
