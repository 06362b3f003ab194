import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sql } from 'kysely';
import { hasAllMigrations } from '../db/migrate.ts';
import type { PortalMetrics } from './metrics.ts';

// Probes for a load balancer or orchestrator, and the Prometheus endpoint. They answer plain
// text, need no session and are not logged per request (a probe every few seconds would bury
// the log). /metrics is not public: without METRICS_TOKEN it does not exist (404), with it only
// "Authorization: Bearer <METRICS_TOKEN>" gets the figures.

export interface Lifecycle {
  /** Set at the first moment of a SIGTERM: /readyz says "not ready", responses close their connection. */
  stopping: boolean;
}

const probe = { config: { public: true }, logLevel: 'warn' as const };

function sameSecret(given: string, expected: string): boolean {
  // Hashes have equal length, so the comparison takes the same time whatever was sent.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function plain(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).type('text/plain; charset=utf-8').send(`${body}\n`);
}

export function registerOpsRoutes(app: FastifyInstance, deps: { lifecycle: Lifecycle; metrics: PortalMetrics; metricsToken: string | null; readyTimeoutMs: number }): void {
  const { lifecycle, metrics, metricsToken } = deps;
  // Once all migrations are there they stay there: checked until the first success only.
  let migrationsCurrent = false;

  app.get('/healthz', probe, async (_request, reply) => plain(reply, 200, 'ok'));

  app.get('/readyz', probe, async (_request, reply) => {
    if (lifecycle.stopping) return plain(reply, 503, 'wird beendet');
    try {
      await withTimeout(sql`select 1`.execute(app.db), deps.readyTimeoutMs);
      if (!migrationsCurrent) migrationsCurrent = await withTimeout(hasAllMigrations(app.db), deps.readyTimeoutMs);
    } catch {
      reply.header('retry-after', '5');
      return plain(reply, 503, 'Datenbank nicht erreichbar');
    }
    if (!migrationsCurrent) return plain(reply, 503, 'Migrationen fehlen');
    return plain(reply, 200, 'bereit');
  });

  app.get('/metrics', probe, async (request, reply) => {
    if (!metricsToken) return reply.callNotFound();
    const header = request.headers.authorization ?? '';
    const given = /^Bearer (\S+)$/i.exec(header)?.[1];
    if (!given || !sameSecret(given, metricsToken)) {
      reply.header('www-authenticate', 'Bearer realm="metrics"');
      return plain(reply, 401, 'Token fehlt oder ist falsch');
    }
    const body = await metrics.registry.metrics();
    return reply.code(200).type(metrics.registry.contentType).send(body);
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error('Zeitüberschreitung')), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
