// npm run screenshots: starts the portal on a throwaway embedded database with demo data,
// drives Debian's Chromium (JavaScript off, as our users may have it) and writes the main
// pages as PNGs into docs/screenshots/, which the README shows: at 1200 px, and one page as a
// 390 px phone sees it. SCREENSHOTS_DIR writes elsewhere (to look without touching the README's
// pictures); SCREENSHOTS_PORT moves the throwaway portal off port 3999.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { buildApp } from '../src/app.ts';
import { loadExcelJs } from '../src/imports/exceljs.ts';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/db/database.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { seedDemoData } from './demo-data.ts';

const outDir = process.env.SCREENSHOTS_DIR || new URL('../docs/screenshots/', import.meta.url).pathname;
const port = Number(process.env.SCREENSHOTS_PORT || 3999);
if (!Number.isInteger(port) || port < 1 || port > 65535) {
  console.error(`SCREENSHOTS_PORT ist keine Portnummer: ${process.env.SCREENSHOTS_PORT}`);
  process.exit(1);
}
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
if (!existsSync(chromiumPath)) {
  console.error('Chromium fehlt – installiere es mit: apt-get install -y chromium');
  process.exit(1);
}

const dataDir = mkdtempSync(join(tmpdir(), 'agileas-shots-'));
const database = await openDatabase({ databaseUrl: null, pgliteDir: null });
await migrateToLatest(database.db);
const demo = await seedDemoData(database.db);

const base = `http://127.0.0.1:${port}`;
const config = loadConfig({ DATA_DIR: dataDir, PORT: '0', BASE_URL: base, SESSION_SECRET: 'screenshots-screenshots-screenshots-0123', LOG_LEVEL: 'warn' });
const links: string[] = [];
const app = await buildApp({ config, database, printLine: (line) => links.push(line) });
await app.listen({ port, host: '127.0.0.1' });

/** The import file for the preview: mostly fine, with the mistakes a real list has. */
async function importFile(): Promise<Buffer> {
  // Through the portal's loader: exceljs must not be loaded before its parser is patched.
  const ExcelJS = await loadExcelJs();
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Daten');
  sheet.addRow(['Kundennummer', 'Firma', 'Straße', 'PLZ', 'Ort', 'Land', 'USt-IdNr', 'Anwendungen', 'Vorname', 'Nachname', 'E-Mail', 'Zugriffsrechte']);
  const rows = [
    ['K-2001', 'Tischlerei Brandt', 'Werftstraße 3', '24143', 'Kiel', 'DE', '', 'buchhaltung', 'Paula', 'Brandt', 'paula@brandt.example', 'buchhaltung:admin'],
    ['K-2001', 'Tischlerei Brandt', 'Werftstraße 3', '24143', 'Kiel', 'DE', '', 'buchhaltung', 'Tom', 'Brandt', 'tom@brandt', 'buchhaltung:nutzer'],
    ['K-2002', 'Reederei Claußen', 'Kai 7', '2457', 'Husum', 'DE', '', 'buchhaltung,zeiterfassung', 'Jan', 'Claußen', 'jan@claussen.example', 'zeiterfassung:chef'],
    ['K-2003', 'Café am Hafen', 'Hafenstraße 12', '25980', 'Sylt', 'DE', '', 'zeiterfassung', 'Lea', 'Jensen', 'lea@cafe-am-hafen.example', 'zeiterfassung:nutzer'],
  ];
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** Clicks and waits for the next page: the browser runs without JavaScript, every click is a round trip. */
async function through(page: Page, click: () => Promise<void>): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), click()]);
}

const browser = await chromium.launch({
  executablePath: chromiumPath,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
mkdirSync(outDir, { recursive: true });
try {
  const newPage = async () => (await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1200, height: 800 }, locale: 'de-DE', baseURL: base })).newPage();
  const page = await newPage();
  const shot = (target: Page, name: string) => target.screenshot({ path: join(outDir, `${name}.png`), fullPage: true });

  // 1. Login.
  await page.goto('/anmelden');
  await shot(page, '01-anmelden');

  // 2. Mandanten: one selected, worked as (blue row, "Ausgewählter Mandant").
  await page.getByLabel(/^Login/).fill(demo.reseller.login);
  await page.getByLabel(/^Passwort/).fill(demo.reseller.password);
  await through(page, () => page.getByRole('button', { name: 'Anmelden' }).click());
  await page.getByRole('radio', { name: 'Müller Bau GmbH' }).check();
  await through(page, () => page.getByRole('button', { name: 'Als ausgewählter Mandant arbeiten' }).click());
  await shot(page, '02-mandanten-auswahl');

  // 3. Anwender of that Mandant, in every status.
  await through(page, () => page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Anwender' }).click());
  await shot(page, '03-anwender');

  // 3b. The same list on a 390 px phone: the page fits the screen, the table scrolls in its box.
  const phone = await (await browser.newContext({ javaScriptEnabled: false, viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'de-DE', baseURL: base, storageState: await page.context().storageState() })).newPage();
  await phone.goto('/anwender');
  await shot(phone, '08-anwender-handy');

  // 4. Neu with what is still missing.
  await through(page, () => page.getByRole('link', { name: 'Neu', exact: true }).click());
  await page.getByLabel(/^Vorname/).fill('Jörg');
  await page.getByLabel(/^E-Mail-Adresse/).fill('joerg.mueller@');
  await through(page, () => page.getByRole('button', { name: 'Speichern' }).click());
  await shot(page, '04-anwender-neu-fehler');

  // 5. The import preview of a list with some mistakes.
  await through(page, () => page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Import' }).click());
  await page.getByLabel(/^Ausgefüllte Tabelle/).setInputFiles({ name: 'kundenliste.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', buffer: await importFile() });
  await through(page, () => page.getByRole('button', { name: 'Hochladen und Vorschau anzeigen' }).click());
  await shot(page, '05-import-vorschau');

  // 6. Meine Anwendungen of an Anwender.
  const user = await newPage();
  await user.goto('/anmelden');
  await user.getByLabel(/^Login/).fill(demo.user.login);
  await user.getByLabel(/^Passwort/).fill(demo.user.password);
  await through(user, () => user.getByRole('button', { name: 'Anmelden' }).click());
  await shot(user, '06-meine-anwendungen');

  // 7. The page a set-password link opens.
  const linkPage = await newPage();
  await linkPage.goto(`/passwort-link/${demo.linkToken}`);
  await shot(linkPage, '07-passwort-festlegen');
  process.stdout.write(`Screenshots geschrieben nach ${outDir}\n`);
} finally {
  await browser.close();
  await app.close();
  await database.close();
  rmSync(dataDir, { recursive: true, force: true });
}
