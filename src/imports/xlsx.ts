import { text } from '../i18n/de.ts';
import { createCellKeeper, type RawRow } from './columns.ts';
import { SpreadsheetError } from './spreadsheet-error.ts';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { readZipEntry, streamEntries, type ZipEntry } from './zip-check.ts';
import { loadExcelJs } from './exceljs.ts';

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

/** The part and name of the tab exceljs would make the first worksheet: the first tab whose relationship points at a worksheet. */
export function findFirstWorksheet(file: Buffer, entries: ZipEntry[]): { path: string; name: string } | undefined {
  const targets = new Map<string, string>();
  for (const [relationship] of readPart(file, entries, 'xl/_rels/workbook.xml.rels').matchAll(/<(?:\w+:)?Relationship\b[^>]*>/g)) {
    const id = /\bId="([^"]*)"/.exec(relationship)?.[1];
    const target = /\bTarget="([^"]*)"/.exec(relationship)?.[1];
    if (id && target) targets.set(id, `xl/${target.replace(/^(\s|\/xl\/)+/, '')}`);
  }
  for (const [sheet] of readPart(file, entries, 'xl/workbook.xml').matchAll(/<(?:\w+:)?sheet\b[^>]*>/g)) {
    const path = targets.get(/\b\w+:id="([^"]*)"/.exec(sheet)?.[1] ?? '');
    if (path && /^xl\/worksheets\/sheet\d+\.xml$/.test(path)) return { path, name: decodeXml(/\bname="([^"]*)"/.exec(sheet)?.[1] ?? '') };
  }
  return undefined;
}

function decodeXml(value: string): string {
  return value.replace(/&(lt|gt|quot|apos|amp);/g, (_, name: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[name]!);
}

// A row counts when one of its cells holds a value or inline text that is not blank, as in
// readFirstWorksheet (a formula whose saved result is "" does not count).
const rowPattern = /<(?:\w+:)?row\b[^>]*?(?:\/>|>([\s\S]*?)<\/(?:\w+:)?row>)/g;
const filledPattern = /<(?:\w+:)?(?:v|t)(?:\s[^>]*)?>\s*[^<\s]/;
const mergePattern = /<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]+\d+:[A-Z]+\d+)"/g;
// Text kept between chunks: the unfinished rest of a row. A row of twelve cells is a few
// kilobytes; one that is not closed within this much is not a table row.
const MAX_PENDING = 4 * 1024 * 1024;

export interface WorksheetScan {
  /** Merged ranges of the first worksheet ("B2:B3"); the streaming reader does not apply them. */
  merges: string[];
}

/**
 * Every entry unpacked once as a stream (zip-check's cap on each), and the first worksheet's
 * XML read on the way: its filled rows are counted, so that a file over the limit is refused
 * before exceljs reads a row, and its merged ranges are noted. Memory stays at a chunk plus an
 * unfinished row, whatever size the sheet has.
 */
export async function scanWorkbook(file: Buffer, entries: ZipEntry[], maxDataRows: number): Promise<WorksheetScan> {
  const first = findFirstWorksheet(file, entries);
  const decoder = new StringDecoder('utf8');
  const merges: string[] = [];
  let pending = '';
  let filled = 0;
  const visit = (entry: ZipEntry, chunk: Buffer) => {
    if (entry.name.replace(/^\//, '') !== first?.path) return;
    pending += decoder.write(chunk);
    let consumed = 0;
    for (const match of pending.matchAll(rowPattern)) {
      // A row cut off at the chunk's end does not match yet; it is read with the next chunk.
      consumed = match.index + match[0].length;
      if (match[1] && filledPattern.test(match[1]) && ++filled > maxDataRows + 1) throw new SpreadsheetError('too-many-rows', text.spreadsheet.tooManyRows(maxDataRows));
    }
    for (const match of pending.matchAll(mergePattern)) {
      merges.push(match[1]!);
      consumed = Math.max(consumed, match.index + match[0].length);
    }
    pending = pending.slice(consumed);
    if (pending.length > MAX_PENDING) throw new SpreadsheetError('xlsx-unreadable', text.spreadsheet.xlsxUnreadable);
  };
  await streamEntries(file, entries, visit);
  return { merges };
}

/** "B2:C4" → every cell of the range but its top-left one, which holds the value. */
function mergedCells(range: string): { from: [number, number]; cells: [number, number][] } | null {
  const match = /^([A-Z]+)(\d+):([A-Z]+)(\d+)$/.exec(range);
  if (!match) return null;
  const column = (letters: string) => [...letters].reduce((n, c) => n * 26 + c.charCodeAt(0) - 64, 0);
  const [top, left, bottom, right] = [Number(match[2]), column(match[1]!), Number(match[4]), column(match[3]!)];
  if (bottom - top > 100_000 || right - left > 100) return null;
  const cells: [number, number][] = [];
  for (let row = top; row <= bottom; row++) for (let col = left; col <= right; col++) if (row !== top || col !== left) cells.push([row, col]);
  return { from: [top, left], cells };
}

/** The file in 64 KB pieces: handed over whole, unzipper would unpack far ahead of the reader. */
function* chunksOf(file: Buffer): Generator<Buffer> {
  for (let at = 0; at < file.length; at += 64 * 1024) yield file.subarray(at, at + 64 * 1024);
}

/**
 * A copy of the text that does not hold on to the XML it came from: V8 keeps a substring of 13
 * characters or more as a slice of its parent string, and exceljs' parser hands out cell texts
 * cut from its chunks of sheet XML — kept for 20,000 rows, they would keep the whole XML alive.
 */
function detach(value: string): string {
  return value.length < 13 ? value : Buffer.from(value, 'utf8').toString('utf8');
}

interface SheetLine {
  line: number;
  cells: string[];
  numbers: number[];
}

/**
 * The non-empty rows of the first worksheet with Excel's row numbers, read with exceljs'
 * streaming reader: one row at a time, kept only as the text of its cells. A cell in a merged
 * range reads as the range's value. Stops after maxDataRows below the header.
 */
export async function readFirstWorksheet(file: Buffer, maxDataRows: number, scan: WorksheetScan, firstName: string | undefined): Promise<RawRow[]> {
  const ExcelJS = await loadExcelJs();
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(Readable.from(chunksOf(file)), { worksheets: 'emit', sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', entries: 'ignore' });
  const lines = new Map<number, SheetLine>();
  const keep = createCellKeeper();
  let found = false;
  try {
    for await (const worksheet of reader) {
      const name = (worksheet as unknown as { name?: string }).name;
      if (found || (firstName !== undefined && name !== undefined && name !== firstName)) {
        // Not read: the tab is drained by exceljs; a part it had to park in a temporary file is closed.
        (worksheet as unknown as { iterator?: { destroy?: () => void } }).iterator?.destroy?.();
        continue;
      }
      found = true;
      for await (const row of worksheet as unknown as AsyncIterable<import('exceljs').Row>) {
        const cells: string[] = [];
        const numbers: number[] = [];
        row.eachCell({ includeEmpty: true }, (cell, column) => {
          while (cells.length < column - 1) cells.push('');
          cells.push(cellText(cell.value, cell.numFmt).trim());
          if (typeof cell.value === 'number' || (typeof cell.value === 'object' && cell.value !== null && typeof (cell.value as { result?: unknown }).result === 'number')) numbers.push(column - 1);
        });
        // An empty row is left out here already; its number is still Excel's for the rows below.
        if (cells.every((cell) => cell === '')) continue;
        lines.set(row.number, { line: row.number, cells: keep(cells).map(detach), numbers });
      }
    }
  } catch (error) {
    if (error instanceof SpreadsheetError) throw error;
    throw new SpreadsheetError('xlsx-unreadable', text.spreadsheet.xlsxUnreadable, { cause: error });
  }
  if (!found) throw new SpreadsheetError('xlsx-unreadable', text.spreadsheet.xlsxUnreadable);
  for (const range of scan.merges) applyMerge(lines, range);

  const rows: RawRow[] = [];
  for (const entry of [...lines.values()].sort((a, b) => a.line - b.line)) {
    if (entry.cells.every((cell) => cell === '')) continue;
    if (rows.length > maxDataRows) throw new SpreadsheetError('too-many-rows', text.spreadsheet.tooManyRows(maxDataRows));
    rows.push(entry.numbers.length ? { line: entry.line, cells: entry.cells, numbers: entry.numbers } : { line: entry.line, cells: entry.cells });
  }
  return rows;
}

function applyMerge(lines: Map<number, SheetLine>, range: string): void {
  const merge = mergedCells(range);
  if (!merge) return;
  const [fromRow, fromCol] = merge.from;
  const source = lines.get(fromRow);
  const value = source?.cells[fromCol - 1] ?? '';
  if (!value) return;
  const number = source?.numbers.includes(fromCol - 1) ?? false;
  for (const [row, col] of merge.cells) {
    let target = lines.get(row);
    if (!target) lines.set(row, (target = { line: row, cells: [], numbers: [] }));
    while (target.cells.length < col) target.cells.push('');
    target.cells[col - 1] = value;
    if (number) target.numbers.push(col - 1);
  }
}
