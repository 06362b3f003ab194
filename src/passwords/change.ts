import { recordAuditEvent } from '../audit/audit.ts';
import type { Executor, Tx } from '../db/database.ts';
import type { MailOutbox } from '../mail/outbox.ts';
import { replacePassword } from './links.ts';

export async function findPasswordHash(db: Executor, accountId: string): Promise<string | null> {
  const row = await db.selectFrom('accounts').select('password_hash').where('id', '=', accountId).where('status', '=', 'active').executeTakeFirst();
  return row?.password_hash ?? null;
}

/**
 * A signed-in person replaces their own password: outstanding links die, every other session
 * ends (the current one stays), and a confirmation mail goes out.
 */
export async function changeOwnPassword(
  trx: Tx,
  outbox: MailOutbox,
  request: { accountId: string; passwordHash: string; currentSessionId: string; at: Date; ip?: string | null },
): Promise<void> {
  const account = await trx
    .selectFrom('accounts')
    .select(['id', 'reseller_id', 'tenant_id'])
    .where('id', '=', request.accountId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const endedSessions = await replacePassword(trx, outbox, account, request.passwordHash, request.at, 'password-changed', request.currentSessionId);
  await recordAuditEvent(trx, {
    action: 'password.changed',
    at: request.at,
    actorId: account.id,
    subjectId: account.id,
    resellerId: account.reseller_id,
    tenantId: account.tenant_id,
    ip: request.ip,
    details: { via: 'account', endedSessions },
  });
}
