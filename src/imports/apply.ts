import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { type AuditAction, recordAuditEvents } from '../audit/audit.ts';
import type { Tx } from '../db/database.ts';
import { companyRow } from '../tenants/company.ts';
import { LOGIN_LOCK_BUCKETS, LOGIN_LOCK_CLASS, loginBaseFor } from '../users/login-name.ts';
import { type ImportPlan, nextFreeLogin } from './plan.ts';

// Carries out a plan inside the caller's transaction, in bulk statements: 10,000 rows are a few
// dozen statements, not tens of thousands. All or nothing is the transaction's job.

const CHUNK = 1000;

const columnOf: Record<string, keyof ReturnType<typeof companyRow>> = {
  name: 'name',
  street: 'street',
  postalCode: 'postal_code',
  city: 'city',
  country: 'country',
  vatId: 'vat_id',
};

export interface ImportActor {
  actorId: string;
  at: Date;
  ip: string | null;
  support: boolean;
}

export interface CreatedUser {
  accountId: string;
  login: string;
  firstName: string;
  lastName: string;
  email: string;
  tenantName: string;
  customerNumber: string;
}

function chunks<T>(list: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

type AuditRow = { action: AuditAction; subject?: string | null; tenant?: string | null; details: Record<string, unknown> };

export async function applyImportPlan(trx: Tx, resellerId: string, runId: string, plan: ImportPlan, actor: ImportActor): Promise<CreatedUser[]> {
  const audit: AuditRow[] = [];
  const support = actor.support ? { support: true } : {};
  // Written after each part, not all at the end: 20,000 Anwender are 40,000 events, and holding
  // them all (twice, as rows and as statements) is the largest part of a commit's memory.
  const writeAudit = async () =>
    recordAuditEvents(
      trx,
      audit.splice(0).map((e) => ({ action: e.action, at: actor.at, actorId: actor.actorId, subjectId: e.subject ?? null, resellerId, tenantId: e.tenant ?? null, ip: actor.ip, details: { ...e.details, ...support } })),
    );
  const tenantIdByKey = new Map<string, string>();
  const tenantByKey = new Map(plan.tenants.map((t) => [t.key, t]));

  const newTenants = plan.tenants.filter((t) => t.action === 'create').map((t) => ({ ...t, id: randomUUID() }));
  for (const part of chunks(newTenants)) {
    await trx
      .insertInto('tenants')
      .values(part.map((t) => ({ id: t.id, reseller_id: resellerId, ...companyRow(t.values), created_at: actor.at, updated_at: actor.at })))
      .execute();
  }
  for (const t of newTenants) {
    tenantIdByKey.set(t.key, t.id);
    audit.push({ action: 'tenant.created', tenant: t.id, details: { name: t.values.name, via: 'import' } });
  }
  for (const t of plan.tenants.filter((t) => t.existingId)) {
    tenantIdByKey.set(t.key, t.existingId!);
    if (t.changedFields.length === 0) continue;
    const row = companyRow(t.values);
    // Only what differs; everything else (phone, e-mail, an empty cell) stays as it is.
    const changes = Object.fromEntries(t.changedFields.map((field) => [columnOf[field]!, row[columnOf[field]!]]));
    await trx.updateTable('tenants').set({ ...changes, updated_at: actor.at }).where('id', '=', t.existingId!).where('reseller_id', '=', resellerId).execute();
    audit.push({ action: 'tenant.updated', tenant: t.existingId, details: { changed: t.changedFields, via: 'import' } });
  }

  const bookings = plan.tenants.flatMap((t) => t.bookings.map((applicationId) => ({ tenant_id: tenantIdByKey.get(t.key)!, application_id: applicationId })));
  for (const part of chunks(bookings)) {
    await trx
      .insertInto('tenant_applications')
      .values(part.map((b) => ({ ...b, booked_at: actor.at, booked_by: actor.actorId })))
      .onConflict((oc) => oc.columns(['tenant_id', 'application_id']).doNothing())
      .execute();
  }
  for (const b of bookings) audit.push({ action: 'application.booked', tenant: b.tenant_id, details: { applicationId: b.application_id, via: 'import' } });
  await writeAudit();

  // Logins: the same locks as a manual creation takes, in sorted order so that two imports
  // cannot deadlock, then every free login is found in memory.
  const created = plan.users.filter((u) => u.action === 'create');
  const bases = [...new Set(created.map((u) => loginBaseFor(u.firstName, u.lastName)))].sort();
  if (bases.length) {
    // One statement, buckets in ascending order (login-name.ts): at most 1,024 locks, however many names.
    await sql`select pg_advisory_xact_lock(${LOGIN_LOCK_CLASS}::int, k) from (select distinct hashtext('login:' || b) & ${LOGIN_LOCK_BUCKETS - 1}::int as k from unnest(${bases}::text[]) as b) as buckets order by k`.execute(trx);
  }
  const used = new Set<string>();
  if (bases.length) {
    const taken = await trx
      .selectFrom('accounts')
      .select(sql<string>`lower(login)`.as('login'))
      .where(sql<boolean>`regexp_replace(lower(login), '[0-9]+$', '') = any(${bases}::text[])`)
      .execute();
    for (const row of taken) used.add(row.login);
  }
  const result: CreatedUser[] = [];
  const newAccounts = created.map((u) => {
    const tenant = tenantByKey.get(u.tenantKey)!;
    const account = { id: randomUUID(), login: nextFreeLogin(loginBaseFor(u.firstName, u.lastName), used), user: u, tenantId: tenantIdByKey.get(u.tenantKey)! };
    result.push({ accountId: account.id, login: account.login, firstName: u.firstName, lastName: u.lastName, email: u.email, tenantName: tenant.values.name, customerNumber: tenant.values.customerNumber });
    return account;
  });
  for (const part of chunks(newAccounts)) {
    await trx
      .insertInto('accounts')
      .values(
        part.map((a) => ({
          id: a.id,
          role: 'user' as const,
          reseller_id: resellerId,
          tenant_id: a.tenantId,
          login: a.login,
          first_name: a.user.firstName,
          last_name: a.user.lastName,
          email: a.user.email,
          import_run_id: runId,
          created_at: actor.at,
          updated_at: actor.at,
        })),
      )
      .execute();
  }
  for (const a of newAccounts) audit.push({ action: 'account.created', subject: a.id, tenant: a.tenantId, details: { role: 'user', login: a.login, via: 'import' } });
  await writeAudit();

  for (const u of plan.users.filter((u) => u.action === 'update')) {
    await trx.updateTable('accounts').set({ first_name: u.firstName, last_name: u.lastName, updated_at: actor.at }).where('id', '=', u.existingId!).execute();
  }

  const accountIdOf = new Map(newAccounts.map((a) => [a.user, a.id]));
  const rights = plan.users.flatMap((u) => [...u.rights].map(([applicationId, role]) => ({ account_id: u.existingId ?? accountIdOf.get(u)!, application_id: applicationId, role })));
  for (const part of chunks(rights)) {
    await trx
      .insertInto('user_rights')
      .values(part.map((r) => ({ ...r, granted_at: actor.at, granted_by: actor.actorId })))
      .onConflict((oc) => oc.columns(['account_id', 'application_id']).doUpdateSet({ role: sql`excluded.role`, granted_at: actor.at, granted_by: actor.actorId }))
      .execute();
  }
  for (const u of plan.users.filter((u) => u.rights.size > 0)) {
    audit.push({ action: 'rights.changed', subject: u.existingId ?? accountIdOf.get(u)!, tenant: tenantIdByKey.get(u.tenantKey)!, details: { rights: Object.fromEntries(u.rights), via: 'import' } });
  }
  audit.push({ action: 'import.committed', details: { runId, ...plan.counts } });
  await writeAudit();
  return result;
}
