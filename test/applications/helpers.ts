import type { Db } from '../../src/db/database.ts';
import { BASE_URL } from '../helpers/app.ts';
import type { Browser } from '../helpers/browser.ts';

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

export function unescapeHtml(value: string): string {
  return value.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** The German message shown at a form field (`f-<field>-error`), or null. */
export function fieldError(html: string, field: string): string | null {
  const match = new RegExp(`id="f-${field}-error">([^<]*)<`).exec(html);
  return match ? unescapeHtml(match[1]!) : null;
}

/** The value an input field shows. */
export function fieldValue(html: string, field: string): string | null {
  const match = new RegExp(`<input id="f-${field}" [^>]*value="([^"]*)"`).exec(html);
  return match ? unescapeHtml(match[1]!) : null;
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

/** "Als ausgewählter Mandant arbeiten" through the Mandanten form. */
export async function workAs(browser: Browser, tenantId: string): Promise<void> {
  await browser.get('/mandanten');
  const page = await browser.post('/mandanten/auswahl', { mandant: tenantId, aktion: 'arbeiten' });
  if (page.status !== 303) throw new Error(`selecting the Mandant failed with ${page.status}`);
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
