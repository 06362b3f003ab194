import { randomUUID } from 'node:crypto';
import { recordAuditEvents } from '../audit/audit.ts';
import { HOUR } from '../clock.ts';
import type { Tx } from '../db/database.ts';
import type { MailOutbox } from '../mail/outbox.ts';
import type { LinkLifetimes } from './links.ts';

// issuePasswordLink for many accounts at once (after an import): the same rules — earlier
// unused links revoked, one new link each, the mail queued in this transaction — in a handful
// of statements instead of several per account.

export async function issueLinksInBulk(
  trx: Tx,
  outbox: MailOutbox,
  lifetimes: LinkLifetimes,
  accountIds: string[],
  actor: { actorId: string; at: Date; ip: string | null; resellerId: string },
): Promise<number> {
  let issued = 0;
  for (let i = 0; i < accountIds.length; i += 1000) {
    const ids = accountIds.slice(i, i + 1000);
    const accounts = await trx
      .selectFrom('accounts')
      .select(['id', 'tenant_id', 'password_hash'])
      .where('id', 'in', ids)
      .where('reseller_id', '=', actor.resellerId)
      .where('status', '=', 'active')
      .forUpdate()
      .execute();
    if (accounts.length === 0) continue;
    const liveIds = accounts.map((a) => a.id);
    await trx.updateTable('password_links').set({ revoked_at: actor.at }).where('account_id', 'in', liveIds).where('used_at', 'is', null).where('revoked_at', 'is', null).execute();
    await trx
      .updateTable('mail_deliveries')
      .set({ state: 'dropped', updated_at: actor.at })
      .where('account_id', 'in', liveIds)
      .where('link_id', 'is not', null)
      .where('state', 'in', ['queued', 'retrying'])
      .execute();
    const links = accounts.map((a) => {
      const kind = a.password_hash ? ('reset' as const) : ('invitation' as const);
      const hours = kind === 'invitation' ? lifetimes.invitationHours : lifetimes.resetHours;
      return { id: randomUUID(), account_id: a.id, kind, created_by: actor.actorId, created_at: actor.at, expires_at: new Date(actor.at.getTime() + hours * HOUR), tenant_id: a.tenant_id };
    });
    await trx.insertInto('password_links').values(links.map(({ tenant_id: _tenant, ...link }) => link)).execute();
    await outbox.queueMails(trx, links.map((l) => ({ kind: l.kind, accountId: l.account_id, linkId: l.id, at: actor.at })));
    await recordAuditEvents(
      trx,
      links.map((l) => ({
        action: 'link.issued',
        at: actor.at,
        actorId: actor.actorId,
        subjectId: l.account_id,
        resellerId: actor.resellerId,
        tenantId: l.tenant_id,
        ip: actor.ip,
        details: { kind: l.kind, expiresAt: l.expires_at.toISOString(), via: 'import' },
      })),
    );
    issued += links.length;
  }
  return issued;
}
