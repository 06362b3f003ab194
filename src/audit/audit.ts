import type { Executor } from '../db/database.ts';

export type AuditAction =
  | 'setup.completed'
  | 'account.created'
  | 'login.succeeded'
  | 'login.failed'
  | 'login.throttled'
  | 'login.unlocked'
  | 'logout'
  | 'session.expired'
  | 'link.issued'
  | 'link.used'
  | 'link.revoked'
  | 'link.requested'
  | 'link.sent'
  | 'link.delivery_failed'
  | 'mail.delivery_failed'
  | 'password.changed'
  | 'account.updated'
  | 'account.disabled'
  | 'account.enabled'
  | 'tenant.created'
  | 'tenant.updated'
  | 'tenant.selected'
  | 'reseller.created'
  | 'reseller.updated'
  | 'support.entered'
  | 'support.left'
  | 'access.denied'
  | 'application.created'
  | 'application.updated'
  | 'application.booked'
  | 'application.cancelled'
  | 'rights.changed'
  | 'import.uploaded'
  | 'import.discarded'
  | 'import.expired'
  | 'import.committed'
  | 'import.links_requested';

export interface AuditEvent {
  action: AuditAction;
  at: Date;
  actorId?: string | null;
  subjectId?: string | null;
  resellerId?: string | null;
  tenantId?: string | null;
  ip?: string | null;
  details?: Record<string, unknown>;
}

/** Every change of an account, tenant, link or import leaves one of these, written in the change's transaction. */
export async function recordAuditEvent(db: Executor, event: AuditEvent): Promise<void> {
  await recordAuditEvents(db, [event]);
}

// A statement takes at most 65,535 parameters; an event has eight.
const EVENTS_PER_STATEMENT = 1000;

/** Many events of one change (an import, a booking of several applications) in a few statements. */
export async function recordAuditEvents(db: Executor, events: readonly AuditEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += EVENTS_PER_STATEMENT) {
    await db
      .insertInto('audit_events')
      .values(
        events.slice(i, i + EVENTS_PER_STATEMENT).map((event) => ({
          occurred_at: event.at,
          action: event.action,
          actor_account_id: event.actorId ?? null,
          subject_account_id: event.subjectId ?? null,
          reseller_id: event.resellerId ?? null,
          tenant_id: event.tenantId ?? null,
          ip: event.ip ?? null,
          details: JSON.stringify(event.details ?? {}),
        })),
      )
      .execute();
  }
}
