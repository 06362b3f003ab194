import { type RawBuilder, sql } from 'kysely';
import { recordAuditEvent } from '../audit/audit.ts';
import { countUpTo, countUpToColumn } from '../db/count.ts';
import type { Executor, Tx } from '../db/database.ts';
import { COUNT_CAP, likePattern, type ListQuery, PAGE_SIZE, type PageInfo, readCountedPage } from '../web/listing.ts';
import { companyRow, type CompanyValues } from './company.ts';

// Every query here takes the reseller id and filters by it: a Mandant of another reseller is
// indistinguishable from one that does not exist.

export const tenantSorts = ['name', 'customerNumber', 'city', 'users'] as const;
export type TenantSort = (typeof tenantSorts)[number];

// Names sort case-insensitively, the same on every server whatever its collation.
const sortColumns = { name: sql`lower(name)`, customerNumber: sql`lower(customer_number)`, city: sql`lower(city)`, users: sql`user_count` } as const;

export interface TenantListRow {
  id: string;
  name: string;
  customer_number: string | null;
  city: string;
  postal_code: string;
  user_count: number;
}

export class CustomerNumberTakenError extends Error {
  readonly holder: string;
  constructor(holder: string) {
    super('customer number taken');
    this.holder = holder;
  }
}

function searchedQuery(db: Executor, resellerId: string, q: string) {
  const base = baseQuery(db, resellerId);
  return q ? base.where(sql`search_text`, 'like', likePattern(q).toLocaleLowerCase('de-DE')) : base;
}

export async function listTenants(db: Executor, resellerId: string, query: ListQuery<TenantSort>): Promise<{ rows: TenantListRow[]; info: PageInfo }> {
  const base = searchedQuery(db, resellerId, query.q);
  // The count comes along with the page in the same statement: without a search the reseller's
  // counter (kept by a trigger, exact), with one the hits counted up to the cap.
  const counted = query.q ? countUpToColumn(base, COUNT_CAP) : sql<number>`(select tenant_count from resellers where id = ${resellerId})`;
  return readCountedPage(Boolean(query.q), query.page, (page) => selectTenantPage(base, query, page, counted), () => countTenants(db, base, resellerId, query.q));
}

async function countTenants(db: Executor, base: ReturnType<typeof baseQuery>, resellerId: string, q: string): Promise<number> {
  if (q) return countUpTo(db, base, COUNT_CAP);
  const row = await db.selectFrom('resellers').select('tenant_count').where('id', '=', resellerId).executeTakeFirst();
  return row?.tenant_count ?? 0;
}

function selectTenantPage(base: ReturnType<typeof baseQuery>, query: ListQuery<TenantSort>, page: number, total: RawBuilder<number>) {
  return base
    .select(['id', 'name', 'customer_number', 'city', 'postal_code', 'user_count', total.as('total')])
    .orderBy(sortColumns[query.sort], query.dir)
    .orderBy('id')
    // Literals, not parameters: a prepared statement's generic plan then knows it returns 50 rows
    // and PostgreSQL plans it once (database.ts); with $n it assumed a tenth of the table and replanned.
    .limit(sql.lit(PAGE_SIZE))
    .offset(sql.lit((page - 1) * PAGE_SIZE))
    .execute();
}

/**
 * The page of the list (in its sort, within its search) that holds the Mandant, or null when the
 * search leaves it out: after an action the list opens where the row is, not filtered to it.
 */
export async function findTenantPage(db: Executor, resellerId: string, tenantId: string, query: ListQuery<TenantSort>): Promise<number | null> {
  // The same order as selectTenantPage, numbered; one pass over the reseller's Mandanten.
  const ranked = searchedQuery(db, resellerId, query.q).select([
    'id',
    sql<string>`row_number() over (order by ${sortColumns[query.sort]} ${sql.raw(query.dir)}, id)`.as('position'),
  ]);
  const row = await db.selectFrom(ranked.as('ranked')).select('position').where('id', '=', tenantId).executeTakeFirst();
  return row ? Math.floor((Number(row.position) - 1) / PAGE_SIZE) + 1 : null;
}

function baseQuery(db: Executor, resellerId: string) {
  return db.selectFrom('tenants').where('reseller_id', '=', resellerId);
}

export async function findTenant(db: Executor, resellerId: string, tenantId: string) {
  return db.selectFrom('tenants').selectAll().where('reseller_id', '=', resellerId).where('id', '=', tenantId).executeTakeFirst();
}

async function assertCustomerNumberFree(trx: Tx, resellerId: string, customerNumber: string, exceptId: string | null): Promise<void> {
  let query = trx.selectFrom('tenants').select('name').where('reseller_id', '=', resellerId).where('customer_number', '=', customerNumber);
  if (exceptId) query = query.where('id', '<>', exceptId);
  const holder = await query.executeTakeFirst();
  if (holder) throw new CustomerNumberTakenError(holder.name);
}

interface Actor {
  actorId: string;
  at: Date;
  ip: string | null;
  support: boolean;
}

export async function createTenant(trx: Tx, resellerId: string, values: CompanyValues, actor: Actor): Promise<{ id: string }> {
  // Serialises creators of the same number within one reseller; the unique index is the backstop.
  await sql`select pg_advisory_xact_lock(hashtext(${`tenant:${resellerId}:${values.customerNumber}`}))`.execute(trx);
  if (values.customerNumber) await assertCustomerNumberFree(trx, resellerId, values.customerNumber, null);
  const tenant = await trx
    .insertInto('tenants')
    .values({ reseller_id: resellerId, ...companyRow(values), created_at: actor.at, updated_at: actor.at })
    .returning('id')
    .executeTakeFirstOrThrow();
  await recordAuditEvent(trx, {
    action: 'tenant.created',
    at: actor.at,
    actorId: actor.actorId,
    resellerId,
    tenantId: tenant.id,
    ip: actor.ip,
    details: { name: values.name, customerNumber: values.customerNumber || null, support: actor.support },
  });
  return tenant;
}

export async function updateTenant(trx: Tx, resellerId: string, tenantId: string, values: CompanyValues, actor: Actor): Promise<boolean> {
  const current = await trx.selectFrom('tenants').selectAll().where('reseller_id', '=', resellerId).where('id', '=', tenantId).forUpdate().executeTakeFirst();
  if (!current) return false;
  await sql`select pg_advisory_xact_lock(hashtext(${`tenant:${resellerId}:${values.customerNumber}`}))`.execute(trx);
  if (values.customerNumber) await assertCustomerNumberFree(trx, resellerId, values.customerNumber, tenantId);
  const row = companyRow(values);
  await trx.updateTable('tenants').set({ ...row, updated_at: actor.at }).where('id', '=', tenantId).execute();
  const changed = Object.fromEntries(Object.entries(row).filter(([key, value]) => current[key as keyof typeof row] !== value));
  await recordAuditEvent(trx, {
    action: 'tenant.updated',
    at: actor.at,
    actorId: actor.actorId,
    resellerId,
    tenantId,
    ip: actor.ip,
    details: { changed: Object.keys(changed), support: actor.support },
  });
  return true;
}
