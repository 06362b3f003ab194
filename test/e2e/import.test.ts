import { readFile } from 'node:fs/promises';
import ExcelJS from 'exceljs';
import t from 'tap';
import type { Page } from 'playwright-core';
import { createReseller, createResellerStaff } from '../helpers/fixtures.ts';
import { assertPrintsCleanly, clickThrough, linkIn, logIn, noChromium, nthMailTo, setPasswordThroughLink, sharedWorld } from './helpers.ts';

// A real browser and server per file: allow more than the suite's 120 s per file on a loaded machine.
t.setTimeout(240_000);

// Flow 5, the Umzug: the template downloads as XLSX, a file with errors shows them in the
// preview and cannot be imported, the fixed file imports, the links go out, and one imported
// Anwender sets a password and logs in.

const world = sharedWorld(t);
const header = ['Kundennummer', 'Firma', 'Straße', 'PLZ', 'Ort', 'Land', 'USt-IdNr', 'Anwendungen', 'Vorname', 'Nachname', 'E-Mail', 'Zugriffsrechte'];

/** A spreadsheet as Excel saves it, written by a real XLSX writer. */
async function xlsx(rows: string[][]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Daten');
  sheet.addRow(header);
  for (const row of rows) sheet.addRow(row);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

const xlsxType = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

async function upload(page: Page, name: string, content: Buffer): Promise<void> {
  await clickThrough(page, page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Import' }));
  await page.getByLabel(/^Ausgefüllte Tabelle/).setInputFiles({ name, mimeType: xlsxType, buffer: content });
  await clickThrough(page, page.getByRole('button', { name: 'Hochladen und Vorschau anzeigen' }));
}

/** The number next to a label in the preview's or result's figures. */
async function figure(page: Page, label: string): Promise<string | null> {
  return page.locator(`dt:text-is("${label}") + dd`).textContent();
}

t.test('the Umzug: template download, an XLSX with errors in the preview, the fixed file imported, links sent, an imported Anwender logs in', { skip: noChromium }, async (t) => {
  const { portal, audit, visitor } = await world();
  const reseller = await createReseller(portal.db);
  const rita = await createResellerStaff(portal.db, reseller.id);
  await portal.db.insertInto('applications').values({ code: 'buchhaltung', name: 'Buchhaltung', launch_url: 'https://buchhaltung.example/', roles: JSON.stringify(['nutzer', 'admin']) }).execute();
  const page = await visitor();
  await logIn(page, rita.login, rita.password!);

  // 1. The Import tab and the template as XLSX.
  await clickThrough(page, page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Import' }));
  t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Umzug und Datenimport');
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Vorlage als Excel-Datei (XLSX)' }).click()]);
  t.match(download.suggestedFilename(), /\.xlsx$/, `the template's file name ends in .xlsx (${download.suggestedFilename()})`);
  const template = await readFile(await download.path());
  t.same([...template.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04], 'it is a zip container, as XLSX is');
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(template as unknown as ArrayBuffer);
  const sheets = workbook.worksheets.map((s) => s.name);
  t.equal(sheets[0], 'Daten', 'a spreadsheet program opens it: first sheet "Daten"');
  t.ok(sheets.includes('Erläuterung'), 'with a sheet that explains the columns');
  const columns = (workbook.worksheets[0]!.getRow(1).values as unknown[]).filter(Boolean).map(String);
  for (const column of ['Kundennummer', 'Firma', 'Vorname', 'Nachname', 'E-Mail', 'Zugriffsrechte']) t.ok(columns.includes(column), `the template has the column ${column}`);

  // 2. Upload a file with errors: the preview shows them, nothing can be imported yet.
  await upload(page, 'kunden.xlsx', await xlsx([
    ['K-1', 'Müller Bau GmbH', 'Lindenweg 5', '24103', 'Kiel', 'DE', '', 'buchhaltung', 'Jörg', 'Müller', 'joerg@mueller.example', 'buchhaltung:nutzer'],
    ['K-1', 'Müller Bau GmbH', 'Lindenweg 5', '24103', 'Kiel', 'DE', '', 'buchhaltung', 'Anna', 'Müller', 'keine-mail', 'buchhaltung:chef'],
  ]));
  t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Vorschau: kunden.xlsx');
  t.equal(await figure(page, 'Zeilen mit Fehlern'), '1', 'one row with errors');
  const issues = page.getByRole('table').filter({ has: page.getByRole('columnheader', { name: 'Meldung' }) });
  t.match(await issues.textContent(), 'Bitte gib eine gültige E-Mail-Adresse an', 'the bad e-mail is listed');
  t.match(await issues.textContent(), 'kennt die Rolle „chef“ nicht', 'the unknown role is listed');
  t.ok(await page.getByRole('button', { name: 'Import ausführen' }).isDisabled(), '"Import ausführen" is refused while errors remain');
  t.match(await page.locator('main').textContent(), 'Der Import kann erst ausgeführt werden, wenn keine Fehler mehr vorhanden sind.');

  // 3. The fixed file: no errors, the logins that will be generated, then "Import ausführen".
  await upload(page, 'kunden.xlsx', await xlsx([
    ['K-1', 'Müller Bau GmbH', 'Lindenweg 5', '24103', 'Kiel', 'DE', '', 'buchhaltung', 'Jörg', 'Müller', 'joerg@mueller.example', 'buchhaltung:nutzer'],
    ['K-1', 'Müller Bau GmbH', 'Lindenweg 5', '24103', 'Kiel', 'DE', '', 'buchhaltung', 'Anna', 'Müller', 'anna@mueller.example', 'buchhaltung:admin'],
    ['K-2', 'Bäckerei Schröder', 'Markt 1', '20095', 'Hamburg', 'DE', '', '', '', '', '', ''],
  ]));
  t.equal(await figure(page, 'Zeilen mit Fehlern'), '0');
  t.equal(await figure(page, 'Neue Mandanten'), '2');
  t.equal(await figure(page, 'Neue Anwender'), '2');
  t.ok(await page.getByRole('cell', { name: 'anna.mueller' }).isVisible(), 'the preview shows the login that will be generated');
  await clickThrough(page, page.getByRole('button', { name: 'Import ausführen' }));
  t.equal(await page.getByRole('status').textContent(), 'Import ausgeführt: 2 neue Mandanten, 2 neue Anwender.');
  t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Ergebnis: kunden.xlsx');
  t.equal(portal.smtp.received.length, 0, 'no mail before the links are sent');

  await t.test('the import result prints cleanly: no navigation, header, footer or buttons, the whole table', async (t) => {
    await assertPrintsCleanly(t, page, 2);
  });

  // 4. "Passwort-Links jetzt versenden": the progress page, then the mails.
  await clickThrough(page, page.getByRole('button', { name: 'Passwort-Links jetzt versenden' }));
  t.match(await page.getByRole('heading', { level: 1 }).textContent(), 'Versand der Passwort-Links');
  t.equal(await page.getByRole('status').textContent(), '2 Passwort-Links sind unterwegs.');
  const mail = await nthMailTo(portal.smtp, 'anna@mueller.example', 1);
  await nthMailTo(portal.smtp, 'joerg@mueller.example', 1);

  // 5. Anna follows her link, sets a password, logs in and finds her application.
  const anna = await visitor();
  await setPasswordThroughLink(anna, linkIn(mail), 'Roggenbrot am Morgen');
  t.match(await anna.getByRole('status').textContent(), 'Dein Passwort ist gespeichert. Melde dich jetzt mit deinem Login „anna.mueller“ an.');
  await logIn(anna, 'anna.mueller', 'Roggenbrot am Morgen');
  t.equal(await anna.getByRole('heading', { level: 1 }).textContent(), 'Meine Anwendungen');
  t.ok(await anna.getByRole('link', { name: 'Buchhaltung öffnen' }).isVisible(), 'the imported right shows as her application');

  await audit.check(t);
});
