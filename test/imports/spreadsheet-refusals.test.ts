import { randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import { MAX_FILE_BYTES, readSpreadsheet, SpreadsheetError, type SpreadsheetErrorCode } from '../../src/imports/spreadsheet.ts';
import { assertZipIsSafe, listZipEntries } from '../../src/imports/zip-check.ts';
import { noise, zip, type ZipPart } from './zip-files.ts';

// Files that are not an importable spreadsheet, each refused with its own German message. The
// ZIP archives are written byte by byte here, so they can lie the way an attacker's would.

const contentTypes: ZipPart = { name: '[Content_Types].xml', data: Buffer.from('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>') };


async function assertRefused(t: Test, file: Buffer, code: SpreadsheetErrorCode, message?: string | RegExp, name = 'kunden.xlsx'): Promise<void> {
  const error = await readSpreadsheet(file, name).then(
    () => null,
    (e: unknown) => e,
  );
  t.type(error, SpreadsheetError, 'refused with a SpreadsheetError');
  t.equal((error as SpreadsheetError).code, code, `code ${code}`);
  if (message) t.match((error as SpreadsheetError).message, message);
}

const unsafe = 'Die Datei ist beschädigt oder ungewöhnlich stark gepackt und wird aus Sicherheitsgründen nicht geöffnet.';

t.test('an empty file is refused: no bytes, only whitespace, only a BOM, only empty rows', async (t) => {
  for (const [what, bytes] of [
    ['0 bytes', Buffer.alloc(0)],
    ['whitespace', Buffer.from('  \r\n\t\r\n ')],
    ['UTF-8 BOM', Buffer.from('\uFEFF', 'utf8')],
    ['UTF-16 BOM and line breaks', Buffer.from('\uFEFF\r\n\r\n', 'utf16le')],
    ['delimiters only', Buffer.from(';;;;\r\n;;\r\n')],
  ] as const) {
    await t.test(what, (t) => assertRefused(t, bytes, 'empty', /^Die Datei ist leer\./, 'kunden.csv'));
  }
});

t.test('binary garbage is refused as neither XLSX nor CSV, whatever the file is called', async (t) => {
  const neither = 'Die Datei ist weder eine Excel-Datei (XLSX) noch eine CSV-Datei.';
  await assertRefused(t, noise(64 * 1024, 7), 'not-spreadsheet', neither, 'kunden.csv');
  await assertRefused(t, noise(64 * 1024, 11, true), 'not-spreadsheet', neither, 'kunden.xlsx');
  const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), noise(4096, 3)]);
  await assertRefused(t, png, 'not-spreadsheet', neither, 'kunden.csv');
});

t.test('text that is markup, not a table, is refused as neither XLSX nor CSV: an HTML "Excel" export, Excel 2003 XML', async (t) => {
  const html = '\uFEFF<html><body><table><tr><td>Firma</td><td>PLZ</td></tr></table></body></html>';
  await assertRefused(t, Buffer.from(html), 'not-spreadsheet', /weder eine Excel-Datei/, 'kunden.xls');
  const xml = '<?xml version="1.0"?>\r\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet/></Workbook>';
  await assertRefused(t, Buffer.from(xml), 'not-spreadsheet', /weder eine Excel-Datei/, 'kunden.xml');
});

t.test('an old Excel .xls (OLE header) is refused with the advice to save as XLSX or CSV', async (t) => {
  const xls = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(4096)]);
  await assertRefused(t, xls, 'xls', /\(\.xls\).*\.xlsx.*CSV/s, 'kunden.xls');
});

t.test('a text file in an encoding we cannot read is refused with advice: UTF-16 without BOM, UTF-32, broken UTF-8 after a BOM', async (t) => {
  const csv = 'Firma;Straße;PLZ;Ort;Vorname;Nachname;E-Mail\r\nA GmbH;Weg 1;24103;Kiel;Anna;A;a@example.de\r\n';
  await assertRefused(t, Buffer.from(csv, 'utf16le'), 'encoding', /CSV UTF-8/, 'kunden.csv');
  await assertRefused(t, Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.from('F\0\0\0')]), 'encoding', /Zeichenkodierung/, 'kunden.csv');
  await assertRefused(t, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(csv, 'latin1')]), 'encoding', /Zeichenkodierung/, 'kunden.csv');
});

t.test('a file over 5 MB is refused', async (t) => {
  await assertRefused(t, Buffer.alloc(MAX_FILE_BYTES + 1, 0x41), 'too-large', /höchstens 5 MB/, 'kunden.csv');
});

t.test('a zip bomb disguised as XLSX (one entry packed about 1000:1) is refused before unpacking', async (t) => {
  const bomb = zip([contentTypes, { name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(50 * 1024 * 1024) }]);
  t.ok(bomb.length < 100 * 1024, `the archive itself is small (${bomb.length} bytes)`);
  const entries = listZipEntries(bomb);
  t.equal(entries[1]!.uncompressedSize, 50 * 1024 * 1024, 'the central directory is read without unpacking');
  t.throws(() => assertZipIsSafe(bomb, entries), { code: 'zip-unsafe' }, 'the ratio check alone refuses it');
  await assertRefused(t, bomb, 'zip-unsafe', unsafe);
});

t.test('an XLSX that declares more than 100 MB unpacked is refused, even at a modest ratio', async (t) => {
  const file = zip([contentTypes, { name: 'xl/worksheets/sheet1.xml', data: randomBytes(1024 * 1024), declaredSize: 150 * 1024 * 1024 }]);
  const entry = listZipEntries(file)[1]!;
  t.equal(entry.uncompressedSize, 150 * 1024 * 1024);
  t.ok(entry.uncompressedSize < 200 * entry.compressedSize, 'below the 200:1 ratio and not lying about more than it holds, so only the total refuses it');
  await assertRefused(t, file, 'zip-unsafe', unsafe);
});

t.test('an entry that claims a harmless size but unpacks to much more is stopped at its claimed size', async (t) => {
  const liar = zip([contentTypes, { name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(20 * 1024 * 1024), declaredSize: 1024 * 1024 }]);
  const entry = listZipEntries(liar)[1]!;
  t.ok(entry.uncompressedSize <= 200 * entry.compressedSize && entry.uncompressedSize < 100 * 1024 * 1024, 'the declared sizes alone look acceptable');
  await assertRefused(t, liar, 'zip-unsafe', unsafe);
});

t.test('an archive with more than 1,000 entries is refused; 1,000 pass the count check', async (t) => {
  const parts = (n: number) => [contentTypes, ...Array.from({ length: n - 1 }, (_, i) => ({ name: `xl/media/${i}.txt`, data: Buffer.from(String(i)), method: 0 as const }))];
  t.equal(listZipEntries(zip(parts(1000))).length, 1000);
  t.throws(() => listZipEntries(zip(parts(1001))), { code: 'zip-unsafe' });
  await assertRefused(t, zip(parts(1001)), 'zip-unsafe', unsafe);
});

t.test('a damaged archive is refused: truncated, or a central directory pointing nowhere', async (t) => {
  const good = zip([contentTypes, { name: 'xl/workbook.xml', data: Buffer.from('<workbook/>') }]);
  await assertRefused(t, good.subarray(0, 60), 'zip-unsafe', unsafe);
  const broken = Buffer.from(good);
  broken.writeUInt32LE(0x7fffffff, broken.length - 6); // central directory offset
  await assertRefused(t, broken, 'zip-unsafe', unsafe);
});

t.test('a ZIP that is not an XLSX is refused: a plain archive, an OpenDocument spreadsheet, an XLSX without a workbook', async (t) => {
  await assertRefused(t, zip([{ name: 'kunden.csv', data: Buffer.from('Firma;PLZ\r\n') }]), 'not-spreadsheet', /weder eine Excel-Datei/);
  const ods = zip([{ name: 'mimetype', data: Buffer.from('application/vnd.oasis.opendocument.spreadsheet'), method: 0 }, { name: 'content.xml', data: Buffer.from('<office:document-content/>') }]);
  await assertRefused(t, ods, 'ods', /OpenDocument.*\.xlsx/s, 'kunden.ods');
  await assertRefused(t, zip([contentTypes, { name: 'word/document.xml', data: Buffer.from('<w:document/>') }]), 'xlsx-unreadable', /kann nicht gelesen werden/);
});
