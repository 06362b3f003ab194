import { text } from '../i18n/de.ts';
import { type ColumnKey, findColumn, headerOf, importColumns, type RawRow } from './columns.ts';
import { readCsv, startsWithBytes } from './csv.ts';
import { SpreadsheetError } from './spreadsheet-error.ts';
import { findFirstWorksheet, readFirstWorksheet, scanWorkbook } from './xlsx.ts';
import { assertZipIsSafe, listZipEntries } from './zip-check.ts';

// Reading an uploaded spreadsheet (XLSX or CSV) into rows keyed by column. Every refusal is a
// SpreadsheetError with a German message; what the values mean is checked later, in rows.ts.

export { importColumns, type ColumnKey, type ImportColumn } from './columns.ts';
export { SpreadsheetError, type SpreadsheetErrorCode } from './spreadsheet-error.ts';
export { toCsv } from './csv.ts';
export { buildTemplateCsv, buildTemplateXlsx, type TemplateApplication } from './template.ts';

export const MAX_FILE_BYTES = 5 * 1024 * 1024;
export const MAX_ROWS = 20_000;

export interface SheetRows {
  /** Data rows below the header, fully empty ones left out; line is the row number shown in the spreadsheet (header = 1). */
  rows: { line: number; values: Record<ColumnKey, string>; numbers?: ColumnKey[] }[];
  format: 'xlsx' | 'csv';
  /** CSV only: utf-8 (with or without BOM), windows-1252, utf-16le or utf-16be. */
  encoding?: string;
  /** CSV only. */
  delimiter?: string;
  /** The known columns in the file, in the file's order. */
  columns: ColumnKey[];
  /** Headers of columns that are not read, as written in the file. */
  ignoredColumns: string[];
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];
const OLE_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

function emptyError(): SpreadsheetError {
  return new SpreadsheetError('empty', text.spreadsheet.empty);
}

/**
 * The rows of an uploaded XLSX (first worksheet) or CSV, told apart by their content. fileName
 * decides nothing on purpose: "kunden.xlsx" may hold anything.
 */
export async function readSpreadsheet(file: Buffer, fileName: string): Promise<SheetRows> {
  if (file.length === 0) throw emptyError();
  if (file.length > MAX_FILE_BYTES) throw new SpreadsheetError('too-large', text.spreadsheet.tooLarge(MAX_FILE_BYTES / 1024 / 1024));
  if (startsWithBytes(file, OLE_MAGIC)) throw new SpreadsheetError('xls', text.spreadsheet.xls);
  if (startsWithBytes(file, ZIP_MAGIC)) return { format: 'xlsx', ...nameColumns(await readXlsxRows(file)) };
  const { rows, delimiter, encoding, empty } = await readCsv(file, MAX_ROWS);
  if (empty) throw emptyError();
  return { format: 'csv', encoding, delimiter, ...nameColumns(rows) };
}

async function readXlsxRows(file: Buffer): Promise<RawRow[]> {
  const entries = listZipEntries(file);
  const names = new Set(entries.map((entry) => entry.name));
  if (!names.has('[Content_Types].xml')) {
    // LibreOffice's own format is a ZIP too, with a "mimetype" entry instead.
    throw names.has('mimetype') ? new SpreadsheetError('ods', text.spreadsheet.ods) : new SpreadsheetError('not-spreadsheet', text.spreadsheet.notSpreadsheet);
  }
  assertZipIsSafe(file, entries);
  const scan = await scanWorkbook(file, entries, MAX_ROWS);
  const firstName = findFirstWorksheet(file, entries)?.name;
  try {
    return await readFirstWorksheet(file, MAX_ROWS, scan, firstName);
  } catch (error) {
    if (!(error instanceof SpreadsheetError) || error.code !== 'xlsx-unreadable' || !error.cause) throw error;
    // Every part of this archive has just unpacked cleanly (scanWorkbook), yet exceljs' streaming
    // reader failed once, on a sound file, in a test run under heavy load. A second read of the
    // same bytes settles that; a file that is really broken fails again with the same message.
    return readFirstWorksheet(file, MAX_ROWS, scan, firstName);
  }
}

/** The first non-empty row is the header: it says which cell holds which column. */
function nameColumns(raw: RawRow[]): Pick<SheetRows, 'rows' | 'columns' | 'ignoredColumns'> {
  const [header, ...data] = raw;
  if (!header) throw emptyError();
  const positions: [ColumnKey, number][] = [];
  const ignoredColumns: string[] = [];
  header.cells.forEach((cell, index) => {
    const key = findColumn(cell);
    if (!key) {
      if (cell) ignoredColumns.push(cell);
    } else if (positions.some(([known]) => known === key)) {
      throw new SpreadsheetError('duplicate-column', text.spreadsheet.duplicateColumn(headerOf(key)));
    } else positions.push([key, index]);
  });
  const missing = importColumns.filter((column) => column.required && !positions.some(([key]) => key === column.key));
  if (missing.length > 0) throw new SpreadsheetError('missing-columns', text.spreadsheet.missingColumns(missing.map((column) => column.header)));
  if (data.length === 0) throw new SpreadsheetError('no-rows', text.spreadsheet.noRows);

  const blank = Object.fromEntries(importColumns.map((column) => [column.key, ''])) as Record<ColumnKey, string>;
  const rows = data.map(({ line, cells, numbers }) => {
    const values = { ...blank };
    for (const [key, index] of positions) values[key] = cells[index] ?? '';
    // Which known columns held a number in the XLSX: only the PLZ needs it (lost leading zeros).
    const numeric = numbers ? positions.filter(([, index]) => numbers.includes(index)).map(([key]) => key) : [];
    return numeric.length ? { line, values, numbers: numeric } : { line, values };
  });
  return { rows, columns: positions.map(([key]) => key), ignoredColumns };
}
