import '../../src/imports/exceljs.ts';
import ExcelJS from 'exceljs';
import t from 'tap';
import { text } from '../../src/i18n/de.ts';
import { visibleText } from '../helpers/browser.ts';
import { download, mandant, parseCsv, resultRows, row, startImportApp, uploadOk, xlsx } from './helpers.ts';

// The result of a big import: 50 Anwender a page (not megabytes of HTML on one), and the whole
// list as CSV and as XLSX.

t.test('the result page by the page, and the whole result as CSV and XLSX', async (t) => {
  const { browser } = await startImportApp(t, {}, { startWorker: false });
  const letters = (i: number) => String.fromCharCode(97 + Math.floor(i / 26)) + String.fromCharCode(97 + (i % 26));
  const rows = Array.from({ length: 120 }, (_, i) =>
    row({ ...mandant(`P-${Math.floor(i / 10)}`, `Seite ${Math.floor(i / 10)} GmbH`), vorname: 'Paula', nachname: `Pag-${letters(i)}`, email: `Paula.${letters(i)}@Seiten.example` }),
  );
  const runPath = await uploadOk(browser, 'seiten.xlsx', await xlsx(rows));
  await browser.get(runPath);
  t.equal((await browser.post(`${runPath}/ausfuehren`)).status, 303);

  const first = await browser.get(runPath);
  const page1 = resultRows(first.body);
  t.equal(page1.length, 50, 'page 1 shows 50 Anwender');
  t.same(page1[0], { tenant: 'Seite 0 GmbH', customerNumber: 'P-0', name: 'Pag-aa, Paula', email: 'Paula.aa@Seiten.example', login: 'paula.pag-aa' }, 'in the order of the file, e-mail as written');
  t.match(visibleText(first.body), text.list.page(1, 3));
  t.match(first.body, `href="${runPath}?seite=2" rel="next"`, 'a link to the next page');

  const third = await browser.get(`${runPath}?seite=3`);
  const page3 = resultRows(third.body);
  t.equal(page3.length, 20, 'the last page holds the other 20');
  t.equal(page3[19]!.email, `Paula.${letters(119)}@Seiten.example`);
  t.match(third.body, `href="${runPath}?seite=2" rel="prev"`);
  t.same(resultRows((await browser.get(`${runPath}?seite=99`)).body), page3, 'a page past the end shows the last page');
  const all = [...page1, ...resultRows((await browser.get(`${runPath}?seite=2`)).body), ...page3];
  t.equal(new Set(all.map((r) => r.login)).size, 120, 'the three pages together list every Anwender once');

  const csv = await download(browser, `${runPath}/ergebnis.csv`);
  const csvRows = parseCsv(csv.bytes);
  t.equal(csvRows.length, 121, 'the CSV holds the header and all 120');
  t.same(csvRows[0], text.imports.resultCsvHeader);
  t.same(csvRows.slice(1).map((r) => r[5]), all.map((r) => r.login), 'the same Anwender in the same order');

  const file = await download(browser, `${runPath}/ergebnis.xlsx`);
  t.equal(file.status, 200);
  t.equal(file.type, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  t.match(file.disposition, /^attachment; filename="import-ergebnis\.xlsx"$/);
  const workbook = new ExcelJS.Workbook();
  await workbook.xlsx.load(file.bytes as unknown as ArrayBuffer);
  const sheet = workbook.worksheets[0]!;
  t.equal(sheet.name, text.imports.resultSheet);
  const cells: string[][] = [];
  sheet.eachRow((r) => cells.push((r.values as unknown[]).slice(1).map((v) => String(v ?? ''))));
  t.same(cells, csvRows, 'the XLSX holds exactly what the CSV holds');
  t.match(first.body, `href="${runPath}/ergebnis.xlsx"`, 'the result page links the XLSX');
  t.match(first.body, `href="${runPath}/ergebnis.csv"`, 'and the CSV');
});
