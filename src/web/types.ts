import type { PgBoss } from 'pg-boss';
import type { SignedInAccount } from '../auth/login.ts';
import type { Clock } from '../clock.ts';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
import type { Role } from '../db/types.ts';
import type { MailOutbox } from '../mail/outbox.ts';
import type { PortalMetrics } from '../ops/metrics.ts';
import type { Lifecycle } from '../ops/routes.ts';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    clock: Clock;
    config: Config;
    outbox: MailOutbox;
    boss: PgBoss;
    /** Resolves when the mail queue and its workers run (app.ts may start them in the background). */
    queueReady: Promise<PgBoss>;
    secureCookies: boolean;
    /** Shutdown state: /readyz and the connection handling read it, start.ts sets it. */
    lifecycle: Lifecycle;
    metrics: PortalMetrics;
  }
  interface FastifyReply {
    /** Renders a page inside the layout, with the shared data every page needs. */
    page(template: string, data?: Record<string, unknown>, status?: number): FastifyReply;
  }
  interface FastifyContextConfig {
    /** Reachable without a session (login, link pages, Impressum, Hilfe). */
    public?: boolean;
    /** Roles allowed; absent means every signed-in role. */
    roles?: readonly Role[];
    /** The URL carries a secret: the page sends Referrer-Policy no-referrer. */
    tokenInUrl?: boolean;
  }
}

declare module 'fastify' {
  interface Session {
    account?: SignedInAccount;
    /** Support mode: the reseller an operator works for. */
    support?: { resellerId: string; resellerName: string };
    /** "Als ausgewählter Mandant arbeiten". */
    tenant?: { id: string; name: string; customerNumber: string | null; resellerId: string };
  }
}
