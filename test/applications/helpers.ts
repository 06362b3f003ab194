import type { Db } from '../../src/db/database.ts';
import { BASE_URL } from '../helpers/app.ts';
import type { Test } from 'tap';
import { startTestApp } from '../helpers/app.ts';
import type { Browser } from '../helpers/browser.ts';
import { createOperator, createReseller, createResellerStaff, createTenant, createUser, signIn } from '../helpers/fixtures.ts';
import { unescapeHtml, workAs } from '../workspace/helpers.ts';

export { fieldError, fieldValue, unescapeHtml, workAs } from '../workspace/helpers.ts';

// Shared by the application tests: catalogue entries, bookings and rights written straight to
// the database for the setup (the feature under test goes through the forms), and reading the
// messages and choices a page shows.

export interface TestApplication {
  id: string;
  code: string;
  name: string;
  launchUrl: string;
  roles: string[];
}

export async function insertApplication(db: Db, code: string, name: string, roles: string[] = ['nutzer', 'admin'], launchUrl = `https://${code}.agileas.example/start`): Promise<TestApplication> {
  const row = await db
    .insertInto('applications')
    .values({ code, name, description: `${name} für kleine Firmen`, launch_url: launchUrl, roles: JSON.stringify(roles) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, code, name, launchUrl, roles };
}

export async function insertBooking(db: Db, tenantId: string, applicationId: string): Promise<void> {
  await db.insertInto('tenant_applications').values({ tenant_id: tenantId, application_id: applicationId, booked_at: new Date() }).execute();
}

export async function insertRight(db: Db, accountId: string, applicationId: string, role: string): Promise<void> {
  await db.insertInto('user_rights').values({ account_id: accountId, application_id: applicationId, role, granted_at: new Date() }).execute();
}

export async function bookedIds(db: Db, tenantId: string): Promise<string[]> {
  const rows = await db.selectFrom('tenant_applications').select('application_id').where('tenant_id', '=', tenantId).execute();
  return rows.map((row) => row.application_id).sort();
}

export async function rightsOf(db: Db, accountId: string): Promise<Record<string, string>> {
  const rows = await db.selectFrom('user_rights as r').innerJoin('applications as a', 'a.id', 'r.application_id').select(['a.code', 'r.role']).where('r.account_id', '=', accountId).execute();
  return Object.fromEntries(rows.map((row) => [row.code, row.role]));
}

export async function auditEvents(db: Db, action: string) {
  return db.selectFrom('audit_events').selectAll().where('action', '=', action).orderBy('id').execute();
}

/** Everything the application features write, for "nothing was written" checks. */
export async function applicationTables(db: Db) {
  return {
    applications: await db.selectFrom('applications').selectAll().orderBy('id').execute(),
    bookings: await db.selectFrom('tenant_applications').selectAll().orderBy('tenant_id').orderBy('application_id').execute(),
    rights: await db.selectFrom('user_rights').selectAll().orderBy('account_id').orderBy('application_id').execute(),
  };
}

/** The booking checkboxes of the Mandant page: application id → checked. */
export function bookingBoxes(html: string): Record<string, boolean> {
  const boxes: Record<string, boolean> = {};
  for (const match of html.matchAll(/<input type="checkbox" name="anwendung" value="([^"]+)"[^>]*>/g)) boxes[match[1]!] = match[0].includes(' checked');
  return boxes;
}

/** The rights selects of the Anwender page: field name → { options, selected }. */
export function rightSelects(html: string): Record<string, { options: string[]; selected: string | null }> {
  const selects: Record<string, { options: string[]; selected: string | null }> = {};
  for (const match of html.matchAll(/<select id="f-(recht-[^"]+)" name="[^"]+"[^>]*>([\s\S]*?)<\/select>/g)) {
    const options = [...match[2]!.matchAll(/<option value="([^"]*)"( selected)?>([^<]*)<\/option>/g)];
    selects[match[1]!] = { options: options.map((o) => o[1]!), selected: options.find((o) => o[2])?.[1] ?? null };
  }
  return selects;
}

/**
 * Posts a form with repeated fields (several checked boxes of one name), as a browser sends it;
 * Browser.post takes one value per name. Cookies are kept as Browser does.
 */
export async function postPairs(browser: Browser, path: string, pairs: [string, string][]): Promise<{ status: number; body: string; location: string | null }> {
  const response = await browser.app.inject({
    method: 'POST',
    url: path,
    headers: { host: new URL(BASE_URL).host, origin: BASE_URL, 'content-type': 'application/x-www-form-urlencoded', cookie: browser.cookieHeader() },
    payload: new URLSearchParams([['_csrf', browser.csrfToken ?? ''], ...pairs]).toString(),
  });
  for (const cookie of response.cookies as { name: string; value: string; maxAge?: number }[]) {
    if (cookie.maxAge === 0 || cookie.value === '') browser.cookies.delete(cookie.name);
    else browser.cookies.set(cookie.name, cookie.value);
  }
  const location = response.headers.location;
  return { status: response.statusCode, body: response.body, location: typeof location === 'string' ? location : null };
}

/** Nord IT GmbH with Rita signed in, its Mandant Müller Bau GmbH, and a catalogue of Buchhaltung, CRM and Lohn. */
export async function startBookingsWorld(t: Test) {
  const env = await startTestApp(t);
  const { db, app } = env;
  const reseller = await createReseller(db, 'Nord IT GmbH');
  const rita = await createResellerStaff(db, reseller.id);
  const tenant = await createTenant(db, reseller.id, 'Müller Bau GmbH', 'K-1001');
  const buchhaltung = await insertApplication(db, 'buchhaltung', 'Buchhaltung', ['nutzer', 'pruefer', 'admin']);
  const crm = await insertApplication(db, 'crm', 'CRM', ['nutzer', 'admin']);
  const lohn = await insertApplication(db, 'lohn', 'Lohn', ['nutzer']);
  const browser = await signIn(app, rita);
  return { ...env, reseller, rita, tenant, buchhaltung, crm, lohn, browser };
}

/** The bookings world with Buchhaltung and CRM booked for Müller Bau, its Anwender Jörg, and Rita working as Müller Bau. */
export async function startRightsWorld(t: Test) {
  const world = await startBookingsWorld(t);
  const { db, tenant } = world;
  await insertBooking(db, tenant.id, world.buchhaltung.id);
  await insertBooking(db, tenant.id, world.crm.id);
  const joerg = await createUser(db, tenant, { firstName: 'Jörg', lastName: 'Müller', email: 'joerg@example.com', password: null });
  await workAs(world.browser, tenant.id);
  return { ...world, joerg };
}

/** A complete, valid catalogue form; tests change one field at a time. */
export const validApplication = { code: 'buchhaltung', name: 'Buchhaltung', description: 'Belege, Konten und Auswertungen', launchUrl: 'https://buchhaltung.agileas.example/', roles: 'nutzer, admin' };

/** A test app with the operator Otto signed in. */
export async function startOperatorSession(t: Test) {
  const env = await startTestApp(t);
  const otto = await createOperator(env.db);
  const operator = await signIn(env.app, otto);
  return { ...env, otto, operator };
}
