import { sql } from 'kysely';
import { recordAuditEvent, recordAuditEvents } from '../audit/audit.ts';
import type { Executor, Tx } from '../db/database.ts';
import { text } from '../i18n/de.ts';
import type { FormErrors } from '../web/forms.ts';
import { isUuid } from '../web/listing.ts';
import { type ApplicationValues, splitRoles } from './form.ts';

// The application catalogue (kept by the operator), the bookings per Mandant and the access
// rights per Anwender. The catalogue is global; bookings and rights always belong to a Mandant,
// and the functions the routes call take the reseller id and filter by it.

export interface ApplicationActor {
  actorId: string;
  at: Date;
  ip: string | null;
  /** An operator acting for a reseller (support mode). */
  support?: boolean;
}

export interface CatalogueEntry {
  id: string;
  code: string;
  name: string;
  description: string;
  launch_url: string;
  roles: string[];
}

/** The form's input cannot be saved as it is; the messages belong at the fields. */
export class ApplicationRefusedError extends Error {
  readonly errors: FormErrors;
  constructor(errors: FormErrors) {
    super('application refused');
    this.errors = errors;
  }
}

/** An application id that is not in the catalogue. */
export class UnknownApplicationError extends Error {
  constructor() {
    super('unknown application');
  }
}

export type RightProblem = 'unknown-application' | 'not-booked' | 'unknown-role';

/** Some of the wanted rights are not possible; nothing was written. */
export class RightsRefusedError extends Error {
  readonly problems: { applicationId: string; name: string | null; reason: RightProblem }[];
  constructor(problems: RightsRefusedError['problems']) {
    super('rights refused');
    this.problems = problems;
  }
}

const catalogueColumns = ['id', 'code', 'name', 'description', 'launch_url', 'roles'] as const;

/** The whole catalogue by name: for the booking form, the import template and its checks. */
export async function listCatalogue(db: Executor): Promise<CatalogueEntry[]> {
  return db.selectFrom('applications').select(catalogueColumns).orderBy(sql`lower(name)`).orderBy('code').execute();
}

/** The catalogue with the number of Mandanten that booked each application (operator's list). */
export async function listCatalogueWithBookings(db: Executor): Promise<(CatalogueEntry & { booked_count: number })[]> {
  const rows = await db
    .selectFrom('applications as a')
    .select(['a.id', 'a.code', 'a.name', 'a.description', 'a.launch_url', 'a.roles'])
    .select((eb) =>
      eb
        .selectFrom('tenant_applications as ta')
        .select(eb.fn.countAll<number>().as('n'))
        .whereRef('ta.application_id', '=', 'a.id')
        .as('booked_count'),
    )
    .orderBy(sql`lower(a.name)`)
    .orderBy('a.code')
    .execute();
  return rows.map((row) => ({ ...row, booked_count: Number(row.booked_count ?? 0) }));
}

export async function findApplication(db: Executor, applicationId: string): Promise<CatalogueEntry | undefined> {
  return db.selectFrom('applications').select(catalogueColumns).where('id', '=', applicationId).executeTakeFirst();
}

async function assertCodeFree(trx: Tx, code: string, exceptId: string | null): Promise<void> {
  // Serialises two operators saving the same code; the unique index on lower(code) is the backstop.
  await sql`select pg_advisory_xact_lock(hashtext(${`application:${code.toLowerCase()}`}))`.execute(trx);
  let query = trx.selectFrom('applications').select('name').where(sql<string>`lower(code)`, '=', code.toLowerCase());
  if (exceptId) query = query.where('id', '<>', exceptId);
  const holder = await query.executeTakeFirst();
  if (holder) throw new ApplicationRefusedError({ code: text.applications.codeTaken(holder.name) });
}

export async function createApplication(trx: Tx, values: ApplicationValues, actor: ApplicationActor): Promise<{ id: string }> {
  await assertCodeFree(trx, values.code, null);
  const roles = splitRoles(values.roles);
  const application = await trx
    .insertInto('applications')
    .values({ code: values.code, name: values.name, description: values.description, launch_url: values.launchUrl, roles: JSON.stringify(roles), created_at: actor.at, updated_at: actor.at })
    .returning('id')
    .executeTakeFirstOrThrow();
  await recordAuditEvent(trx, {
    action: 'application.created',
    at: actor.at,
    actorId: actor.actorId,
    ip: actor.ip,
    details: { applicationId: application.id, code: values.code, name: values.name, roles },
  });
  return application;
}

/** false: no such application. A role still held by Anwender cannot be removed. */
export async function updateApplication(trx: Tx, applicationId: string, values: ApplicationValues, actor: ApplicationActor): Promise<boolean> {
  // The row lock makes grants of a role that is being removed wait (they read the row for share).
  const current = await trx.selectFrom('applications').select(catalogueColumns).where('id', '=', applicationId).forUpdate().executeTakeFirst();
  if (!current) return false;
  await assertCodeFree(trx, values.code, applicationId);
  const roles = splitRoles(values.roles);
  const removed = current.roles.filter((role) => !roles.includes(role));
  if (removed.length) {
    const inUse = await trx
      .selectFrom('user_rights')
      .select(['role', (eb) => eb.fn.countAll<number>().as('n')])
      .where('application_id', '=', applicationId)
      .where('role', 'in', removed)
      .groupBy('role')
      .execute();
    if (inUse.length) {
      const first = inUse.sort((a, b) => removed.indexOf(a.role) - removed.indexOf(b.role))[0]!;
      throw new ApplicationRefusedError({ roles: text.applications.roleInUse(first.role, Number(first.n)) });
    }
  }
  const row = { code: values.code, name: values.name, description: values.description, launch_url: values.launchUrl };
  await trx
    .updateTable('applications')
    .set({ ...row, roles: JSON.stringify(roles), updated_at: actor.at })
    .where('id', '=', applicationId)
    .execute();
  const changed = Object.keys(row).filter((key) => current[key as keyof typeof row] !== row[key as keyof typeof row]);
  if (JSON.stringify(current.roles) !== JSON.stringify(roles)) changed.push('roles');
  await recordAuditEvent(trx, {
    action: 'application.updated',
    at: actor.at,
    actorId: actor.actorId,
    ip: actor.ip,
    details: { applicationId, code: values.code, changed, rolesAdded: roles.filter((role) => !current.roles.includes(role)), rolesRemoved: removed },
  });
  return true;
}

// Bookings ---------------------------------------------------------------------------------------

/** What the booking section of the Mandant page shows: the catalogue and the booked ids. */
export async function tenantBookings(db: Executor, tenantId: string): Promise<{ catalogue: CatalogueEntry[]; bookedIds: string[] }> {
  const catalogue = await listCatalogue(db);
  const booked = await db.selectFrom('tenant_applications').select('application_id').where('tenant_id', '=', tenantId).execute();
  return { catalogue, bookedIds: booked.map((row) => row.application_id) };
}

async function tenantOwner(trx: Tx, tenantId: string): Promise<string> {
  const tenant = await trx.selectFrom('tenants').select('reseller_id').where('id', '=', tenantId).executeTakeFirst();
  if (!tenant) throw new Error(`tenant ${tenantId} does not exist`);
  return tenant.reseller_id;
}

/**
 * Books the applications for the Mandant; already booked ones stay as they are (idempotent), and
 * only new bookings are audited. Returns the codes of the new bookings. An id that is not in the
 * catalogue throws UnknownApplicationError.
 */
export async function bookApplications(trx: Tx, tenantId: string, applicationIds: readonly string[], actor: ApplicationActor): Promise<string[]> {
  const ids = [...new Set(applicationIds)];
  if (ids.length === 0) return [];
  if (!ids.every(isUuid)) throw new UnknownApplicationError();
  const resellerId = await tenantOwner(trx, tenantId);
  const applications = await trx.selectFrom('applications').select(['id', 'code']).where('id', 'in', ids).orderBy('code').execute();
  if (applications.length !== ids.length) throw new UnknownApplicationError();
  const inserted = await trx
    .insertInto('tenant_applications')
    .values(applications.map((application) => ({ tenant_id: tenantId, application_id: application.id, booked_at: actor.at, booked_by: actor.actorId })))
    .onConflict((oc) => oc.columns(['tenant_id', 'application_id']).doNothing())
    .returning('application_id')
    .execute();
  const newIds = new Set(inserted.map((row) => row.application_id));
  const booked = applications.filter((application) => newIds.has(application.id));
  await recordAuditEvents(
    trx,
    booked.map((application) => ({
      action: 'application.booked',
      at: actor.at,
      actorId: actor.actorId,
      resellerId,
      tenantId,
      ip: actor.ip,
      details: { code: application.code, applicationId: application.id, support: actor.support ?? false },
    })),
  );
  return booked.map((application) => application.code);
}

/**
 * Cancels the bookings; every right of the Mandant's Anwender in those applications goes with them,
 * in the same transaction. Applications that were not booked are skipped.
 */
export async function cancelApplications(trx: Tx, tenantId: string, applicationIds: readonly string[], actor: ApplicationActor): Promise<{ codes: string[]; removedRights: number }> {
  const ids = [...new Set(applicationIds)].filter(isUuid);
  if (ids.length === 0) return { codes: [], removedRights: 0 };
  const resellerId = await tenantOwner(trx, tenantId);
  const deleted = await trx.deleteFrom('tenant_applications').where('tenant_id', '=', tenantId).where('application_id', 'in', ids).returning('application_id').execute();
  if (deleted.length === 0) return { codes: [], removedRights: 0 };
  const deletedIds = deleted.map((row) => row.application_id);
  const removed = await trx
    .deleteFrom('user_rights')
    .where('application_id', 'in', deletedIds)
    .where('account_id', 'in', (eb) => eb.selectFrom('accounts').select('id').where('tenant_id', '=', tenantId))
    .returning('application_id')
    .execute();
  const applications = await trx.selectFrom('applications').select(['id', 'code']).where('id', 'in', deletedIds).orderBy('code').execute();
  await recordAuditEvents(
    trx,
    applications.map((application) => ({
      action: 'application.cancelled',
      at: actor.at,
      actorId: actor.actorId,
      resellerId,
      tenantId,
      ip: actor.ip,
      details: {
        code: application.code,
        applicationId: application.id,
        removedRights: removed.filter((row) => row.application_id === application.id).length,
        support: actor.support ?? false,
      },
    })),
  );
  return { codes: applications.map((application) => application.code), removedRights: removed.length };
}

/**
 * The booking form's save: exactly the wanted applications are booked afterwards. null when the
 * Mandant is not the reseller's.
 */
export async function setBookings(
  trx: Tx,
  resellerId: string,
  tenantId: string,
  wantedIds: readonly string[],
  actor: ApplicationActor,
): Promise<{ booked: string[]; cancelled: string[]; removedRights: number } | null> {
  // The Mandant row lock serialises two saves of the same booking form.
  const tenant = await trx.selectFrom('tenants').select('id').where('id', '=', tenantId).where('reseller_id', '=', resellerId).forUpdate().executeTakeFirst();
  if (!tenant) return null;
  const wanted = [...new Set(wantedIds)];
  if (!wanted.every(isUuid)) throw new UnknownApplicationError();
  if (wanted.length) {
    const known = await trx.selectFrom('applications').select('id').where('id', 'in', wanted).execute();
    if (known.length !== wanted.length) throw new UnknownApplicationError();
  }
  const current = (await trx.selectFrom('tenant_applications').select('application_id').where('tenant_id', '=', tenantId).execute()).map((row) => row.application_id);
  const booked = await bookApplications(trx, tenantId, wanted.filter((id) => !current.includes(id)), actor);
  const cancelled = await cancelApplications(trx, tenantId, current.filter((id) => !wanted.includes(id)), actor);
  return { booked, cancelled: cancelled.codes, removedRights: cancelled.removedRights };
}

// Rights -----------------------------------------------------------------------------------------

export interface RightRow {
  id: string;
  code: string;
  name: string;
  description: string;
  roles: string[];
  /** The Anwender's role, null: kein Zugriff. */
  role: string | null;
}

/** The applications booked for the Mandant, each with the Anwender's role in it. */
export async function userRights(db: Executor, tenantId: string, accountId: string): Promise<RightRow[]> {
  return db
    .selectFrom('applications as a')
    .innerJoin('tenant_applications as ta', (join) => join.onRef('ta.application_id', '=', 'a.id').on('ta.tenant_id', '=', tenantId))
    .leftJoin('user_rights as r', (join) => join.onRef('r.application_id', '=', 'a.id').on('r.account_id', '=', accountId))
    .select(['a.id', 'a.code', 'a.name', 'a.description', 'a.roles', 'r.role'])
    .orderBy(sql`lower(a.name)`)
    .orderBy('a.code')
    .execute();
}

/**
 * Sets the Anwender's role per application (null: no access). Only booked applications and roles
 * the application knows are accepted; otherwise RightsRefusedError and nothing is written. Rights
 * that are already as wanted are left alone; one 'rights.changed' event lists the real changes.
 * Returns the changes as code → role (null: removed).
 */
export async function setUserRights(trx: Tx, accountId: string, wanted: Readonly<Record<string, string | null>>, actor: ApplicationActor): Promise<Record<string, string | null>> {
  const malformed = Object.keys(wanted).filter((id) => !isUuid(id));
  if (malformed.length) throw new RightsRefusedError(malformed.map((id) => ({ applicationId: id, name: null, reason: 'unknown-application' })));
  const ids = Object.keys(wanted);
  if (ids.length === 0) return {};
  const account = await trx.selectFrom('accounts').select(['id', 'tenant_id', 'reseller_id']).where('id', '=', accountId).where('role', '=', 'user').executeTakeFirst();
  if (!account?.tenant_id) throw new Error(`account ${accountId} is not an Anwender of a Mandant`);
  // Shared locks: a change of the roles or a cancellation of the booking waits for this commit.
  const applications = await trx.selectFrom('applications').select(['id', 'code', 'name', 'roles']).where('id', 'in', ids).orderBy('code').forShare().execute();
  const bookings = await trx
    .selectFrom('tenant_applications')
    .select('application_id')
    .where('tenant_id', '=', account.tenant_id)
    .where('application_id', 'in', ids)
    .forShare()
    .execute();
  const booked = new Set(bookings.map((row) => row.application_id));
  const byId = new Map(applications.map((application) => [application.id, application]));

  const problems: RightsRefusedError['problems'] = [];
  for (const id of ids) {
    const application = byId.get(id);
    const role = wanted[id] ?? null;
    if (!application) problems.push({ applicationId: id, name: null, reason: 'unknown-application' });
    else if (role !== null && !booked.has(id)) problems.push({ applicationId: id, name: application.name, reason: 'not-booked' });
    else if (role !== null && !application.roles.includes(role)) problems.push({ applicationId: id, name: application.name, reason: 'unknown-role' });
  }
  if (problems.length) throw new RightsRefusedError(problems);

  const current = new Map(
    (await trx.selectFrom('user_rights').select(['application_id', 'role']).where('account_id', '=', accountId).where('application_id', 'in', ids).execute()).map((row) => [
      row.application_id,
      row.role,
    ]),
  );
  const changes: Record<string, string | null> = {};
  for (const application of applications) {
    const role = wanted[application.id] ?? null;
    if ((current.get(application.id) ?? null) === role) continue;
    if (role === null) {
      await trx.deleteFrom('user_rights').where('account_id', '=', accountId).where('application_id', '=', application.id).execute();
    } else {
      await trx
        .insertInto('user_rights')
        .values({ account_id: accountId, application_id: application.id, role, granted_at: actor.at, granted_by: actor.actorId })
        .onConflict((oc) => oc.columns(['account_id', 'application_id']).doUpdateSet({ role, granted_at: actor.at, granted_by: actor.actorId }))
        .execute();
    }
    changes[application.code] = role;
  }
  if (Object.keys(changes).length) {
    await recordAuditEvent(trx, {
      action: 'rights.changed',
      at: actor.at,
      actorId: actor.actorId,
      subjectId: accountId,
      resellerId: account.reseller_id,
      tenantId: account.tenant_id,
      ip: actor.ip,
      details: { rights: changes, support: actor.support ?? false },
    });
  }
  return changes;
}

/** One right (role null: no access); idempotent. true when something changed. */
export async function setUserRight(trx: Tx, accountId: string, applicationId: string, role: string | null, actor: ApplicationActor): Promise<boolean> {
  const changes = await setUserRights(trx, accountId, { [applicationId]: role }, actor);
  return Object.keys(changes).length > 0;
}

// Meine Anwendungen ------------------------------------------------------------------------------

export interface MyApplication {
  id: string;
  name: string;
  description: string;
  launch_url: string;
  role: string;
}

/** The applications the Anwender has a right in and that their Mandant still has booked. */
export async function listMyApplications(db: Executor, accountId: string): Promise<MyApplication[]> {
  return db
    .selectFrom('user_rights as r')
    .innerJoin('accounts as u', 'u.id', 'r.account_id')
    .innerJoin('tenant_applications as ta', (join) => join.onRef('ta.application_id', '=', 'r.application_id').onRef('ta.tenant_id', '=', 'u.tenant_id'))
    .innerJoin('applications as a', 'a.id', 'r.application_id')
    .select(['a.id', 'a.name', 'a.description', 'a.launch_url', 'r.role'])
    .where('r.account_id', '=', accountId)
    .orderBy(sql`lower(a.name)`)
    .orderBy('a.code')
    .execute();
}
