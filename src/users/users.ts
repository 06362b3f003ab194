import { sql } from 'kysely';
import { recordAuditEvent } from '../audit/audit.ts';
import { endAccountSessions } from '../auth/session-store.ts';
import { countUpTo, countUpToColumn } from '../db/count.ts';
import type { Executor, Tx } from '../db/database.ts';
import type { DeliveryState } from '../db/types.ts';
import { formatDateTime, text } from '../i18n/de.ts';
import type { MailOutbox } from '../mail/outbox.ts';
import { issuePasswordLink, type LinkLifetimes, revokeAccountLinks } from '../passwords/links.ts';
import { COUNT_CAP, likePattern, PAGE_SIZE, type PageInfo, readCountedPage } from '../web/listing.ts';
import { createAccount } from './accounts.ts';

// Anwender of one Mandant. The scope is always reseller + Mandant from the session; a user of
// another Mandant or reseller is simply not found.

export interface TenantScope {
  resellerId: string;
  tenantId: string;
}

export interface Actor {
  actorId: string;
  at: Date;
  ip: string | null;
  support: boolean;
}

export interface UserRow {
  id: string;
  login: string;
  first_name: string;
  last_name: string;
  email: string;
  status: 'active' | 'disabled';
  has_password: boolean;
  link_expires_at: Date | null;
  link_used_at: Date | null;
  link_revoked_at: Date | null;
  delivery_state: DeliveryState | null;
}

export type StatusTone = 'ok' | 'warn' | 'error' | 'muted';

/** The status in words a reseller understands, from the account and its newest link. */
export function describeUserStatus(row: UserRow, now: Date): { label: string; tone: StatusTone } {
  const s = text.users.status;
  if (row.status === 'disabled') return { label: s.disabled, tone: 'muted' };
  const linkOpen = row.link_expires_at !== null && !row.link_used_at && !row.link_revoked_at && row.link_expires_at > now;
  if (linkOpen) {
    if (row.delivery_state === 'queued') return { label: s.queued, tone: 'warn' };
    if (row.delivery_state === 'retrying') return { label: s.retrying, tone: 'warn' };
    if (row.delivery_state === 'failed') return { label: s.failed, tone: 'error' };
    const until = formatDateTime(row.link_expires_at!);
    return row.has_password ? { label: s.activeWithLink(until), tone: 'ok' } : { label: s.invited(until), tone: 'warn' };
  }
  if (row.has_password) return { label: s.active, tone: 'ok' };
  if (row.link_expires_at && !row.link_used_at && !row.link_revoked_at) return { label: s.expired, tone: 'error' };
  return { label: s.noLink, tone: 'error' };
}

function scopedUsers(db: Executor, scope: TenantScope) {
  return db
    .selectFrom('accounts as a')
    .innerJoin('tenants as t', 't.id', 'a.tenant_id')
    .where('a.role', '=', 'user')
    .where('a.tenant_id', '=', scope.tenantId)
    .where('t.reseller_id', '=', scope.resellerId);
}

function searchedUsers(db: Executor, scope: TenantScope, q: string) {
  const base = scopedUsers(db, scope);
  return q ? base.where(sql`a.search_text`, 'like', likePattern(q).toLocaleLowerCase('de-DE')) : base;
}

/**
 * The page of the list (within its search) that holds the Anwender, or null when the search
 * leaves them out: after an action the list opens where the row is, not filtered to it.
 */
export async function findUserPage(db: Executor, scope: TenantScope, userId: string, q: string): Promise<number | null> {
  // The same order as listUsers, numbered.
  const ranked = searchedUsers(db, scope, q).select([
    'a.id',
    sql<string>`row_number() over (order by lower(a.last_name), lower(a.first_name), a.id)`.as('position'),
  ]);
  const row = await db.selectFrom(ranked.as('ranked')).select('position').where('id', '=', userId).executeTakeFirst();
  return row ? Math.floor((Number(row.position) - 1) / PAGE_SIZE) + 1 : null;
}

export async function listUsers(db: Executor, scope: TenantScope, query: { q: string; page: number }): Promise<{ rows: UserRow[]; info: PageInfo }> {
  const base = searchedUsers(db, scope, query.q);
  // The count comes along with the page: without a search the Mandant's counter (kept by a
  // trigger, exact), with one the hits counted up to the cap.
  const counted = query.q ? countUpToColumn(base, COUNT_CAP) : sql<number>`t.user_count`;
  const selectPage = (page: number) =>
    base
      // The newest link of each user and its delivery: one index lookup per row of the page.
      .leftJoinLateral(
        (eb) =>
          eb
            .selectFrom('password_links as l')
            .leftJoin('mail_deliveries as d', 'd.link_id', 'l.id')
            .select(['l.expires_at', 'l.used_at', 'l.revoked_at', 'd.state'])
            .whereRef('l.account_id', '=', 'a.id')
            .orderBy('l.created_at', 'desc')
            .limit(1)
            .as('link'),
        (join) => join.onTrue(),
      )
      .select([
        'a.id',
        'a.login',
        'a.first_name',
        'a.last_name',
        'a.email',
        'a.status',
        sql<boolean>`a.password_hash is not null`.as('has_password'),
        'link.expires_at as link_expires_at',
        'link.used_at as link_used_at',
        'link.revoked_at as link_revoked_at',
        'link.state as delivery_state',
        counted.as('total'),
      ])
      .orderBy(sql`lower(a.last_name)`)
      .orderBy(sql`lower(a.first_name)`)
      .orderBy('a.id')
      // Literals, not parameters: a prepared statement's generic plan then knows it returns 50 rows
      // and PostgreSQL plans it once (database.ts); with $n it assumed a tenth of the table and replanned.
      .limit(sql.lit(PAGE_SIZE))
      .offset(sql.lit((page - 1) * PAGE_SIZE))
      .execute() as Promise<(UserRow & { total: number | string })[]>;

  return readCountedPage(Boolean(query.q), query.page, selectPage, () => countUsers(db, base, scope, query.q));
}

async function countUsers(db: Executor, base: ReturnType<typeof scopedUsers>, scope: TenantScope, q: string): Promise<number> {
  if (q) return countUpTo(db, base, COUNT_CAP);
  const row = await db.selectFrom('tenants').select('user_count').where('id', '=', scope.tenantId).executeTakeFirst();
  return row?.user_count ?? 0;
}

export async function findUser(db: Executor, scope: TenantScope, userId: string) {
  return scopedUsers(db, scope)
    .select(['a.id', 'a.login', 'a.first_name', 'a.last_name', 'a.email', 'a.status', 'a.reseller_id', 'a.tenant_id'])
    .where('a.id', '=', userId)
    .executeTakeFirst();
}

/** An Anwender is known by the e-mail within the Mandant (as the import keys it): one per address. */
export class EmailTakenError extends Error {
  readonly login: string;
  constructor(login: string) {
    super('e-mail taken in this Mandant');
    this.login = login;
  }
}

// Called under the Mandant's row lock, so two creators of the same address queue behind it.
async function assertEmailFree(trx: Tx, scope: TenantScope, email: string, exceptId: string | null): Promise<void> {
  let query = scopedUsers(trx, scope).select('a.login').where(sql`lower(a.email)`, '=', email.toLowerCase());
  if (exceptId) query = query.where('a.id', '<>', exceptId);
  const holder = await query.executeTakeFirst();
  if (holder) throw new EmailTakenError(holder.login);
}

export interface PersonValues {
  firstName: string;
  lastName: string;
  email: string;
}

/** Creates an Anwender with a login from the name and queues the invitation in the same transaction. */
export async function createUser(trx: Tx, outbox: MailOutbox, lifetimes: LinkLifetimes, scope: TenantScope, values: PersonValues, actor: Actor) {
  // The Mandant must still be the reseller's; the row lock keeps it so until commit. Not FOR
  // SHARE: the user_count trigger updates this row later in the transaction, and two creators
  // holding a share lock would each wait for the other's upgrade (deadlock). This lock queues
  // creators of one Mandant up front, before the login's advisory lock is taken.
  await trx.selectFrom('tenants').select('id').where('id', '=', scope.tenantId).where('reseller_id', '=', scope.resellerId).forNoKeyUpdate().executeTakeFirstOrThrow();
  await assertEmailFree(trx, scope, values.email, null);
  const account = await createAccount(
    trx,
    { role: 'user', resellerId: scope.resellerId, tenantId: scope.tenantId, ...values },
    { actorId: actor.actorId, at: actor.at, ip: actor.ip },
  );
  await issuePasswordLink(trx, outbox, lifetimes, { accountId: account.id, actorId: actor.actorId, at: actor.at, ip: actor.ip });
  return account;
}

export async function updateUser(trx: Tx, scope: TenantScope, userId: string, values: PersonValues, actor: Actor): Promise<boolean> {
  const current = await findUser(trx, scope, userId);
  if (!current) return false;
  await trx.selectFrom('tenants').select('id').where('id', '=', scope.tenantId).forNoKeyUpdate().executeTakeFirstOrThrow();
  await assertEmailFree(trx, scope, values.email, userId);
  await trx
    .updateTable('accounts')
    .set({ first_name: values.firstName, last_name: values.lastName, email: values.email, updated_at: actor.at })
    .where('id', '=', userId)
    .execute();
  const changed = [
    current.first_name !== values.firstName && 'firstName',
    current.last_name !== values.lastName && 'lastName',
    current.email !== values.email && 'email',
  ].filter(Boolean);
  await recordAuditEvent(trx, {
    action: 'account.updated',
    at: actor.at,
    actorId: actor.actorId,
    subjectId: userId,
    resellerId: scope.resellerId,
    tenantId: scope.tenantId,
    ip: actor.ip,
    details: { changed, support: actor.support },
  });
  return true;
}

/** Disabled: login refused, links revoked, sessions ended. Enabled: may log in again with the old password. */
export async function setUserStatus(trx: Tx, scope: TenantScope, userId: string, status: 'active' | 'disabled', actor: Actor): Promise<'changed' | 'unchanged'> {
  const user = await findUser(trx, scope, userId);
  if (!user) throw new Error('setUserStatus: user not in scope');
  if (user.status === status) return 'unchanged';
  await trx.updateTable('accounts').set({ status, updated_at: actor.at }).where('id', '=', userId).execute();
  let endedSessions = 0;
  if (status === 'disabled') {
    await revokeAccountLinks(trx, user, actor.at, 'account-disabled', actor.actorId);
    endedSessions = await endAccountSessions(trx, userId);
  }
  await recordAuditEvent(trx, {
    action: status === 'disabled' ? 'account.disabled' : 'account.enabled',
    at: actor.at,
    actorId: actor.actorId,
    subjectId: userId,
    resellerId: scope.resellerId,
    tenantId: scope.tenantId,
    ip: actor.ip,
    details: { support: actor.support, ...(status === 'disabled' ? { endedSessions } : {}) },
  });
  return 'changed';
}
