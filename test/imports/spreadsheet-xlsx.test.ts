import ExcelJS from 'exceljs';
import t, { type Test } from 'tap';
import { buildTemplateCsv, buildTemplateXlsx, MAX_ROWS, readSpreadsheet, SpreadsheetError } from '../../src/imports/spreadsheet.ts';
import { scanWorkbook } from '../../src/imports/xlsx.ts';
import { listZipEntries } from '../../src/imports/zip-check.ts';

// XLSX files written by a real spreadsheet writer (exceljs) in the test, then read back through
// readSpreadsheet as an upload would be; plus the templates, read back by the same reader.

const header = ['Kundennummer', 'Firma', 'Straße', 'PLZ', 'Ort', 'Land', 'USt-IdNr', 'Anwendungen', 'Vorname', 'Nachname', 'E-Mail', 'Zugriffsrechte'];
const catalogue = [
  { code: 'buchhaltung', name: 'Buchhaltung', description: 'Finanzbuchhaltung und Belege', roles: ['nutzer', 'admin'] },
  { code: 'lohn', name: 'Lohn', description: 'Lohn- und Gehaltsabrechnung', roles: ['sachbearbeiter'] },
  { code: 'crm', name: 'Kundenpflege', description: 'Kontakte und Termine', roles: ['nutzer'] },
];
const example = {
  customerNumber: 'K-1001', name: 'Müller Bau GmbH', street: 'Lindenweg 5', postalCode: '24103', city: 'Kiel', country: 'DE', vatId: 'DE123456789',
  applications: 'buchhaltung, lohn', firstName: 'Jörg', lastName: 'Müller', email: 'joerg.mueller@example.de', rights: 'buchhaltung:nutzer, lohn:sachbearbeiter',
};

async function xlsxOf(fill: (workbook: ExcelJS.Workbook) => void): Promise<Buffer> {
  const workbook = new ExcelJS.Workbook();
  fill(workbook);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

async function loadWorkbook(file: Buffer): Promise<ExcelJS.Workbook> {
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(file as unknown as Parameters<typeof workbook.xlsx.load>[0]);
  return workbook;
}

async function refusal(t: Test, file: Buffer): Promise<SpreadsheetError> {
  const error = await readSpreadsheet(file, 'kunden.xlsx').then(
    () => null,
    (e: unknown) => e,
  );
  t.type(error, SpreadsheetError, 'refused with a SpreadsheetError');
  return error as SpreadsheetError;
}

t.test('cell values become the text shown in the cell: numbers, dates, rich text, formulas, links', async (t) => {
  const file = await xlsxOf((workbook) => {
    const sheet = workbook.addWorksheet('Daten');
    sheet.addRow(['Firma', 'Straße', 'PLZ', 'Ort', 'Vorname', 'Nachname', 'E-Mail', 'Kundennummer', 'Land', 'USt-IdNr', 'Anwendungen', 'Zugriffsrechte']);
    sheet.addRow([
      { richText: [{ text: 'Müller ' }, { text: 'Bau', font: { bold: true } }, { text: ' GmbH' }] },
      { formula: 'CONCAT("Linden";"weg 5")', result: 'Lindenweg 5' },
      24103,
      { text: 'Kiel', hyperlink: 'https://www.kiel.de' },
      'Jörg',
      'Müller',
      { text: 'joerg.mueller@example.de', hyperlink: 'mailto:joerg.mueller@example.de' },
      1001,
      true,
      { error: '#N/A' },
      new Date(Date.UTC(2024, 0, 31)),
      0.1 + 0.2,
    ]);
    sheet.addRow(['Nord GmbH', 'Weg 1', 1067, 'Dresden', '', '', '', { formula: 'A1' }, '', '', '', 4.0]);
    sheet.getCell('C3').numFmt = '00000';
  });
  const sheet = await readSpreadsheet(file, 'kunden.xlsx');
  t.equal(sheet.format, 'xlsx');
  t.equal(sheet.encoding, undefined);
  const [first, second] = sheet.rows;
  t.equal(first!.values.name, 'Müller Bau GmbH', 'rich text runs concatenated');
  t.equal(first!.values.street, 'Lindenweg 5', 'a formula gives its saved result');
  t.equal(first!.values.postalCode, '24103', 'a number without ".0"');
  t.equal(first!.values.city, 'Kiel', 'a hyperlink gives its text');
  t.equal(first!.values.email, 'joerg.mueller@example.de', 'a mailto link gives its text');
  t.equal(first!.values.customerNumber, '1001');
  t.equal(first!.values.country, 'WAHR', 'a boolean as German Excel shows it');
  t.equal(first!.values.vatId, '#N/A', 'an error value as its code');
  t.equal(first!.values.applications, '31.01.2024', 'a date as dd.mm.yyyy');
  t.equal(first!.values.rights, '0.3', 'floating point noise removed as Excel shows it');
  t.equal(second!.values.postalCode, '01067', 'a number formatted "00000" keeps its leading zero');
  t.equal(second!.values.customerNumber, '', 'a formula without a saved result is empty, not evaluated');
  t.equal(second!.values.rights, '4');
});

t.test('row numbers are Excel\'s: empty rows above the header and between rows are skipped but counted', async (t) => {
  const file = await xlsxOf((workbook) => {
    const sheet = workbook.addWorksheet('Daten');
    sheet.getRow(3).values = header;
    sheet.getRow(4).values = ['K-1', 'A GmbH', 'Weg 1', '24103', 'Kiel'];
    sheet.getRow(5).values = ['', '  ', ''];
    sheet.getRow(8).values = ['K-2', 'B GmbH', 'Weg 2', '24103', 'Kiel'];
    sheet.getRow(12).getCell(2).style = { font: { bold: true } };
  });
  const sheet = await readSpreadsheet(file, 'kunden.xlsx');
  t.same(sheet.rows.map((row) => [row.line, row.values.customerNumber]), [[4, 'K-1'], [8, 'K-2']]);
});

t.test('a cell in a merged range reads as the merged value (a company name merged over its users\' rows)', async (t) => {
  const file = await xlsxOf((workbook) => {
    const sheet = workbook.addWorksheet('Daten');
    sheet.addRow(header);
    sheet.addRow(['K-1', 'Müller Bau GmbH', 'Lindenweg 5', '24103', 'Kiel', 'DE', '', '', 'Jörg', 'Müller', 'joerg@example.de', '']);
    sheet.addRow(['K-1', '', 'Lindenweg 5', '24103', 'Kiel', 'DE', '', '', 'Anna', 'Müller', 'anna@example.de', '']);
    sheet.mergeCells('B2:B3');
  });
  const sheet = await readSpreadsheet(file, 'kunden.xlsx');
  t.same(sheet.rows.map((row) => row.values.name), ['Müller Bau GmbH', 'Müller Bau GmbH']);
});

t.test('only the first worksheet is read', async (t) => {
  const file = await xlsxOf((workbook) => {
    workbook.addWorksheet('Kunden').addRows([header, ['K-1', 'A GmbH', 'Weg 1', '24103', 'Kiel', '', '', '', 'Anna', 'A', 'a@example.de', '']]);
    workbook.addWorksheet('Alt').addRows([header, ['K-9', 'Z GmbH', 'Weg 9', '24103', 'Kiel', '', '', '', 'Zoe', 'Z', 'z@example.de', '']]);
  });
  const sheet = await readSpreadsheet(file, 'kunden.xlsx');
  t.same(sheet.rows.map((row) => row.values.customerNumber), ['K-1']);
});

t.test('the first tab is read, even when its part is not the first worksheet file in the archive', async (t) => {
  const file = await xlsxOf((workbook) => {
    workbook.addWorksheet('Alt').addRows([header, ['K-9', 'Z GmbH', 'Weg 9', '24103', 'Kiel']]);
    const first = workbook.addWorksheet('Kunden');
    first.addRows([header, ['K-1', 'A GmbH', 'Weg 1', '24103', 'Kiel']]);
    (first as ExcelJS.Worksheet & { orderNo: number }).orderNo = 0; // first tab, stored as sheet2.xml (orderNo is untyped in exceljs)
  });
  t.ok(listZipEntries(file).some((entry) => entry.name === 'xl/worksheets/sheet2.xml'));
  const sheet = await readSpreadsheet(file, 'kunden.xlsx');
  t.same(sheet.rows.map((row) => row.values.customerNumber), ['K-1']);
});

t.test('rows are counted in the first tab\'s XML before exceljs loads the file: filled rows only, like the reader', async (t) => {
  const file = await xlsxOf((workbook) => {
    const first = workbook.addWorksheet('Kunden');
    first.addRows([header, ['K-1', 'A GmbH', 'Weg 1', '24103', 'Kiel'], ['K-2', 'B GmbH', 'Weg 2', '24103', 'Kiel']]);
    // Formulas dragged down with an empty result, and formatted empty rows, are no data.
    for (let row = 4; row <= 20; row++) first.getCell(row, 1).value = { formula: `IF(B${row}="";"";B${row})`, result: '' };
    for (let row = 21; row <= 30; row++) first.getRow(row).getCell(2).style = { font: { italic: true } };
    const other = workbook.addWorksheet('Alt');
    for (let row = 1; row <= 10; row++) other.addRow([`K-${row}`]);
  });
  const entries = listZipEntries(file);
  await t.resolves(scanWorkbook(file, entries, 2), 'header and 2 filled rows pass a limit of 2; the 10 rows of the second tab do not count');
  await t.rejects(scanWorkbook(file, entries, 1), { code: 'too-many-rows' }, 'a limit of 1 is exceeded');
  const sheet = await readSpreadsheet(file, 'kunden.xlsx');
  t.same(sheet.rows.map((row) => row.line), [2, 3], 'the reader agrees: two data rows');
});

t.test('odd header spellings are recognised in XLSX too; unknown columns are reported as ignored', async (t) => {
  const file = await xlsxOf((workbook) => {
    workbook.addWorksheet('Daten').addRows([
      ['FIRMA', ' Strasse ', 'plz', 'Ort', 'VORNAME', 'nachname', 'E Mail', 'Ust IdNr.', 'Bemerkung', 'Telefon'],
      ['A GmbH', 'Weg 1', '24103', 'Kiel', 'Anna', 'A', 'a@example.de', 'DE123456789', 'wichtig', '0431 1'],
    ]);
  });
  const sheet = await readSpreadsheet(file, 'kunden.xlsx');
  t.same(sheet.ignoredColumns, ['Bemerkung', 'Telefon']);
  t.equal(sheet.rows[0]!.values.street, 'Weg 1');
  t.equal(sheet.rows[0]!.values.email, 'a@example.de');
  t.equal(sheet.rows[0]!.values.vatId, 'DE123456789');
});

t.test('an XLSX header row missing a required column is refused, naming it', async (t) => {
  const file = await xlsxOf((workbook) => {
    workbook.addWorksheet('Daten').addRows([header.filter((name) => name !== 'Nachname'), ['K-1', 'A GmbH']]);
  });
  const error = await refusal(t, file);
  t.equal(error.code, 'missing-columns');
  t.match(error.message, /Pflichtspalte Nachname/);
});

t.test('an XLSX with no filled cell is refused as empty', async (t) => {
  const file = await xlsxOf((workbook) => {
    workbook.addWorksheet('Daten').getCell('C3').style = { font: { bold: true } };
  });
  t.equal((await refusal(t, file)).code, 'empty');
});

t.test(`an XLSX with ${(MAX_ROWS + 1).toLocaleString('de-DE')} data rows is refused naming the limit, before exceljs loads it`, async (t) => {
  const file = await xlsxOf((workbook) => {
    const sheet = workbook.addWorksheet('Daten');
    sheet.addRow(header);
    for (let i = 0; i <= MAX_ROWS; i++) sheet.addRow(['', `Firma ${i}`, 'Weg 1', '24103', 'Kiel', '', '', '', 'Anna', 'A', `a${i}@example.de`, '']);
  });
  await t.rejects(scanWorkbook(file, listZipEntries(file), MAX_ROWS), { code: 'too-many-rows' }, 'the count in the XML refuses it');
  const error = await refusal(t, file);
  t.equal(error.code, 'too-many-rows');
  t.match(error.message, /mehr als 20\.000 Zeilen/);
});

t.test('template XLSX read back gives its example row', async (t) => {
  const sheet = await readSpreadsheet(await buildTemplateXlsx(catalogue), 'vorlage.xlsx');
  t.same(sheet.rows, [{ line: 2, values: example }]);
  t.same(sheet.columns, ['customerNumber', 'name', 'street', 'postalCode', 'city', 'country', 'vatId', 'applications', 'firstName', 'lastName', 'email', 'rights']);
  t.same(sheet.ignoredColumns, []);
});

t.test('template XLSX: "Daten" with a bold frozen header and text-formatted PLZ and Kundennummer; "Erläuterung" explains columns and lists the catalogue', async (t) => {
  const workbook = await loadWorkbook(await buildTemplateXlsx(catalogue));
  t.same(workbook.worksheets.map((sheet) => sheet.name), ['Daten', 'Erläuterung']);
  const data = workbook.getWorksheet('Daten')!;
  t.same((data.getRow(1).values as unknown[]).slice(1), header);
  t.equal(data.getCell('A1').font?.bold, true, 'header bold');
  t.match(data.views[0], { state: 'frozen', ySplit: 1 }, 'header frozen');
  t.equal(data.getCell('D2').numFmt, '@', 'PLZ cell is text');
  t.equal(data.getCell('A2').numFmt, '@', 'Kundennummer cell is text');
  t.equal(data.getColumn(4).numFmt, '@', 'the whole PLZ column is text, for rows typed in later');
  t.equal(data.getColumn(1).numFmt, '@', 'the whole Kundennummer column is text');
  t.ok((data.getColumn(11).width ?? 0) >= 25, 'E-Mail column wide enough for an address');

  const help = workbook.getWorksheet('Erläuterung')!;
  const rows: string[][] = [];
  help.eachRow((row) => rows.push((row.values as unknown[]).slice(1).map((value) => String(value ?? ''))));
  const all = rows.map((row) => row.join(' | ')).join('\n');
  t.match(all, 'Eine Zeile pro Anwender; die Mandanten-Spalten wiederholen sich in jeder Zeile eines Mandanten; eine Zeile nur mit Mandanten-Spalten legt einen Mandanten ohne Anwender an.');
  const explained = (name: string) => rows.find((row) => row[0] === name);
  for (const name of header) t.ok(explained(name), `column ${name} explained`);
  t.equal(explained('Firma')![1], 'ja');
  t.equal(explained('E-Mail')![1], 'ja, in jeder Zeile mit Anwender');
  t.equal(explained('Kundennummer')![1], 'nein');
  t.match(explained('PLZ')![2], 'fünf Ziffern für Deutschland');
  t.match(explained('Anwendungen')![2], 'Codes, durch Komma getrennt');
  t.match(explained('Zugriffsrechte')![2], 'code:rolle, durch Komma getrennt');
  t.match(explained('Land')![2], /DE, AT, CH/);
  t.same(explained('buchhaltung'), ['buchhaltung', 'Buchhaltung', 'Finanzbuchhaltung und Belege', 'nutzer, admin']);
  t.same(explained('lohn'), ['lohn', 'Lohn', 'Lohn- und Gehaltsabrechnung', 'sachbearbeiter']);
  t.same(explained('crm'), ['crm', 'Kundenpflege', 'Kontakte und Termine', 'nutzer']);
});

t.test('template XLSX without any applications: example books none and the sheet says so', async (t) => {
  const file = await buildTemplateXlsx([]);
  const sheet = await readSpreadsheet(file, 'vorlage.xlsx');
  t.same(sheet.rows[0]!.values, { ...example, applications: '', rights: '' });
  const help = (await loadWorkbook(file)).getWorksheet('Erläuterung')!;
  let said = false;
  help.eachRow((row) => (said ||= row.getCell(1).value === 'Es sind noch keine Anwendungen angelegt.'));
  t.ok(said, 'empty catalogue is mentioned');
});

t.test('template CSV read back gives the same example row; UTF-8 with BOM, ";" and CRLF', async (t) => {
  const bytes = buildTemplateCsv(catalogue);
  t.same([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'BOM');
  t.equal(bytes.toString('utf8').slice(1).split('\r\n')[0], header.join(';'));
  t.ok(bytes.toString('utf8').endsWith('\r\n'), 'CRLF line ends');
  const sheet = await readSpreadsheet(bytes, 'vorlage.csv');
  t.same(sheet.rows, [{ line: 2, values: example }]);
  t.equal(sheet.delimiter, ';');

  const plain = await readSpreadsheet(buildTemplateCsv(), 'vorlage.csv');
  t.same(plain.rows[0]!.values, { ...example, applications: '', rights: '' }, 'without a catalogue the example books no application');
});
