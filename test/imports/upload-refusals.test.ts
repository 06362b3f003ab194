import t, { type Test } from 'tap';
import { text } from '../../src/i18n/de.ts';
import { listZipEntries, readZipEntry } from '../../src/imports/zip-check.ts';
import type { Page } from '../helpers/browser.ts';
import { noise, zip } from './zip-files.ts';
import { auditCount, csv, fieldError, header, importTables, mandant, row, startImportApp, upload, xlsx } from './helpers.ts';

// Files the Import tab must refuse, each through the real route: a German message at the file
// field, and no import run (nor anything else) written.



const validRows = [row({ ...mandant('K-1', 'Müller Bau GmbH'), vorname: 'Jörg', nachname: 'Müller', email: 'joerg@mueller.example' })];

t.test('upload refusals', async (t) => {
  const { db, browser } = await startImportApp(t, {}, { startWorker: false });

  /** Uploads, then checks the status, the message at the field and that nothing was written. */
  async function refused(t: Test, fileName: string | null, content: Buffer, status: number, message: string | RegExp): Promise<Page> {
    const before = await importTables(db);
    const uploadsBefore = await auditCount(db, 'import.uploaded');
    const res = await upload(browser, fileName, content);
    t.equal(res.status, status, `answered ${status}`);
    const shown = fieldError(res.body);
    t.ok(shown, 'a message at the file field (f-datei-error)');
    if (typeof message === 'string') t.equal(shown, message);
    else t.match(shown, message);
    t.match(res.body, /aria-invalid="true" aria-describedby="f-datei-error"/, 'the field points at its message');
    t.equal(await importTables(db), before, 'no import run, nothing else written');
    t.equal(await auditCount(db, 'import.uploaded'), uploadsBefore, 'no upload recorded');
    return res;
  }

  // The route works at all: the refusals below are about the files, not the form.
  const accepted = await upload(browser, 'kunden.xlsx', await xlsx(validRows));
  t.equal(accepted.status, 303, 'a valid file is accepted');

  await t.test('no file chosen', async (t) => {
    await refused(t, null, Buffer.alloc(0), 422, text.imports.noFile);
  });

  await t.test('an empty file', async (t) => {
    await refused(t, 'kunden.csv', Buffer.alloc(0), 422, text.spreadsheet.empty);
  });

  await t.test('a file with only blank lines', async (t) => {
    await refused(t, 'kunden.csv', Buffer.from('\r\n;;;\r\n\r\n'), 422, text.spreadsheet.empty);
  });

  await t.test('a .txt of binary garbage', async (t) => {
    await refused(t, 'kunden.txt', noise(4096, 4711), 422, text.spreadsheet.notSpreadsheet);
  });

  await t.test('binary garbage named .xlsx', async (t) => {
    await refused(t, 'kunden.xlsx', noise(4096, 4711), 422, text.spreadsheet.notSpreadsheet);
  });

  await t.test('an old Excel file (.xls, OLE container)', async (t) => {
    const ole = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), noise(1024, 4711)]);
    await refused(t, 'kunden.xls', ole, 422, text.spreadsheet.xls);
  });

  await t.test('a header row missing a required column names the column', async (t) => {
    const head = header.filter((h) => h !== 'E-Mail');
    const rows = validRows.map((r) => r.filter((_cell, i) => header[i] !== 'E-Mail'));
    const res = await refused(t, 'kunden.xlsx', await xlsx(rows, head), 422, text.spreadsheet.missingColumns(['E-Mail']));
    t.match(fieldError(res.body), /Pflichtspalte E-Mail/);
  });

  await t.test('a CSV header missing two required columns names both', async (t) => {
    const head = header.filter((h) => h !== 'PLZ' && h !== 'Ort');
    const rows = validRows.map((r) => r.filter((_cell, i) => header[i] !== 'PLZ' && header[i] !== 'Ort'));
    await refused(t, 'kunden.csv', csv(rows, { head }), 422, text.spreadsheet.missingColumns(['PLZ', 'Ort']));
  });

  await t.test('only the header, no rows', async (t) => {
    await refused(t, 'kunden.xlsx', await xlsx([]), 422, text.spreadsheet.noRows);
  });

  await t.test('20,001 rows', async (t) => {
    const rows: string[][] = [];
    for (let i = 1; i <= 20_001; i++) rows.push(row({ ...mandant(`K-${i}`, `Firma ${i} GmbH`), vorname: 'Anna', nachname: 'Beispiel', email: `anna${i}@firma.example` }));
    await refused(t, 'kunden.csv', csv(rows), 422, text.spreadsheet.tooManyRows(20_000));
  });

  await t.test('a zip bomb disguised as .xlsx', async (t) => {
    // A real workbook, repacked with one more entry: 60 MB of zeros that pack to a few KB.
    const real = await xlsx(validRows);
    const parts = listZipEntries(real).map((entry) => ({ name: entry.name, data: readZipEntry(real, entry) }));
    parts.push({ name: 'xl/media/image1.png', data: Buffer.alloc(60 * 1024 * 1024) });
    const bomb = zip(parts);
    t.ok(bomb.length < 1024 * 1024, 'the bomb itself is small');
    await refused(t, 'kunden.xlsx', bomb, 422, text.spreadsheet.zipUnsafe);
  });

  await t.test('a CSV in UTF-16 without BOM', async (t) => {
    const utf16 = Buffer.from(csv(validRows).toString('utf8'), 'utf16le');
    await refused(t, 'kunden.csv', utf16, 422, text.spreadsheet.encoding);
  });

  await t.test('a CSV in UTF-32 (with BOM)', async (t) => {
    const content = csv(validRows).toString('utf8');
    const utf32 = Buffer.alloc(4 + content.length * 4);
    utf32.set([0xff, 0xfe, 0, 0]);
    [...content].forEach((char, i) => utf32.writeUInt32LE(char.codePointAt(0)!, 4 + i * 4));
    await refused(t, 'kunden.csv', utf32.subarray(0, 4 + [...content].length * 4), 422, text.spreadsheet.encoding);
  });

  await t.test('a file over 5 MB is refused with 413 and the message at the field', async (t) => {
    const rows: string[][] = [];
    let size = 0;
    for (let i = 1; size <= 5 * 1024 * 1024 + 1024; i++) {
      const r = row({ ...mandant(`K-${i}`, `Firma ${i} GmbH mit einem recht langen Namen`), vorname: 'Anna', nachname: 'Beispiel', email: `anna${i}@firma.example` });
      size += r.join(';').length + 2;
      rows.push(r);
    }
    const big = csv(rows);
    t.ok(big.length > 5 * 1024 * 1024, 'more than 5 MB');
    await refused(t, 'kunden.csv', big, 413, text.imports.fileTooLarge);
  });
});
