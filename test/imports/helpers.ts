// First: exceljs' streaming reader is repaired before exceljs loads (src/imports/exceljs.ts).
import '../../src/imports/exceljs.ts';
import ExcelJS from 'exceljs';
import type { Db } from '../../src/db/database.ts';
import { text } from '../../src/i18n/de.ts';
import { BASE_URL, startTestApp, type TestApp } from '../helpers/app.ts';
import { type Browser, type Page, pageOf, visibleText } from '../helpers/browser.ts';
import { createReseller, createResellerStaff, type Person, signIn } from '../helpers/fixtures.ts';

export { waitFor } from '../helpers/wait.ts';

// Shared by the import tests: real spreadsheet files (XLSX written by exceljs, CSV bytes in the
// encoding asked for), the multipart upload through the real route, and reading what the
// preview, result and progress pages show.

export const header = ['Kundennummer', 'Firma', 'Straße', 'PLZ', 'Ort', 'Land', 'USt-IdNr', 'Anwendungen', 'Vorname', 'Nachname', 'E-Mail', 'Zugriffsrechte'];

export interface RowValues {
  kundennummer?: string;
  firma?: string;
  strasse?: string;
  plz?: string;
  ort?: string;
  land?: string;
  ust?: string;
  anwendungen?: string;
  vorname?: string;
  nachname?: string;
  email?: string;
  rechte?: string;
}

/** One file row in the template's column order; empty cells for what is left out. */
export function row(v: RowValues): string[] {
  return [v.kundennummer, v.firma, v.strasse, v.plz, v.ort, v.land, v.ust, v.anwendungen, v.vorname, v.nachname, v.email, v.rechte].map((cell) => cell ?? '');
}

/** A Mandant's columns, filled in; the user columns empty. */
export function mandant(kundennummer: string, firma: string, more: RowValues = {}): RowValues {
  return { kundennummer, firma, strasse: 'Hafenweg 1', plz: '20095', ort: 'Hamburg', land: 'DE', ...more };
}

/** An XLSX with one sheet "Daten": the header (or the one given) and the rows, written by exceljs. */
export async function xlsx(rows: string[][], head: string[] = header): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Daten');
  sheet.addRow(head);
  for (const r of rows) sheet.addRow(r);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** CSV bytes as a spreadsheet program saves them; quotes only where needed. */
export function csv(rows: string[][], options: { delimiter?: string; encoding?: 'utf-8' | 'utf-8-bom' | 'windows-1252'; head?: string[] } = {}): Buffer {
  const delimiter = options.delimiter ?? ';';
  const quote = (cell: string) => (cell.includes(delimiter) || /["\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell);
  const content = [options.head ?? header, ...rows].map((r) => r.map(quote).join(delimiter)).join('\r\n') + '\r\n';
  if (options.encoding === 'windows-1252') return latin1(content);
  return Buffer.concat([options.encoding === 'utf-8-bom' ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(content, 'utf8')]);
}

/** Windows-1252 for the characters German tables use (Latin-1 range plus the euro sign). */
function latin1(content: string): Buffer {
  const bytes = Buffer.alloc(content.length);
  for (let i = 0; i < content.length; i++) {
    const code = content.charCodeAt(i);
    if (code === 0x20ac) bytes[i] = 0x80;
    else if (code <= 0xff) bytes[i] = code;
    else throw new Error(`character ${content[i]} not in Windows-1252 here`);
  }
  return bytes;
}

export function multipart(csrf: string, fileName: string | null, content: Buffer): { body: Buffer; type: string } {
  const boundary = '----agileas' + Math.random().toString(16).slice(2);
  const parts: Buffer[] = [Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n`)];
  if (fileName !== null) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="datei"; filename="${fileName}"\r\nContent-Type: application/octet-stream\r\n\r\n`), content, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

/**
 * Posts the file to /import as the browser's form would (multipart, with its CSRF token and
 * session cookie). fileName null sends the form without a file part.
 */
export async function upload(browser: Browser, fileName: string | null, content: Buffer = Buffer.alloc(0)): Promise<Page> {
  if (!browser.csrfToken) await browser.get('/import');
  const { body, type } = multipart(browser.csrfToken!, fileName, content);
  const host = new URL(BASE_URL).host;
  const res = await browser.app.inject({ method: 'POST', url: '/import', payload: body, headers: { 'content-type': type, cookie: browser.cookieHeader(), origin: BASE_URL, host } });
  return pageOf(res);
}

/** Uploads a file that must be accepted; the path of its preview (/import/<id>). */
export async function uploadOk(browser: Browser, fileName: string, content: Buffer): Promise<string> {
  const res = await upload(browser, fileName, content);
  if (res.status !== 303 || !res.location) throw new Error(`upload of ${fileName} answered ${res.status}: ${fieldError(res.body) ?? visibleText(res.body).slice(0, 300)}`);
  return res.location;
}

/** A download's raw bytes (GET through the browser's session). */
export async function download(browser: Browser, path: string): Promise<{ status: number; type: string; disposition: string; bytes: Buffer }> {
  const res = await browser.app.inject({ method: 'GET', url: path, headers: { cookie: browser.cookieHeader(), host: new URL(BASE_URL).host } });
  return { status: res.statusCode, type: String(res.headers['content-type'] ?? ''), disposition: String(res.headers['content-disposition'] ?? ''), bytes: res.rawPayload };
}

/** The message at the file field (`f-datei-error`), unescaped; null when there is none. */
export function fieldError(html: string): string | null {
  const match = /id="f-datei-error">([^<]*)</.exec(html);
  return match ? unescape(match[1]!) : null;
}

export function unescape(value: string): string {
  return value.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

/** The numbers of a page's `<dl class="facts">`, by their German label. */
export function facts(html: string): Record<string, number> {
  const list = /<dl class="facts">([\s\S]*?)<\/dl>/.exec(html)?.[1] ?? '';
  const out: Record<string, number> = {};
  for (const m of list.matchAll(/<dt>([^<]*)<\/dt>\s*<dd[^>]*>([^<]*)<\/dd>/g)) out[unescape(m[1]!.trim())] = Number(m[2]!.trim());
  return out;
}

/** The rows of the table that follows a heading (h2) with this text, as cell texts. */
export function tableAfter(html: string, heading: string): string[][] {
  const start = html.indexOf(`<h2>${heading}</h2>`);
  if (start < 0) return [];
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(html.slice(start))?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) => [...r[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => unescape(c[1]!.replace(/<[^>]+>/g, '').trim())));
}

export interface ShownIssue {
  line: string;
  column: string;
  severity: string;
  message: string;
}

/** The preview's table "Fehler und Hinweise". */
export function issues(html: string): ShownIssue[] {
  return tableAfter(html, 'Fehler und Hinweise').map(([line, column, severity, message]) => ({ line: line!, column: column!, severity: severity!, message: message! }));
}

/** The preview's table of logins: [name, e-mail, login]. */
export function plannedLogins(html: string): { name: string; email: string; login: string }[] {
  return tableAfter(html, 'Logins der neuen Anwender').map(([name, email, login]) => ({ name: name!, email: email!, login: login! }));
}

/** The result page's table of new Anwender: [Mandant, Kundennummer, Name, E-Mail, Login]. */
export function resultRows(html: string): { tenant: string; customerNumber: string; name: string; email: string; login: string }[] {
  const body = /<caption[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((r) => {
    const [tenant, customerNumber, name, email, login] = [...r[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => unescape(c[1]!.trim()));
    return { tenant: tenant!, customerNumber: customerNumber!, name: name!, email: email!, login: login! };
  });
}

/** A CSV download (UTF-8 with BOM, ";") split into cells; handles quoted cells. */
export function parseCsv(bytes: Buffer): string[][] {
  let content = bytes.toString('utf8');
  if (content.startsWith('\uFEFF')) content = content.slice(1);
  const rows: string[][] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < content.length; i++) {
    const c = content[i]!;
    if (quoted) {
      if (c === '"' && content[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ';') {
      cells.push(cell);
      cell = '';
    } else if (c === '\r' && content[i + 1] === '\n') {
      cells.push(cell);
      rows.push(cells);
      cells = [];
      cell = '';
      i++;
    } else cell += c;
  }
  if (cell || cells.length) rows.push([...cells, cell]);
  return rows;
}

export interface ImportSetup extends TestApp {
  reseller: { id: string; name: string };
  rita: Person;
  browser: Browser;
}

/** The app with one reseller whose staff member Rita is signed in and on the Import tab. */
export async function startImportApp(t: Parameters<typeof startTestApp>[0], env: Record<string, string> = {}, options: { startWorker?: boolean } = {}): Promise<ImportSetup> {
  const test = await startTestApp(t, env, options);
  const reseller = await createReseller(test.db);
  const rita = await createResellerStaff(test.db, reseller.id);
  const browser = await signIn(test.app, rita);
  await browser.get('/import');
  return { ...test, reseller, rita, browser };
}

export async function addApplication(db: Db, code: string, name: string, roles: string[] = ['nutzer', 'admin']): Promise<{ id: string; code: string; name: string; roles: string[] }> {
  const { id } = await db
    .insertInto('applications')
    .values({ code, name, description: `${name} für kleine Firmen`, launch_url: `https://${code}.example/`, roles: JSON.stringify(roles) })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id, code, name, roles };
}

const countedTables = ['tenants', 'accounts', 'tenant_applications', 'user_rights', 'import_runs', 'password_links', 'mail_deliveries', 'audit_events'] as const;
export type CountedTable = (typeof countedTables)[number];

/** Row counts of every table an import writes to. */
export async function tableCounts(db: Db): Promise<Record<CountedTable, number>> {
  const out = {} as Record<CountedTable, number>;
  for (const table of countedTables) {
    const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  return out;
}

/** Everything an import could change, row by row, in a stable order: for "nothing written". */
export async function importTables(db: Db): Promise<string> {
  const [tenants, accounts, bookings, rights, runs, links, deliveries] = await Promise.all([
    db.selectFrom('tenants').selectAll().orderBy('id').execute(),
    db.selectFrom('accounts').selectAll().orderBy('id').execute(),
    db.selectFrom('tenant_applications').selectAll().orderBy('tenant_id').orderBy('application_id').execute(),
    db.selectFrom('user_rights').selectAll().orderBy('account_id').orderBy('application_id').execute(),
    db.selectFrom('import_runs').selectAll().orderBy('id').execute(),
    db.selectFrom('password_links').selectAll().orderBy('id').execute(),
    db.selectFrom('mail_deliveries').selectAll().orderBy('id').execute(),
  ]);
  return JSON.stringify({ tenants, accounts, bookings, rights, runs, links, deliveries });
}

export async function auditCount(db: Db, action: string): Promise<number> {
  const row = await db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', action).executeTakeFirstOrThrow();
  return Number(row.n);
}


/** Posts a form whose fields may repeat (checkbox groups), with the browser's CSRF token and session. */
export async function postPairs(browser: Browser, path: string, pairs: [string, string][]): Promise<Page> {
  const body = new URLSearchParams([['_csrf', browser.csrfToken ?? ''], ...pairs]).toString();
  const res = await browser.app.inject({
    method: 'POST',
    url: path,
    payload: body,
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: BASE_URL, host: new URL(BASE_URL).host, cookie: browser.cookieHeader() },
  });
  return pageOf(res);
}

type CountKey = 'newTenants' | 'changedTenants' | 'unchangedTenants' | 'newUsers' | 'changedUsers' | 'unchangedUsers' | 'errorRows' | 'warnings';

/** What `facts()` reads off a preview or result: every count under its label, 0 where not given. */
export function countsShown(counts: Partial<Record<CountKey, number>>): Record<string, number> {
  const keys: CountKey[] = ['newTenants', 'changedTenants', 'unchangedTenants', 'newUsers', 'changedUsers', 'unchangedUsers', 'errorRows', 'warnings'];
  return Object.fromEntries(keys.map((key) => [text.imports.counts[key]!, counts[key] ?? 0]));
}
