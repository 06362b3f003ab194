import { sql } from 'kysely';
import type { Executor } from '../db/database.ts';
import { text } from '../i18n/de.ts';
import { type CompanyValues, companyValuesFromRow } from '../tenants/company.ts';
import { loginBaseFor } from '../users/login-name.ts';
import { type Catalogue, columnLabels, type Issue, type ParsedRow, parseRow, reconcileTenantRows, type SheetRow, tenantKeyOf } from './rows.ts';

// What an import would do, computed fresh against the database each time: for the preview, and
// again inside the commit's transaction. Nothing here writes.

export interface ImportOptions {
  /** Application codes booked for every Mandant of the file. */
  bookForAll: string[];
  /** "code:rolle" given to every new Anwender, or null. */
  defaultRight: string | null;
}

export interface PlannedTenant {
  key: string;
  line: number;
  values: CompanyValues;
  existingId: string | null;
  action: 'create' | 'update' | 'unchanged';
  changedFields: string[];
  /** Application ids to book (not yet booked). */
  bookings: string[];
}

export interface PlannedUser {
  line: number;
  tenantKey: string;
  firstName: string;
  lastName: string;
  email: string;
  existingId: string | null;
  action: 'create' | 'update' | 'unchanged';
  /** application id → role, only what differs from the database. */
  rights: Map<string, string>;
  /** For new Anwender: the login as it would be generated now. */
  login: string | null;
}

export interface ImportCounts {
  newTenants: number;
  changedTenants: number;
  unchangedTenants: number;
  newUsers: number;
  changedUsers: number;
  unchangedUsers: number;
  errorRows: number;
  warnings: number;
}

export interface ImportPlan {
  tenants: PlannedTenant[];
  users: PlannedUser[];
  issues: Issue[];
  counts: ImportCounts;
}

const companyFields: (keyof CompanyValues)[] = ['name', 'customerNumber', 'street', 'postalCode', 'city', 'country', 'vatId'];

async function loadExisting(db: Executor, resellerId: string, keys: string[]) {
  const numbers = keys.filter((k) => k.startsWith('nr:')).map((k) => k.slice(3));
  const fingerprints = keys.filter((k) => k.startsWith('fp:')).map((k) => k.slice(3));
  if (keys.length === 0) return { tenants: [], bookings: [], users: [], rights: [] };
  const tenants = await db
    .selectFrom('tenants')
    .selectAll()
    .where('reseller_id', '=', resellerId)
    .where((eb) =>
      eb.or([
        ...(numbers.length ? [eb(sql`lower(customer_number)`, 'in', numbers)] : []),
        ...(fingerprints.length ? [eb(sql`lower(name) || '|' || postal_code`, 'in', fingerprints)] : []),
      ]),
    )
    .execute();
  const tenantIds = tenants.map((t) => t.id);
  if (tenantIds.length === 0) return { tenants, bookings: [], users: [], rights: [] };
  const bookings = await db.selectFrom('tenant_applications').select(['tenant_id', 'application_id']).where('tenant_id', 'in', tenantIds).execute();
  const users = await db
    .selectFrom('accounts')
    .select(['id', 'tenant_id', 'first_name', 'last_name', sql<string>`lower(email)`.as('email')])
    .where('tenant_id', 'in', tenantIds)
    .where('role', '=', 'user')
    .execute();
  const rights: { account_id: string; application_id: string; role: string }[] = [];
  // In slices: one IN list of every Anwender of big Mandanten would pass Postgres' parameter limit.
  for (let i = 0; i < users.length; i += 10_000) {
    const ids = users.slice(i, i + 10_000).map((u) => u.id);
    rights.push(...(await db.selectFrom('user_rights').select(['account_id', 'application_id', 'role']).where('account_id', 'in', ids).execute()));
  }
  return { tenants, bookings, users, rights };
}

/** Logins the new Anwender would get now; the commit allocates them for real under a lock. */
async function previewLogins(db: Executor, users: PlannedUser[]): Promise<void> {
  const created = users.filter((u) => u.action === 'create');
  if (created.length === 0) return;
  const bases = [...new Set(created.map((u) => loginBaseFor(u.firstName, u.lastName)))];
  const taken = await db
    .selectFrom('accounts')
    .select(sql<string>`lower(login)`.as('login'))
    // One array parameter, not 20,000: the statement stays small however many names the file has.
    .where(sql<boolean>`regexp_replace(lower(login), '[0-9]+$', '') = any(${bases}::text[])`)
    .execute();
  const used = new Set(taken.map((r) => r.login));
  for (const user of created) user.login = nextFreeLogin(loginBaseFor(user.firstName, user.lastName), used);
}

export function nextFreeLogin(base: string, used: Set<string>): string {
  let login = base;
  for (let n = 2; used.has(login); n++) login = `${base}${n}`;
  used.add(login);
  return login;
}

/** rows: the file's rows page by page (runs.ts readImportRows); each page is parsed and let go. */
export async function buildImportPlan(db: Executor, resellerId: string, rows: AsyncIterable<SheetRow[]>, options: ImportOptions, catalogue: Catalogue): Promise<ImportPlan> {
  const issues: Issue[] = [];
  const optionError = (message: string) => issues.push({ line: null, column: text.imports.optionsColumn, message, severity: 'error' });
  const bookForAll = options.bookForAll.filter((code) => catalogue.byCode.has(code));
  let defaultRight: [string, string] | null = null;
  if (options.defaultRight) {
    const [code = '', role = ''] = options.defaultRight.split(':');
    const app = catalogue.byCode.get(code);
    if (!app || !app.roles.includes(role)) optionError(text.imports.unknownRole(code, role, app?.roles ?? []));
    else if (!bookForAll.includes(code)) optionError(text.imports.defaultRightNotBooked(app.name));
    else defaultRight = [code, role];
  }

  // Parse, then group by Mandant; the rows of a group together say what the Mandant is.
  const groups = new Map<string, ParsedRow[]>();
  for await (const page of rows) {
    for (const row of page) {
      const parsed = parseRow(row, catalogue, issues);
      const group = groups.get(parsed.tenantKey);
      if (group) group.push(parsed);
      else groups.set(parsed.tenantKey, [parsed]);
    }
  }

  // Each Mandant as its rows agree on it; its key again from the agreed values (a PLZ restored
  // only once the country was known finds the Mandant stored with it).
  const keys = new Set<string>();
  const mandanten = [...groups].map(([groupKey, group]) => {
    const agreed = reconcileTenantRows(group, issues);
    const agreedKey = tenantKeyOf(agreed.tenant);
    // Two groups that turn out to be one Mandant (1067 as a number, 01067 as text, no
    // Kundennummer) stay two entries of the plan rather than sharing a key and mixing their rows.
    const key = keys.has(agreedKey) ? groupKey : agreedKey;
    keys.add(key);
    return { key, group, agreed };
  });

  const existing = await loadExisting(db, resellerId, [...new Set(mandanten.map((m) => m.key))]);
  const existingByKey = new Map(existing.tenants.map((t) => [tenantKeyOf(companyValuesFromRow(t)), t]));
  // A file row with a Kundennummer only matches by number; without one, by Firma + PLZ.
  for (const t of existing.tenants) {
    const fp = `fp:${t.name.toLowerCase()}|${t.postal_code}`;
    if (!existingByKey.has(fp)) existingByKey.set(fp, t);
  }

  // Lookups by key: a file of 20,000 rows against as many existing ones stays linear.
  const bookedByTenant = new Map<string, Set<string>>();
  for (const b of existing.bookings) {
    if (!bookedByTenant.has(b.tenant_id)) bookedByTenant.set(b.tenant_id, new Set());
    bookedByTenant.get(b.tenant_id)!.add(b.application_id);
  }
  const userByEmail = new Map(existing.users.map((u) => [`${u.tenant_id}|${u.email}`, u]));
  const rightByKey = new Map(existing.rights.map((r) => [`${r.account_id}|${r.application_id}`, r.role]));

  const tenants: PlannedTenant[] = [];
  const users: PlannedUser[] = [];
  for (const { key, group, agreed } of mandanten) {
    const first = group[0]!;
    const current = existingByKey.get(key);
    const booked = (current && bookedByTenant.get(current.id)) || new Set<string>();
    const wantedCodes = new Set([...agreed.applications, ...bookForAll]);
    const available = new Set([...wantedCodes].filter((c) => catalogue.byCode.has(c)).map((c) => catalogue.byCode.get(c)!.id));
    for (const id of booked) available.add(id);
    const bookings = [...available].filter((id) => !booked.has(id));
    const currentValues = current ? companyValuesFromRow(current) : null;
    // An empty optional cell is "no information", not "delete it".
    const changedFields = currentValues
      ? companyFields.filter((f) => f !== 'customerNumber' && !(f === 'vatId' && !agreed.tenant.vatId) && agreed.tenant[f] !== currentValues[f])
      : [];
    tenants.push({
      key,
      line: first.line,
      values: agreed.tenant,
      existingId: current?.id ?? null,
      action: !current ? 'create' : changedFields.length || bookings.length ? 'update' : 'unchanged',
      changedFields,
      bookings,
    });

    // One Anwender per e-mail address within a Mandant, whatever the case it is written in.
    const seenEmails = new Map<string, number>();
    for (const row of group) {
      if (!row.user) continue;
      const { user } = row;
      const earlier = seenEmails.get(user.emailKey);
      if (earlier !== undefined && user.email) {
        issues.push({ line: row.line, column: columnLabels.email, message: text.imports.emailTwice(earlier), severity: 'error' });
        continue;
      }
      seenEmails.set(user.emailKey, row.line);
      const match = current ? userByEmail.get(`${current.id}|${user.emailKey}`) : undefined;
      const rights = new Map<string, string>();
      for (const [code, role] of user.rights) {
        const app = catalogue.byCode.get(code)!;
        if (!available.has(app.id)) {
          issues.push({ line: row.line, column: columnLabels.rights, message: text.imports.rightNotBooked(app.name), severity: 'error' });
          continue;
        }
        if (!match || rightByKey.get(`${match.id}|${app.id}`) !== role) rights.set(app.id, role);
      }
      if (!match && defaultRight && !user.rights.has(defaultRight[0])) rights.set(catalogue.byCode.get(defaultRight[0])!.id, defaultRight[1]);
      const renamed = match && (match.first_name !== user.firstName || match.last_name !== user.lastName);
      users.push({
        line: row.line,
        tenantKey: key,
        firstName: user.firstName,
        lastName: user.lastName,
        email: user.email,
        existingId: match?.id ?? null,
        action: !match ? 'create' : renamed || rights.size ? 'update' : 'unchanged',
        rights,
        login: null,
      });
    }
  }
  const errorLines = new Set(issues.filter((i) => i.severity === 'error').map((i) => i.line));
  // A row that will not be imported gets no login, and takes none from the rows that will.
  await previewLogins(db, users.filter((u) => !errorLines.has(u.line)));

  const count = <T extends { action: string }>(list: T[], action: string) => list.filter((x) => x.action === action).length;
  return {
    tenants,
    users,
    issues: issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
    counts: {
      newTenants: count(tenants, 'create'),
      changedTenants: count(tenants, 'update'),
      unchangedTenants: count(tenants, 'unchanged'),
      newUsers: count(users, 'create'),
      changedUsers: count(users, 'update'),
      unchangedUsers: count(users, 'unchanged'),
      errorRows: errorLines.size,
      warnings: issues.filter((i) => i.severity === 'warning').length,
    },
  };
}

export function hasBlockingIssues(plan: ImportPlan): boolean {
  return plan.issues.some((issue) => issue.severity === 'error');
}
