import type { Db } from '../../src/db/database.ts';
import type { Database } from '../../src/db/types.ts';
import type { Browser } from '../helpers/browser.ts';

export { waitFor } from '../helpers/wait.ts';

// Shared by the workspace tests: reading table rows and field errors out of the HTML a browser
// gets, snapshots of the tables a request could change, bounded waiting.

/** Undoes the escaping Eta applies, to compare with what a person reads. */
export function unescapeHtml(value: string): string {
  return value
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The <tr> elements of the page's table bodies, as raw HTML. */
export function tableRows(html: string): string[] {
  const bodies = [...html.matchAll(/<tbody>([\s\S]*?)<\/tbody>/g)].map((m) => m[1]!);
  return bodies.flatMap((body) => body.split(/(?=<tr[\s>])/).filter((r) => r.startsWith('<tr')));
}

/** The text of each <td> of a row, unescaped and trimmed. */
export function cells(row: string): string[] {
  return [...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => unescapeHtml(m[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim()));
}

/** The row whose label (the text of the <label> of its radio button) is exactly `label`. */
export function rowByLabel(html: string, label: string): string | undefined {
  return tableRows(html).find((row) => {
    const shown = /<label[^>]*>([\s\S]*?)<\/label>/.exec(row);
    return shown !== null && unescapeHtml(shown[1]!) === label;
  });
}

/** The labels of the table's rows in page order (Mandanten: Firma; Anwender: "Nachname, Vorname"). */
export function rowLabels(html: string): string[] {
  return tableRows(html).map((row) => unescapeHtml(/<label[^>]*>([\s\S]*?)<\/label>/.exec(row)?.[1] ?? ''));
}

/** The German message shown at a form field (`f-<field>-error`), or null. */
export function fieldError(html: string, field: string): string | null {
  const match = new RegExp(`id="f-${field}-error">([^<]*)<`).exec(html);
  return match ? unescapeHtml(match[1]!) : null;
}

/** The value an input field carries on the page (what the form shows again). */
export function fieldValue(html: string, field: string): string | null {
  const match = new RegExp(`<input id="f-${field}" [^>]*value="([^"]*)"`).exec(html);
  return match ? unescapeHtml(match[1]!) : null;
}

/** Every field that shows an error on the page. */
export function fieldsWithErrors(html: string): string[] {
  return [...html.matchAll(/id="f-([A-Za-z]+)-error"/g)].map((m) => m[1]!);
}

/**
 * Everything a workspace request could change apart from the audit log and sessions: the rows of
 * resellers, tenants, accounts, password links and mail deliveries, in a stable order.
 */
export async function snapshot(db: Db): Promise<string> {
  const [resellers, tenants, accounts, links, deliveries] = await Promise.all([
    db.selectFrom('resellers').selectAll().orderBy('id').execute(),
    db.selectFrom('tenants').selectAll().orderBy('id').execute(),
    db.selectFrom('accounts').selectAll().orderBy('id').execute(),
    db.selectFrom('password_links').selectAll().orderBy('id').execute(),
    db.selectFrom('mail_deliveries').selectAll().orderBy('id').execute(),
  ]);
  return JSON.stringify({ resellers, tenants, accounts, links, deliveries });
}

export async function countRows(db: Db, table: keyof Database): Promise<number> {
  const row = await db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}


/** "28.11.2026 14:00" in Europe/Berlin, built from the date's parts (independent of the app's formatter). */
export function berlinDateTime(date: Date): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.day}.${parts.month}.${parts.year} ${parts.hour}:${parts.minute}`;
}

/** The one-time id a creating form carries (see src/web/once.ts). */
export function formularOf(html: string): string {
  const match = /name="formular" value="([^"]+)"/.exec(html);
  if (!match) throw new Error('form without one-time id');
  return match[1]!;
}

/** Selects a Mandant of the browser's workspace ("Als ausgewählter Mandant arbeiten"). */
export async function workAs(browser: Browser, tenantId: string): Promise<void> {
  await browser.get('/mandanten');
  const page = await browser.post('/mandanten/auswahl', { mandant: tenantId, aktion: 'arbeiten' });
  if (page.status !== 303) throw new Error(`selecting Mandant ${tenantId} failed with ${page.status}`);
  await browser.follow(page);
}

/** A complete, valid company form; tests change one field at a time. */
export function companyForm(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    name: 'Müller Bau GmbH',
    customerNumber: 'K-1001',
    street: 'Lindenweg 5',
    postalCode: '24103',
    city: 'Kiel',
    country: 'DE',
    vatId: '',
    phone: '',
    email: '',
    ...overrides,
  };
}
