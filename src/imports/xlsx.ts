import { text } from '../i18n/de.ts';
import type { RawRow } from './columns.ts';
import { SpreadsheetError } from './spreadsheet-error.ts';
import { readZipEntry, type ZipEntry } from './zip-check.ts';

// Reads the first worksheet of an XLSX that zip-check.ts has already let through. Every cell
// becomes the text a person sees in it; nothing is evaluated (exceljs cannot, and a formula
// counts with the result Excel saved).

/** "1067" with the format "00000" is the PLZ 01067: Excel shows it padded, so it is read padded. */
function numberText(value: number, numFmt: string | undefined): string {
  if (numFmt && /^0+$/.test(numFmt) && Number.isInteger(value) && value >= 0) return String(value).padStart(numFmt.length, '0');
  // Excel keeps 15 significant digits; more would show binary noise like 0.30000000000000004.
  return String(Number(value.toPrecision(15)));
}

// exceljs hands out dates as UTC midnight of the calendar day in the cell.
function dateText(value: Date): string {
  if (Number.isNaN(value.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(value.getUTCDate())}.${pad(value.getUTCMonth() + 1)}.${value.getUTCFullYear()}`;
}

/** The shapes exceljs uses for cell values, each turned into the text shown in the cell. */
export function cellText(value: unknown, numFmt?: string): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return numberText(value, numFmt);
  if (typeof value === 'boolean') return value ? 'WAHR' : 'FALSCH';
  if (value instanceof Date) return dateText(value);
  if (typeof value !== 'object') return '';
  const v = value as Record<string, unknown>;
  if (Array.isArray(v.richText)) return v.richText.map((run: { text?: unknown }) => (typeof run?.text === 'string' ? run.text : '')).join('');
  if ('formula' in v || 'sharedFormula' in v) return cellText(v.result, numFmt);
  if ('hyperlink' in v) return cellText(v.text, numFmt);
  if (typeof v.error === 'string') return v.error;
  return '';
}

function readPart(file: Buffer, entries: ZipEntry[], path: string): string {
  const entry = entries.find((candidate) => candidate.name.replace(/^\//, '') === path);
  return entry ? readZipEntry(file, entry).toString('utf8') : '';
}

/** The part exceljs will make the first worksheet: the first tab whose relationship points at a worksheet. */
function findFirstWorksheetPath(file: Buffer, entries: ZipEntry[]): string | undefined {
  const targets = new Map<string, string>();
  for (const [relationship] of readPart(file, entries, 'xl/_rels/workbook.xml.rels').matchAll(/<(?:\w+:)?Relationship\b[^>]*>/g)) {
    const id = /\bId="([^"]*)"/.exec(relationship)?.[1];
    const target = /\bTarget="([^"]*)"/.exec(relationship)?.[1];
    if (id && target) targets.set(id, `xl/${target.replace(/^(\s|\/xl\/)+/, '')}`);
  }
  for (const [sheet] of readPart(file, entries, 'xl/workbook.xml').matchAll(/<(?:\w+:)?sheet\b[^>]*>/g)) {
    const path = targets.get(/\b\w+:id="([^"]*)"/.exec(sheet)?.[1] ?? '');
    if (path && /^xl\/worksheets\/sheet\d+\.xml$/.test(path)) return path;
  }
  return undefined;
}

// A row counts when one of its cells holds a value or inline text that is not blank, as in
// readFirstWorksheet (a formula whose saved result is "" does not count).
const rowPattern = /<(?:\w+:)?row\b[^>]*?(?:\/>|>([\s\S]*?)<\/(?:\w+:)?row>)/g;
const filledPattern = /<(?:\w+:)?(?:v|t)(?:\s[^>]*)?>\s*[^<\s]/;

/**
 * exceljs holds the whole workbook in memory (about 350 MB for 20,000 rows) before a single row
 * can be counted; 5 MB of XLSX hold far more rows than that. So the first worksheet's filled rows
 * are counted in its XML first, and a file over the limit is refused without loading it.
 */
export function assertRowCountBeforeLoading(file: Buffer, entries: ZipEntry[], maxDataRows: number): void {
  const path = findFirstWorksheetPath(file, entries);
  if (!path) return; // exceljs decides what to make of it
  let filled = 0;
  for (const [, cells] of readPart(file, entries, path).matchAll(rowPattern)) {
    if (cells && filledPattern.test(cells) && ++filled > maxDataRows + 1) throw new SpreadsheetError('too-many-rows', text.spreadsheet.tooManyRows(maxDataRows));
  }
}

/** The non-empty rows of the first worksheet with Excel's row numbers; stops after maxDataRows below the header. */
export async function readFirstWorksheet(file: Buffer, maxDataRows: number): Promise<RawRow[]> {
  // Loaded on first use: exceljs is large and most requests never see a spreadsheet.
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  try {
    // exceljs declares its own Buffer type (an ArrayBuffer), which a Node Buffer does not satisfy.
    await workbook.xlsx.load(file as unknown as Parameters<typeof workbook.xlsx.load>[0]);
  } catch {
    throw new SpreadsheetError('xlsx-unreadable', text.spreadsheet.xlsxUnreadable);
  }
  const sheet = workbook.worksheets[0];
  if (!sheet) throw new SpreadsheetError('xlsx-unreadable', text.spreadsheet.xlsxUnreadable);
  const rows: RawRow[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, line) => {
    const cells: string[] = [];
    // getCell, not row.values: a cell inside a merged range reads as the range's value.
    for (let column = 1; column <= row.cellCount; column++) {
      const cell = row.getCell(column);
      cells.push(cellText(cell.value, cell.numFmt).trim());
    }
    if (cells.every((cell) => cell === '')) return;
    if (rows.length > maxDataRows) throw new SpreadsheetError('too-many-rows', text.spreadsheet.tooManyRows(maxDataRows));
    rows.push({ line, cells });
  });
  return rows;
}
