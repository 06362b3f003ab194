import ExcelJS from 'exceljs';
import t from 'tap';
import { text } from '../../src/i18n/de.ts';
import { addApplication, download, facts, header, issues, parseCsv, plannedLogins, startImportApp, uploadOk } from './helpers.ts';

// The template as the reseller downloads it from the Import tab, read back with a real
// spreadsheet library, and uploaded again unchanged.

async function loadWorkbook(bytes: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(bytes as unknown as Parameters<typeof workbook.xlsx.load>[0]);
  return workbook;
}

function rowValues(sheet: ExcelJS.Worksheet, number: number): string[] {
  const values: string[] = [];
  sheet.getRow(number).eachCell({ includeEmpty: true }, (cell, column) => {
    values[column - 1] = cell.value === null || cell.value === undefined ? '' : String(cell.value);
  });
  return values;
}

/** Every row of a sheet as its cell texts, for finding what it lists. */
function allRows(sheet: ExcelJS.Worksheet): string[][] {
  const rows: string[][] = [];
  sheet.eachRow((_row, number) => rows.push(rowValues(sheet, number)));
  return rows;
}

t.test('the template', async (t) => {
  const { db, browser } = await startImportApp(t, {}, { startWorker: false });

  await t.test('without a catalogue the XLSX says so and its example row books nothing', async (t) => {
    const file = await download(browser, '/import/vorlage.xlsx');
    t.equal(file.status, 200);
    const workbook = await loadWorkbook(file.bytes);
    const data = workbook.getWorksheet('Daten')!;
    t.same(rowValues(data, 1), header, 'the 12 headers');
    t.equal(rowValues(data, 2)[header.indexOf('Anwendungen')], '', 'no application in the example');
    const help = workbook.getWorksheet('Erläuterung')!;
    t.ok(allRows(help).some((r) => r[0] === text.spreadsheet.template.catalogueEmpty), 'the help sheet says the catalogue is empty');
  });

  const buchhaltung = await addApplication(db, 'buchhaltung', 'Buchhaltung', ['nutzer', 'admin']);
  const lohn = await addApplication(db, 'lohn', 'Lohnabrechnung', ['leser', 'bearbeiter', 'admin']);

  await t.test('GET /import/vorlage.xlsx is a real workbook: "Daten" with headers and example, "Erläuterung" with the catalogue', async (t) => {
    const file = await download(browser, '/import/vorlage.xlsx');
    t.equal(file.status, 200);
    t.equal(file.type, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    t.match(file.disposition, /^attachment; filename=".+\.xlsx"$/);
    t.same([...file.bytes.subarray(0, 4)], [0x50, 0x4b, 0x03, 0x04], 'a ZIP archive');

    const workbook = await loadWorkbook(file.bytes);
    t.equal(workbook.worksheets[0]!.name, 'Daten', 'the data sheet comes first (the reader takes the first sheet)');
    const data = workbook.getWorksheet('Daten')!;
    t.same(rowValues(data, 1), header, 'the 12 headers in the template order');
    const example = rowValues(data, 2);
    t.equal(example.length, 12, 'the example row fills every column');
    t.equal(example[header.indexOf('Firma')], 'Müller Bau GmbH');
    t.match(example[header.indexOf('E-Mail')], /@/);
    t.same(example[header.indexOf('Anwendungen')]!.split(',').map((s) => s.trim()).sort(), [buchhaltung.code, lohn.code].sort(), 'the example books applications of the catalogue');
    for (const right of example[header.indexOf('Zugriffsrechte')]!.split(',').map((s) => s.trim())) {
      const [code, role] = right.split(':');
      const application = [buchhaltung, lohn].find((a) => a.code === code);
      t.ok(application && application.roles.includes(role!), `example right ${right} exists in the catalogue`);
    }
    t.equal(data.rowCount, 2, 'nothing below the example row');

    const help = workbook.getWorksheet('Erläuterung')!;
    const helpRows = allRows(help);
    for (const column of header) t.ok(helpRows.some((r) => r[0] === column && (r[2] ?? '') !== ''), `column ${column} is explained`);
    for (const application of [buchhaltung, lohn]) {
      const listed = helpRows.find((r) => r[0] === application.code);
      t.ok(listed, `${application.code} is listed`);
      t.equal(listed?.[1], application.name);
      t.same(listed?.[3]?.split(',').map((s) => s.trim()), application.roles, `the roles of ${application.code}`);
    }
  });

  await t.test('GET /import/vorlage.csv parses back: UTF-8 with BOM, ";", CRLF, the headers and an example row', async (t) => {
    const file = await download(browser, '/import/vorlage.csv');
    t.equal(file.status, 200);
    t.match(file.type, /^text\/csv; charset=utf-8/);
    t.same([...file.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM');
    const content = file.bytes.toString('utf8');
    t.ok(content.endsWith('\r\n'), 'CRLF line ends');
    t.notMatch(content.replace(/\r\n/g, ''), /[\r\n]/, 'no bare line breaks');
    const rows = parseCsv(file.bytes);
    t.equal(rows.length, 2, 'header and example');
    t.same(rows[0], header);
    t.equal(rows[1]!.length, 12);
    t.equal(rows[1]![header.indexOf('Straße')], 'Lindenweg 5', 'umlauts and ß survive (UTF-8)');
    t.equal(rows[1]![header.indexOf('Nachname')], 'Müller');
  });

  await t.test('the unchanged XLSX template uploads to a preview without errors', async (t) => {
    const file = await download(browser, '/import/vorlage.xlsx');
    const preview = await browser.get(await uploadOk(browser, 'agileas-import-vorlage.xlsx', file.bytes));
    t.equal(preview.status, 200);
    const counts = facts(preview.body);
    t.equal(counts['Zeilen mit Fehlern'], 0, 'no row with errors');
    t.equal(counts['Hinweise'], 0, 'no warnings');
    t.same(issues(preview.body), [], 'no messages');
    t.equal(counts['Neue Mandanten'], 1);
    t.equal(counts['Neue Anwender'], 1);
    t.same(plannedLogins(preview.body).map((l) => l.login), ['joerg.mueller'], 'the example Anwender gets a login from the name');
    t.notMatch(preview.body, /disabled aria-disabled="true">Import ausführen/, 'the commit button is enabled');
  });

  await t.test('the unchanged CSV template uploads to a preview without errors', async (t) => {
    const file = await download(browser, '/import/vorlage.csv');
    const preview = await browser.get(await uploadOk(browser, 'agileas-import-vorlage.csv', file.bytes));
    const counts = facts(preview.body);
    t.equal(counts['Zeilen mit Fehlern'], 0);
    t.same(issues(preview.body), []);
    t.equal(counts['Neue Mandanten'], 1);
    t.equal(counts['Neue Anwender'], 1);
  });
});
