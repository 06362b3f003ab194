import { sql } from 'kysely';
import { recordAuditEvent } from '../audit/audit.ts';
import type { Tx } from '../db/database.ts';
import type { MailOutbox } from '../mail/outbox.ts';
import { hasRecentLink, issuePasswordLink, type LinkLifetimes } from './links.ts';

/**
 * "Passwort vergessen": finds an active account by login, or by e-mail when exactly one active
 * account has it, and issues a link. The caller answers the same whatever happens here.
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
  if (await hasRecentLink(trx, account.id, request.at)) return false;
  await issuePasswordLink(trx, outbox, lifetimes, { accountId: account.id, actorId: null, at: request.at, ip: request.ip });
  await recordAuditEvent(trx, {
    action: 'link.requested',
    at: request.at,
    subjectId: account.id,
    resellerId: account.reseller_id,
    tenantId: account.tenant_id,
    ip: request.ip,
    details: { via: 'forgot-password' },
  });
  return true;
}
