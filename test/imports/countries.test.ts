import '../../src/imports/exceljs.ts';
import ExcelJS from 'exceljs';
import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { text } from '../../src/i18n/de.ts';
import { visibleText } from '../helpers/browser.ts';
import { addApplication, csv, facts, header, issues, mandant, row, startImportApp, uploadOk, xlsx } from './helpers.ts';

// Every country of ISO 3166 in the import, written as people write it; the PLZ that a
// spreadsheet program stored as a number; and the files of the issue's "done when": a
// LibreOffice-made XLSX and an Excel-style Windows-1252 CSV with customers in six countries.

/** An XLSX whose PLZ cells hold numbers, as Excel and LibreOffice store a typed 01067. */
async function xlsxWithNumericPlz(rows: { values: string[]; plz: number }[]): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet('Daten');
  sheet.addRow(header);
  for (const r of rows) {
    const added = sheet.addRow(r.values);
    added.getCell(4).value = r.plz;
  }
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

async function commit(t: Test, browser: Awaited<ReturnType<typeof startImportApp>>['browser'], runPath: string) {
  await browser.get(runPath);
  const res = await browser.post(`${runPath}/ausfuehren`);
  t.equal(res.status, 303, 'the commit answers with a redirect');
  return browser.follow(res);
}

t.test('countries and postal codes in the import', async (t) => {
  const { db, browser } = await startImportApp(t, {}, { startWorker: false });
  await addApplication(db, 'buchhaltung', 'Buchhaltung', ['nutzer', 'admin']);

  await t.test('a country as code, German name, English name or alias, in any case', async (t) => {
    const forms: [string, string, string][] = [
      ['GB', 'GB', 'SW1A 1AA'], ['gb', 'GB', 'SW1A 1AA'], ['Vereinigtes Königreich', 'GB', 'EC1A 1BB'], ['united kingdom', 'GB', 'W1A 0AX'],
      ['UK', 'GB', 'M1 1AE'], ['Großbritannien', 'GB', 'B33 8TH'], ['GROSSBRITANNIEN', 'GB', 'CR2 6XH'],
      ['Österreich', 'AT', '1010'], ['Oesterreich', 'AT', '1010'], ['Austria', 'AT', '1010'], ['ch', 'CH', '8001'], ['Schweiz', 'CH', '8001'],
      ['Poland', 'PL', '00-950'], ['Polen', 'PL', '00-950'], ['Dänemark', 'DK', '1050'], ['Denmark', 'DK', '1050'], ['DEU', 'DE', '24103'],
      ['Vereinigte Staaten', 'US', '10001'], ['USA', 'US', '10001'], ['Japan', 'JP', '100-0001'], ['Brasilien', 'BR', '01310-100'],
      // No postal code rule known for Antarctica: a plausibility check only.
      ['Antarktis', 'AQ', 'BIQQ 1ZZ'],
    ];
    const file = await xlsx(forms.map(([land, , plz], i) => row({ ...mandant(`L-${i}`, `Land ${i} GmbH`, { land, plz }), vorname: 'Lena', nachname: 'Land', email: `lena${i}@land.example` })));
    const runPath = await uploadOk(browser, 'laender.xlsx', file);
    const page = await browser.get(runPath);
    t.same(issues(page.body), [], 'every form is understood');
    await commit(t, browser, runPath);
    const stored = await db.selectFrom('tenants').select(['customer_number', 'country', 'postal_code']).where('customer_number', 'like', 'L-%').execute();
    const byNumber = new Map(stored.map((s) => [s.customer_number, s]));
    forms.forEach(([land, code, plz], i) => {
      t.equal(byNumber.get(`L-${i}`)?.country, code, `„${land}“ is stored as ${code}`);
      t.equal(byNumber.get(`L-${i}`)?.postal_code, plz, `with its PLZ ${plz}`);
    });
  });

  await t.test('a part of a country, an unknown country, a PLZ or VAT ID of the wrong format: each message names the value and what is accepted', async (t) => {
    const file = await xlsx([
      /* 2 */ row({ ...mandant('F-1', 'England GmbH', { land: 'England', plz: 'SW1A 1AA' }), vorname: 'Emma', nachname: 'England', email: 'emma@f.example' }),
      /* 3 */ row({ ...mandant('F-2', 'Narnia GmbH', { land: 'Narnia' }), vorname: 'Nora', nachname: 'Narnia', email: 'nora@f.example' }),
      /* 4 */ row({ ...mandant('F-3', 'London Ltd', { land: 'GB', plz: '12345' }), vorname: 'Liam', nachname: 'London', email: 'liam@f.example' }),
      /* 5 */ row({ ...mandant('F-4', 'Wien GmbH', { land: 'AT', plz: '1010', ust: 'DE123456789' }), vorname: 'Wanda', nachname: 'Wien', email: 'wanda@f.example' }),
    ]);
    const page = await browser.get(await uploadOk(browser, 'falsch.xlsx', file));
    t.same(
      issues(page.body).map((i) => [i.line, i.column, i.message]),
      [
        ['2', 'Land', text.imports.countryPart('England', 'Vereinigtes Königreich', 'GB')],
        ['3', 'Land', text.imports.countryUnknown('Narnia')],
        ['4', 'PLZ', text.company.postalCodeFormat('12345', 'Vereinigtes Königreich', 'GB', 'z. B. SW1A 1AA')],
        ['5', 'USt-IdNr', text.company.vatIdFormat('DE123456789', 'Österreich', 'AT', 'z. B. ATU12345678')],
      ],
    );
    const shown = visibleText(page.body);
    t.match(shown, '„England“ ist ein Teil von Vereinigtes Königreich, aber kein eigenes Land nach ISO 3166. Bitte „GB“ oder „Vereinigtes Königreich“ eintragen.');
    t.match(shown, 'Das Land „Narnia“ kennen wir nicht. Möglich sind der Ländercode nach ISO 3166 (z. B. DE, AT, CH, GB)');
    t.match(shown, 'Die PLZ „12345“ passt nicht zu Vereinigtes Königreich (GB); erwartet: z. B. SW1A 1AA.');
  });

  await t.test('a PLZ stored as a number in an XLSX gets its leading zero back, with a warning at Zeile and Spalte', async (t) => {
    const file = await xlsxWithNumericPlz([
      { values: row({ ...mandant('Z-1', 'Dresden GmbH', { ort: 'Dresden' }), vorname: 'Doris', nachname: 'Dresden', email: 'doris@dresden.example' }), plz: 1067 },
      { values: row({ ...mandant('Z-2', 'Kiel GmbH', { ort: 'Kiel' }), vorname: 'Kai', nachname: 'Kiel', email: 'kai@kiel.example' }), plz: 24103 },
      { values: row({ ...mandant('Z-3', 'Zu kurz GmbH', { ort: 'Kurz' }), vorname: 'Kurt', nachname: 'Kurz', email: 'kurt@kurz.example' }), plz: 167 },
    ]);
    const runPath = await uploadOk(browser, 'plz-zahl.xlsx', file);
    const page = await browser.get(runPath);
    t.same(
      issues(page.body).map((i) => [i.line, i.column, i.severity, i.message]),
      [
        ['2', 'PLZ', 'Hinweis', 'PLZ 1067 als Zahl gespeichert – als 01067 übernommen.'],
        ['4', 'PLZ', 'Fehler', text.company.postalCodeFormat('167', 'Deutschland', 'DE', '5 Ziffern')],
      ],
      'one digit short: restored with a warning; a five-digit number is fine; two digits short stays an error',
    );
    t.equal(facts(page.body)[text.imports.counts.warnings!], 1, 'the warning is counted');
    t.match(visibleText(page.body), text.imports.warningsTitle(1));

    const fixed = await xlsxWithNumericPlz([
      { values: row({ ...mandant('Z-1', 'Dresden GmbH', { ort: 'Dresden' }), vorname: 'Doris', nachname: 'Dresden', email: 'doris@dresden.example' }), plz: 1067 },
    ]);
    const fixedPath = await uploadOk(browser, 'plz-zahl-2.xlsx', fixed);
    const preview = await browser.get(fixedPath);
    t.notMatch(preview.body, 'disabled aria-disabled="true">Import ausführen', 'a warning does not block the import');
    await commit(t, browser, fixedPath);
    const tenant = await db.selectFrom('tenants').select('postal_code').where('customer_number', '=', 'Z-1').executeTakeFirstOrThrow();
    t.equal(tenant.postal_code, '01067', 'imported as 01067');
  });

  await t.test('the same short PLZ in a CSV is an error naming the value and the likely cause', async (t) => {
    const file = csv([row({ ...mandant('C-1', 'Dresden CSV GmbH', { plz: '1067', ort: 'Dresden' }), vorname: 'Doris', nachname: 'Dresden', email: 'doris@csv.example' })], { encoding: 'windows-1252' });
    const page = await browser.get(await uploadOk(browser, 'plz.csv', file));
    t.same(issues(page.body).map((i) => [i.line, i.column, i.severity, i.message]), [['2', 'PLZ', 'Fehler', text.imports.postalCodeLostZero('1067', '01067', 'Deutschland', 'DE')]]);
    t.match(visibleText(page.body), 'Die PLZ „1067“ hat eine Ziffer zu wenig für Deutschland (DE). Vermutlich hat ein Tabellenprogramm die führende Null entfernt');
  });

  await t.test('done when: a LibreOffice-made XLSX with customers in DE, AT, CH, GB, PL and DK imports without a manual edit', async (t) => {
    const file = readFileSync(new URL('./fixtures/kunden-libreoffice.xlsx', import.meta.url));
    const runPath = await uploadOk(browser, 'kunden-libreoffice.xlsx', file);
    const page = await browser.get(runPath);
    const shown = issues(page.body);
    t.same(shown.filter((i) => i.severity === 'Fehler'), [], 'no error');
    t.same(
      shown.map((i) => [i.line, i.column, i.message]),
      [
        ['2', 'PLZ', 'PLZ 1067 als Zahl gespeichert – als 01067 übernommen.'],
        ['3', 'PLZ', 'PLZ 1067 als Zahl gespeichert – als 01067 übernommen.'],
      ],
      'LibreOffice stored the PLZ 01067 as the number 1067: restored with a warning',
    );
    await commit(t, browser, runPath);
    const tenants = await db.selectFrom('tenants').select(['customer_number', 'country', 'postal_code', 'vat_id']).where('customer_number', 'like', 'LO-%').orderBy('customer_number').execute();
    t.same(
      tenants.map((x) => [x.customer_number, x.country, x.postal_code]),
      [['LO-1', 'DE', '01067'], ['LO-2', 'AT', '1010'], ['LO-3', 'CH', '8001'], ['LO-4', 'GB', 'SW1A 2AA'], ['LO-5', 'PL', '00-950'], ['LO-6', 'DK', '1050']],
    );
    const joerg = await db.selectFrom('accounts').select('email').where('last_name', '=', 'Müller').where('first_name', '=', 'Jörg').executeTakeFirstOrThrow();
    t.equal(joerg.email, 'Joerg.Mueller@baeckerei-mueller.example', 'the e-mail is kept as written');
  });

  await t.test('done when: an Excel-style Windows-1252 CSV with the same customers imports without a manual edit', async (t) => {
    // What German Excel writes as "CSV (Trennzeichen-getrennt)": Windows-1252, ";", CRLF; the PLZ as typed.
    const source = readFileSync(new URL('./fixtures/kunden-libreoffice.csv', import.meta.url), 'utf8')
      .replace(/LO-/g, 'XL-')
      // Windows-1252 has no "ł" (Polish): Excel would write "?" — the file keeps the street readable instead.
      .replace('Marszałkowska', 'Marszalkowska');
    const file = csv(source.trim().split('\n').slice(1).map((line) => line.split(';')), { encoding: 'windows-1252' });
    t.equal(file.indexOf(Buffer.from('Bäckerei', 'utf8')), -1, 'the file is not UTF-8');
    const runPath = await uploadOk(browser, 'kunden-excel.csv', file);
    const page = await browser.get(runPath);
    t.same(issues(page.body), [], 'no error, no warning: the CSV holds the PLZ as typed');
    await commit(t, browser, runPath);
    const tenants = await db.selectFrom('tenants').select(['customer_number', 'name', 'country', 'postal_code', 'city']).where('customer_number', 'like', 'XL-%').orderBy('customer_number').execute();
    t.same(
      tenants.map((x) => [x.customer_number, x.country, x.postal_code]),
      [['XL-1', 'DE', '01067'], ['XL-2', 'AT', '1010'], ['XL-3', 'CH', '8001'], ['XL-4', 'GB', 'SW1A 2AA'], ['XL-5', 'PL', '00-950'], ['XL-6', 'DK', '1050']],
    );
    t.same(tenants.map((x) => x.city), ['Dresden', 'Wien', 'Zürich', 'London', 'Warszawa', 'København'], 'umlauts and ø read from Windows-1252');
  });
});
