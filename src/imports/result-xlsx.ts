import { PassThrough } from 'node:stream';
import { text } from '../i18n/de.ts';
import { loadExcelJs } from './exceljs.ts';

// The result of an import as an XLSX, written with exceljs' streaming writer: a row at a time
// into the archive, not a workbook of 20,000 rows in memory first. Every cell is text, so a
// value starting with "=" stays text in Excel (no formula, unlike a CSV opened by double-click).

export async function buildResultXlsx(header: string[], rows: string[][]): Promise<Buffer> {
  const ExcelJS = await loadExcelJs();
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<void>((resolve, reject) => {
    out.on('end', resolve);
    out.on('error', reject);
  });
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useSharedStrings: false, useStyles: true });
  const sheet = workbook.addWorksheet(text.imports.resultSheet, { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = header.map((title, index) => ({ header: title, width: [15, 30, 16, 18, 34, 24][index] ?? 20, style: { numFmt: '@' } }));
  sheet.getRow(1).font = { bold: true };
  sheet.getRow(1).commit();
  for (const row of rows) sheet.addRow(row).commit();
  sheet.commit();
  await workbook.commit();
  await done;
  return Buffer.concat(chunks);
}
