import '../../src/imports/exceljs.ts';
import ExcelJS from 'exceljs';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readSpreadsheet } from '../../src/imports/spreadsheet.ts';
import { header } from './helpers.ts';

// The streaming reader on sheets large enough to arrive in many chunks: a character of several
// bytes cut by a chunk boundary must come out whole (exceljs' own parser breaks it into "��"),
// in shared strings as in inline strings; and an unread note column does not change the rows.

const names = ['Bäckerei Müller GmbH', 'København ApS', 'Warszawska Spółka', 'Zürcher Uhren AG', 'Ελληνική Α.Ε.', '東京商事 株式会社', 'Café Crème € SARL'];
// Dense in characters of three bytes, so that nearly every chunk boundary of the XML cuts one.
const filler = '東京商事株式会社'.repeat(8);
const firmaOf = (i: number) => `${names[i % names.length]} ${filler} ${i}`;

async function bigSheet(sharedStrings: boolean, note: boolean): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'agileas-xlsx-'));
  const path = join(dir, 'gross.xlsx');
  try {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: sharedStrings });
    const sheet = workbook.addWorksheet('Daten');
    sheet.addRow(note ? [...header, 'Notiz'] : header).commit();
    for (let i = 0; i < 3000; i++) {
      const name = firmaOf(i);
      const cells = [`K-${i}`, name, 'Königsbrücker Straße 1', '01067', 'Dresden', 'DE', '', '', 'Jörg', 'Müller', `j${i}@example.de`, ''];
      sheet.addRow(note ? [...cells, `Notiz ${i}: ${'Grüße aus Köln – '.repeat(40)}`] : cells).commit();
    }
    sheet.commit();
    await workbook.commit();
    return readFileSync(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const sharedStrings of [true, false]) {
  t.test(`3,000 rows of names with umlauts, ø, ł, Greek, Japanese and € (${sharedStrings ? 'shared' : 'inline'} strings) are read without a broken character`, async (t) => {
    const sheet = await readSpreadsheet(await bigSheet(sharedStrings, !sharedStrings), 'gross.xlsx');
    t.equal(sheet.rows.length, 3000);
    const broken = sheet.rows.filter((row) => Object.values(row.values).some((value) => value.includes('\uFFFD')));
    t.same(broken.map((row) => row.line), [], 'no U+FFFD anywhere');
    t.ok(sheet.rows.every((row, i) => row.values.name === firmaOf(i)), 'every Firma exactly as written');
    t.ok(sheet.rows.every((row) => row.values.street === 'Königsbrücker Straße 1'));
    if (!sharedStrings) t.same(sheet.ignoredColumns, ['Notiz'], 'the note column is reported as not read');
  });
}
