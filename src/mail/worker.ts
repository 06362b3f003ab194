import type { FastifyBaseLogger } from 'fastify';
import type { JobWithMetadata, PgBoss } from 'pg-boss';
import { recordAuditEvent } from '../audit/audit.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import { buildLinkUrl } from '../passwords/links.ts';
import { generateToken, hashToken } from '../tokens.ts';
import { MAIL_QUEUE, type MailJob } from './outbox.ts';
import type { MailRenderer } from './templates.ts';
import { describeMailError, isPermanentMailError, type MailTransport } from './transport.ts';

export interface MailWorkerDeps {
  db: Db;
  clock: Clock;
  transport: MailTransport;
  renderer: MailRenderer;
  baseUrl: URL;
  log: FastifyBaseLogger;
}

export interface Attempt {
  retryCount: number;
  retryLimit: number;
}

/** Thrown to hand the job back to pg-boss for a retry with backoff. */
export class MailRetryError extends Error {}

/**
 * Sends one queued mail. For a link mail the token is minted here, at the last moment: only its
 * hash is stored, and only if the link is still the account's live one. A link that was revoked
 * or used while the mail waited is dropped instead of sent.
 */
export async function deliverMail(deps: MailWorkerDeps, deliveryId: string, attempt: Attempt): Promise<void> {
  const { db, clock } = deps;
  const delivery = await db
    .selectFrom('mail_deliveries as d')
    .innerJoin('accounts as a', 'a.id', 'd.account_id')
    .leftJoin('password_links as l', 'l.id', 'd.link_id')
    .select(['d.id', 'd.kind', 'd.state', 'd.link_id', 'd.attempts', 'a.id as account_id', 'a.login', 'a.first_name', 'a.last_name', 'a.email', 'a.status', 'a.role', 'a.reseller_id', 'a.tenant_id'])
    .select(['l.expires_at', 'l.created_at as link_created_at'])
    .where('d.id', '=', deliveryId)
    .executeTakeFirst();
  if (!delivery || delivery.state === 'sent' || delivery.state === 'dropped') return;

  const now = clock.now();
  let linkUrl: string | undefined;
  if (delivery.link_id) {
    const token = generateToken();
    const minted = await db
      .updateTable('password_links')
      .set({ token_hash: hashToken(token) })
      .where('id', '=', delivery.link_id)
      .where('used_at', 'is', null)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (Number(minted.numUpdatedRows) === 0 || delivery.status !== 'active') {
      await db.updateTable('mail_deliveries').set({ state: 'dropped', updated_at: now }).where('id', '=', delivery.id).execute();
      return;
    }
    linkUrl = buildLinkUrl(deps.baseUrl, token);
  }

  const mail = deps.renderer.render({
    kind: delivery.kind,
    role: delivery.role,
    to: delivery.email,
    login: delivery.login,
    firstName: delivery.first_name,
    lastName: delivery.last_name,
    linkUrl,
    linkHours: delivery.expires_at && delivery.link_created_at ? Math.round((delivery.expires_at.getTime() - delivery.link_created_at.getTime()) / 3_600_000) : undefined,
    expiresAt: delivery.expires_at ?? undefined,
    changedAt: now,
  });

  try {
    await deps.transport.send(mail);
  } catch (error) {
    const permanent = isPermanentMailError(error);
    const lastAttempt = attempt.retryCount >= attempt.retryLimit;
    const state = permanent || lastAttempt ? 'failed' : 'retrying';
    const failedAt = clock.now();
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('mail_deliveries')
        .set({ state, attempts: delivery.attempts + 1, last_error: describeMailError(error), updated_at: failedAt })
        .where('id', '=', delivery.id)
        .execute();
      if (state === 'failed') {
        await recordAuditEvent(trx, {
          action: delivery.link_id ? 'link.delivery_failed' : 'mail.delivery_failed',
          at: failedAt,
          subjectId: delivery.account_id,
          resellerId: delivery.reseller_id,
          tenantId: delivery.tenant_id,
          details: { kind: delivery.kind, deliveryId: delivery.id, permanent, attempts: delivery.attempts + 1 },
        });
      }
    });
    deps.log.warn({ deliveryId: delivery.id, kind: delivery.kind, state, error: describeMailError(error) }, 'Mailversand fehlgeschlagen');
    if (state === 'retrying') throw new MailRetryError(describeMailError(error));
    return;
  }

  const sentAt = clock.now();
  await db.transaction().execute(async (trx) => {
    await trx
      .updateTable('mail_deliveries')
      .set({ state: 'sent', attempts: delivery.attempts + 1, last_error: null, sent_at: sentAt, updated_at: sentAt })
      .where('id', '=', delivery.id)
      .execute();
    if (delivery.link_id) {
      await recordAuditEvent(trx, {
        action: 'link.sent',
        at: sentAt,
        subjectId: delivery.account_id,
        resellerId: delivery.reseller_id,
        tenantId: delivery.tenant_id,
        details: { kind: delivery.kind, deliveryId: delivery.id },
      });
    }
  });
  deps.log.info({ deliveryId: delivery.id, kind: delivery.kind }, 'Mail versendet');
}

export async function startMailWorker(boss: PgBoss, deps: MailWorkerDeps, pollingIntervalSeconds: number): Promise<string> {
  return boss.work(MAIL_QUEUE, { pollingIntervalSeconds, includeMetadata: true, batchSize: 1 }, async ([job]: JobWithMetadata<MailJob>[]) => {
    if (!job) return;
    await deliverMail(deps, job.data.deliveryId, { retryCount: job.retryCount, retryLimit: job.retryLimit });
  });
}
