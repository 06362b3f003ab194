import ExcelJS from 'exceljs';
import t from 'tap';
import { text } from '../../src/i18n/de.ts';
import { visibleText } from '../helpers/browser.ts';
import { countsShown, csv, facts, header, issues, row, startImportApp, uploadOk, xlsx } from './helpers.ts';

// The same list saved the ways spreadsheet programs save it is the same import: once committed
// from Excel, every other format shows nothing new and nothing changed, so every field (umlauts,
// ß, leading zeros, a delimiter inside a quoted cell) was read exactly as from the XLSX.

const data = [
  row({ kundennummer: 'K-0042', firma: 'Bäckerei Schröder & Söhne', strasse: 'Große Straße 1', plz: '01067', ort: 'Dresden', land: 'DE', ust: 'DE123456789', vorname: 'Jörg', nachname: 'Müller-Weiß', email: 'joerg@baeckerei.example' }),
  row({ kundennummer: 'K-0042', firma: 'Bäckerei Schröder & Söhne', strasse: 'Große Straße 1', plz: '01067', ort: 'Dresden', land: 'DE', ust: 'DE123456789', vorname: 'Zoë', nachname: "O'Brien", email: 'zoe@baeckerei.example' }),
  row({ kundennummer: 'K-0043', firma: 'Holz, Stein; und Co. KG', strasse: 'Am Wehr 7', plz: '6020', ort: 'Innsbruck', land: 'AT', vorname: 'Ötzi', nachname: 'Eis', email: 'oetzi@holz.example' }),
  row({ kundennummer: 'K-0044', firma: 'Nur Mandant GmbH', strasse: 'Weg 2', plz: '20095', ort: 'Hamburg', land: 'DE' }),
];

t.test('the same data in every format a spreadsheet program saves', async (t) => {
  const { browser } = await startImportApp(t, {}, { startWorker: false });

  const first = await uploadOk(browser, 'liste.xlsx', await xlsx(data));
  const preview = await browser.get(first);
  t.same(issues(preview.body), [], 'the XLSX has no errors');
  t.match(preview.body, 'Müller-Weiß, Jörg', 'names with umlauts and ß');
  await browser.post(`${first}/ausfuehren`);
  t.match(visibleText((await browser.get(first)).body), text.imports.resultTitle('liste.xlsx'));

  const unchanged = countsShown({ unchangedTenants: 3, unchangedUsers: 3 });

  const formats: [string, string, () => Promise<Buffer> | Buffer][] = [
    ['CSV UTF-8 with BOM, ";" (Excel "CSV UTF-8")', 'liste.csv', () => csv(data, { encoding: 'utf-8-bom' })],
    ['CSV UTF-8 without BOM, "," (LibreOffice)', 'liste.csv', () => csv(data, { delimiter: ',' })],
    ['CSV Windows-1252, ";" (Excel "CSV (Trennzeichen-getrennt)")', 'liste.csv', () => csv(data, { encoding: 'windows-1252' })],
    ['UTF-16LE with BOM, tabs (Excel "Unicode-Text")', 'liste.txt', () => Buffer.from('\uFEFF' + csv(data, { delimiter: '\t' }).toString('utf8'), 'utf16le')],
    [
      'CSV with LF line ends, headers in other case and spacing, columns in another order, empty trailing rows',
      'liste.csv',
      () => {
        const order = [...header.keys()].reverse();
        const head = order.map((i) => ` ${header[i]!.toUpperCase()} `);
        const rows = data.map((r) => order.map((i) => r[i]!));
        return Buffer.from(csv(rows, { head }).toString('utf8').replace(/\r\n/g, '\n') + ';;;\n\n;;\n');
      },
    ],
    [
      'XLSX with the PLZ typed as numbers and a second sheet',
      'liste.xlsx',
      async () => {
        const workbook = new ExcelJS.Workbook();
        const sheet = workbook.addWorksheet('Kunden');
        sheet.addRow(header);
        for (const r of data) {
          const plz = header.indexOf('PLZ');
          const added = sheet.addRow(r.map((cell, i) => (i === plz ? Number(cell) : cell)));
          // Excel keeps the leading zero by the cell format "00000" (German PLZ).
          if (r[header.indexOf('Land')] === 'DE') added.getCell(plz + 1).numFmt = '00000';
        }
        workbook.addWorksheet('Notizen').addRow(['nicht lesen']);
        return Buffer.from(await workbook.xlsx.writeBuffer());
      },
    ],
  ];

  for (const [name, fileName, make] of formats) {
    await t.test(name, async (t) => {
      const page = await browser.get(await uploadOk(browser, fileName, await make()));
      t.same(issues(page.body), [], 'no errors');
      t.same(facts(page.body), unchanged, 'nothing new, nothing changed');
    });
  }
});
