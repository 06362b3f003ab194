import { type RawBuilder, type SqlBool, sql } from 'kysely';
import { recordAuditEvent } from '../audit/audit.ts';
import { endAccountSessions } from '../auth/session-store.ts';
import { HOUR, MINUTE } from '../clock.ts';
import type { Executor, Tx } from '../db/database.ts';
import type { Account, LinkKind, PasswordLink } from '../db/types.ts';
import type { MailOutbox } from '../mail/outbox.ts';
import { hashToken, isTokenShaped } from '../tokens.ts';

// The rules of DESIGN 1.3 live in this file: issuing a link never touches the password, the
// newest link wins, using a link replaces the password and ends every session, and a login
// with the old password kills every outstanding link.

export interface LinkLifetimes {
  invitationHours: number;
  resetHours: number;
}

export class AccountNotLinkableError extends Error {
  constructor() {
    super('Für ein deaktiviertes Konto werden keine Passwort-Links ausgestellt.');
  }
}

export const LINK_PATH = '/passwort-link/';

export function buildLinkUrl(baseUrl: URL, token: string): string {
  return new URL(`${LINK_PATH}${token}`, baseUrl).href;
}

type AccountScope = Pick<Account, 'id' | 'reseller_id' | 'tenant_id'>;

export async function revokeAccountLinks(trx: Executor, account: AccountScope, at: Date, reason: string, actorId: string | null): Promise<number> {
  const result = await trx
    .updateTable('password_links')
    .set({ revoked_at: at })
    .where('account_id', '=', account.id)
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  const count = Number(result.numUpdatedRows);
  if (count > 0) {
    // A queued mail for a revoked link must not go out any more.
    await trx
      .updateTable('mail_deliveries')
      .set({ state: 'dropped', updated_at: at })
      .where('account_id', '=', account.id)
      .where('link_id', 'is not', null)
      .where('state', 'in', ['queued', 'retrying'])
      .execute();
    await recordAuditEvent(trx, {
      action: 'link.revoked',
      at,
      actorId,
      subjectId: account.id,
      resellerId: account.reseller_id,
      tenantId: account.tenant_id,
      details: { reason, count },
    });
  }
  return count;
}

export interface IssuedLink {
  linkId: string;
  kind: LinkKind;
  expiresAt: Date;
}

/**
 * Issues a set-password link and queues its mail in the caller's transaction. An account without
 * a password gets an invitation (longer lifetime); one with a password gets a replacement link,
 * and its password keeps working until the link is used.
 */
export async function issuePasswordLink(
  trx: Tx,
  outbox: MailOutbox,
  lifetimes: LinkLifetimes,
  request: { accountId: string; actorId: string | null; at: Date; ip?: string | null },
): Promise<IssuedLink> {
  const account = await trx
    .selectFrom('accounts')
    .select(['id', 'reseller_id', 'tenant_id', 'status', 'password_hash'])
    .where('id', '=', request.accountId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (account.status !== 'active') throw new AccountNotLinkableError();
  const kind: LinkKind = account.password_hash ? 'reset' : 'invitation';
  const hours = kind === 'invitation' ? lifetimes.invitationHours : lifetimes.resetHours;
  const expiresAt = new Date(request.at.getTime() + hours * HOUR);

  await revokeAccountLinks(trx, account, request.at, 'superseded', request.actorId);
  const { id } = await trx
    .insertInto('password_links')
    .values({ account_id: account.id, kind, created_by: request.actorId, created_at: request.at, expires_at: expiresAt })
    .returning('id')
    .executeTakeFirstOrThrow();
  await outbox.queueMail(trx, { kind, accountId: account.id, linkId: id, at: request.at });
  await recordAuditEvent(trx, {
    action: 'link.issued',
    at: request.at,
    actorId: request.actorId,
    subjectId: account.id,
    resellerId: account.reseller_id,
    tenantId: account.tenant_id,
    ip: request.ip,
    details: { kind, expiresAt: expiresAt.toISOString() },
  });
  return { linkId: id, kind, expiresAt };
}

export interface UsableLink {
  link: PasswordLink;
  account: Pick<Account, 'id' | 'login' | 'first_name' | 'last_name' | 'reseller_id' | 'tenant_id'>;
}

/**
 * The link of a token, on password_links aliased "l": its current token or the one of an earlier
 * attempt of the same mail (mail/worker.ts mints anew when a worker died after sending).
 */
function matchesToken(tokenHash: string): RawBuilder<SqlBool> {
  return sql<SqlBool>`(l.token_hash = ${tokenHash} or l.previous_token_hash = ${tokenHash})`;
}

/** The link behind a token, if it can still be used right now; null for every other case alike. */
export async function findUsableLink(db: Executor, token: string, now: Date): Promise<UsableLink | null> {
  if (!isTokenShaped(token)) return null;
  const row = await db
    .selectFrom('password_links as l')
    .innerJoin('accounts as a', 'a.id', 'l.account_id')
    .selectAll('l')
    .select(['a.login', 'a.first_name', 'a.last_name', 'a.reseller_id', 'a.tenant_id'])
    .where(matchesToken(hashToken(token)))
    .where('l.used_at', 'is', null)
    .where('l.revoked_at', 'is', null)
    .where('l.expires_at', '>', now)
    .where('a.status', '=', 'active')
    .executeTakeFirst();
  if (!row) return null;
  const { login, first_name, last_name, reseller_id, tenant_id, ...link } = row;
  return { link, account: { id: link.account_id, login, first_name, last_name, reseller_id, tenant_id } };
}

/**
 * Uses a link: one conditional UPDATE claims it, so of two simultaneous posts exactly one wins.
 * Then the password is replaced, every other link revoked, every session of the account ended
 * and the "Dein Passwort wurde geändert" mail queued. Returns null when the link was not usable.
 */
export async function setPasswordWithLink(
  trx: Tx,
  outbox: MailOutbox,
  request: { token: string; passwordHash: string; at: Date; ip?: string | null },
): Promise<{ accountId: string; login: string } | null> {
  if (!isTokenShaped(request.token)) return null;
  const tokenHash = hashToken(request.token);
  const target = await trx.selectFrom('password_links as l').select('account_id').where(matchesToken(tokenHash)).executeTakeFirst();
  if (!target) return null;
  // Account row first, then the link: the lock order of every other change of an account's links.
  const account = await trx
    .selectFrom('accounts')
    .select(['id', 'login', 'status', 'reseller_id', 'tenant_id'])
    .where('id', '=', target.account_id)
    .forUpdate()
    .executeTakeFirstOrThrow();
  const claimed = await trx
    .updateTable('password_links as l')
    .set({ used_at: request.at })
    .where(matchesToken(tokenHash))
    .where('used_at', 'is', null)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', request.at)
    .returning(['id', 'account_id', 'kind'])
    .executeTakeFirst();
  if (!claimed) return null;
  if (account.status !== 'active') return null;

  const endedSessions = await replacePassword(trx, outbox, account, request.passwordHash, request.at, 'password-set');
  const scope = { at: request.at, actorId: account.id, subjectId: account.id, resellerId: account.reseller_id, tenantId: account.tenant_id, ip: request.ip };
  await recordAuditEvent(trx, { ...scope, action: 'link.used', details: { kind: claimed.kind } });
  await recordAuditEvent(trx, { ...scope, action: 'password.changed', details: { via: 'link', endedSessions } });
  return { accountId: account.id, login: account.login };
}

// Self-service requests within this time of the account's last link send nothing: the first
// mail is still on its way, and a stranger cannot flood somebody's mailbox.
const SELF_SERVICE_COOLDOWN_MS = 5 * MINUTE;

export async function hasRecentLink(db: Executor, accountId: string, at: Date): Promise<boolean> {
  const recent = await db
    .selectFrom('password_links')
    .select('id')
    .where('account_id', '=', accountId)
    .where('created_at', '>', new Date(at.getTime() - SELF_SERVICE_COOLDOWN_MS))
    .executeTakeFirst();
  return recent !== undefined;
}

/**
 * A new password, by link or on Mein Konto: the hash replaced, every open link revoked, sessions
 * ended (all of them, or all but the one that made the change) and a mail queued: "Dein Passwort
 * wurde geändert", or a welcome after the first password. The caller holds the account row lock.
 * Returns how many sessions were ended.
 */
export async function replacePassword(
  trx: Tx,
  outbox: MailOutbox,
  account: AccountScope,
  passwordHash: string,
  at: Date,
  reason: 'password-set' | 'password-changed',
  keepSessionId?: string,
): Promise<number> {
  // The first password (an invitation used) gets a welcome; a real change gets the alarm mail.
  const before = await trx.selectFrom('accounts').select('password_hash').where('id', '=', account.id).executeTakeFirstOrThrow();
  const mailKind = before.password_hash === null ? 'password-set' : 'password-changed';
  await trx.updateTable('accounts').set({ password_hash: passwordHash, password_changed_at: at, updated_at: at }).where('id', '=', account.id).execute();
  await revokeAccountLinks(trx, account, at, reason, account.id);
  const endedSessions = await endAccountSessions(trx, account.id, keepSessionId);
  await outbox.queueMail(trx, { kind: mailKind, accountId: account.id, at });
  return endedSessions;
}

/**
 * The "Neuen Link anfordern" button on the dead-link page. Only a genuine link that expired or
 * was revoked leads to a fresh one; unknown and used links do nothing. The caller answers the
 * same either way, so the page tells nobody which case it was.
 */
export async function renewExpiredLink(
  trx: Tx,
  outbox: MailOutbox,
  lifetimes: LinkLifetimes,
  request: { token: string; at: Date; ip?: string | null },
): Promise<boolean> {
  if (!isTokenShaped(request.token)) return false;
  const old = await trx
    .selectFrom('password_links as l')
    .innerJoin('accounts as a', 'a.id', 'l.account_id')
    .select(['l.account_id', 'l.used_at', 'l.revoked_at', 'l.expires_at', 'a.status', 'a.reseller_id', 'a.tenant_id'])
    .where(matchesToken(hashToken(request.token)))
    .executeTakeFirst();
  if (!old || old.used_at || old.status !== 'active') return false;
  const dead = old.revoked_at !== null || old.expires_at <= request.at;
  if (!dead) return false;
  return issueSelfServiceLink(trx, outbox, lifetimes, { id: old.account_id, reseller_id: old.reseller_id, tenant_id: old.tenant_id }, 'dead-link', request);
}

/** A link someone asked for themselves (dead-link page, "Passwort vergessen"), unless one went out just now. */
export async function issueSelfServiceLink(
  trx: Tx,
  outbox: MailOutbox,
  lifetimes: LinkLifetimes,
  account: AccountScope,
  via: 'dead-link' | 'forgot-password',
  request: { at: Date; ip?: string | null },
): Promise<boolean> {
  if (await hasRecentLink(trx, account.id, request.at)) return false;
  await issuePasswordLink(trx, outbox, lifetimes, { accountId: account.id, actorId: null, at: request.at, ip: request.ip });
  await recordAuditEvent(trx, {
    action: 'link.requested',
    at: request.at,
    subjectId: account.id,
    resellerId: account.reseller_id,
    tenantId: account.tenant_id,
    ip: request.ip,
    details: { via },
  });
  return true;
}
