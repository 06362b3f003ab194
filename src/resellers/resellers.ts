import { type SelectQueryBuilder, sql } from 'kysely';
import { recordAuditEvent } from '../audit/audit.ts';
import { countUpTo, countUpToColumn } from '../db/count.ts';
import type { Executor, Tx } from '../db/database.ts';
import type { Database } from '../db/types.ts';
import type { MailOutbox } from '../mail/outbox.ts';
import { issuePasswordLink, type LinkLifetimes } from '../passwords/links.ts';
import { companyRow, type CompanyValues } from '../tenants/company.ts';
import { createAccount } from '../users/accounts.ts';
import type { PersonForm } from '../users/person.ts';
import { COUNT_CAP, likePattern, PAGE_SIZE, type PageInfo, readCountedPage } from '../web/listing.ts';

// Resellers are kept by the operator only; the routes allow no other role here.

export interface OperatorActor {
  actorId: string;
  at: Date;
  ip: string | null;
}

export async function listResellers(db: Executor, query: { q: string; page: number }): Promise<{ rows: { id: string; name: string; city: string | null; postal_code: string | null; tenant_count: number }[]; info: PageInfo }> {
  let base = db.selectFrom('resellers');
  if (query.q) {
    const pattern = likePattern(query.q);
    base = base.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('city', 'ilike', pattern), eb('customer_number', 'ilike', pattern)]));
  }
  // One round trip: the count comes along with the page. Without a search it is exact (a
  // platform has hundreds of resellers, not millions); a search is counted up to the cap.
  const counted = query.q ? countUpToColumn(base, COUNT_CAP) : sql<number>`(select count(*) from resellers)`;
  const selectPage = (page: number) =>
    base
      .select(['id', 'name', 'city', 'postal_code', 'tenant_count', counted.as('total')])
      .orderBy('name')
      .orderBy('id')
      // Literals, not parameters: a prepared statement's generic plan then knows it returns 50 rows
      // and PostgreSQL plans it once (database.ts); with $n it assumed a tenth of the table and replanned.
      .limit(sql.lit(PAGE_SIZE))
      .offset(sql.lit((page - 1) * PAGE_SIZE))
      .execute();
  return readCountedPage(Boolean(query.q), query.page, selectPage, () => countResellers(db, base, query.q));
}

async function countResellers(db: Executor, base: SelectQueryBuilder<Database, 'resellers', object>, q: string): Promise<number> {
  if (q) return countUpTo(db, base, COUNT_CAP);
  const row = await db.selectFrom('resellers').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function findReseller(db: Executor, resellerId: string) {
  return db.selectFrom('resellers').selectAll().where('id', '=', resellerId).executeTakeFirst();
}

export async function listResellerStaff(db: Executor, resellerId: string) {
  return db
    .selectFrom('accounts')
    .select(['id', 'login', 'first_name', 'last_name', 'email', 'status', 'last_login_at'])
    .where('reseller_id', '=', resellerId)
    .where('role', '=', 'reseller')
    .orderBy('last_name')
    .orderBy('first_name')
    .execute();
}

export async function createReseller(trx: Tx, values: CompanyValues, actor: OperatorActor): Promise<{ id: string }> {
  const reseller = await trx.insertInto('resellers').values({ ...companyRow(values), created_at: actor.at, updated_at: actor.at }).returning('id').executeTakeFirstOrThrow();
  await recordAuditEvent(trx, { action: 'reseller.created', at: actor.at, actorId: actor.actorId, resellerId: reseller.id, ip: actor.ip, details: { name: values.name } });
  return reseller;
}

export async function updateReseller(trx: Tx, resellerId: string, values: CompanyValues, actor: OperatorActor): Promise<void> {
  await trx.updateTable('resellers').set({ ...companyRow(values), updated_at: actor.at }).where('id', '=', resellerId).execute();
  await recordAuditEvent(trx, { action: 'reseller.updated', at: actor.at, actorId: actor.actorId, resellerId, ip: actor.ip, details: { name: values.name } });
}

/** A staff account of the reseller: login from the name, invitation link by mail. */
export async function createResellerStaff(trx: Tx, outbox: MailOutbox, lifetimes: LinkLifetimes, resellerId: string, person: PersonForm, actor: OperatorActor) {
  const account = await createAccount(trx, { role: 'reseller', resellerId, tenantId: null, ...person }, actor);
  await issuePasswordLink(trx, outbox, lifetimes, { accountId: account.id, actorId: actor.actorId, at: actor.at, ip: actor.ip });
  return account;
}
