import { CsvError, parse } from 'csv-parse';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { text } from '../i18n/de.ts';
import { createCellKeeper, findColumn, type RawRow } from './columns.ts';
import { SpreadsheetError } from './spreadsheet-error.ts';

// CSV as spreadsheet programs really save it: Excel's German default is Windows-1252 with ";",
// "CSV UTF-8" adds a BOM, "Unicode-Text" is UTF-16 with tabs, LibreOffice asks and often uses ",".

export interface DecodedCsv {
  text: string;
  encoding: 'utf-8' | 'windows-1252' | 'utf-16le' | 'utf-16be';
}

/** Whether the file begins with these bytes (a byte-order mark, a format's magic number). */
export function startsWithBytes(bytes: Buffer, prefix: number[]): boolean {
  return prefix.every((byte, i) => bytes[i] === byte);
}

function encodingError(): SpreadsheetError {
  return new SpreadsheetError('encoding', text.spreadsheet.encoding);
}

function notSpreadsheet(): SpreadsheetError {
  return new SpreadsheetError('not-spreadsheet', text.spreadsheet.notSpreadsheet);
}

const CHUNK = 64 * 1024;

/** The text of the file, chunk by chunk; throws TypeError on a byte sequence the encoding forbids when fatal. */
function* decodeChunks(bytes: Buffer, encoding: DecodedCsv['encoding'], fatal: boolean): Generator<string> {
  const decoder = new TextDecoder(encoding, { fatal });
  for (let at = 0; at < bytes.length; at += CHUNK) yield decoder.decode(bytes.subarray(at, at + CHUNK), { stream: true });
  yield decoder.decode();
}

/** Whether the whole file decodes in this encoding, checked chunk by chunk without keeping the text. */
function decodesAs(bytes: Buffer, encoding: DecodedCsv['encoding']): boolean {
  try {
    for (const _ of decodeChunks(bytes, encoding, true));
    return true;
  } catch {
    return false;
  }
}

// Text in UTF-16 without a BOM has a NUL in nearly every other byte (the high byte of ASCII);
// binary data has NULs too, but not in one parity only.
function looksLikeUtf16(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, 4096);
  const zeros = [0, 0];
  for (let i = 0; i < sample.length; i++) if (sample[i] === 0) zeros[i % 2]!++;
  const half = sample.length / 2;
  const [even, odd] = [zeros[0]! / half, zeros[1]! / half];
  return Math.max(even, odd) > 0.4 && Math.min(even, odd) < 0.05;
}

/** Text, not garbage: a real table has hardly any control characters besides tab and line breaks. */
function assertMostlyPrintable(bytes: Buffer, encoding: DecodedCsv['encoding']): void {
  let controls = 0;
  let length = 0;
  for (const chunk of decodeChunks(bytes, encoding, false)) {
    length += chunk.length;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f)) controls++;
    }
  }
  if (controls > length / 100) throw notSpreadsheet();
}

// Text, but not a table we read: "Webseite" exports named .xls, Excel 2003 XML, RTF.
const markup = /^\s*(?:<\?xml|<!doctype|<html|<table|\{\\rtf)/i;

/** The first 64 KB of text: enough for the header line, the "sep=" hint and the markup check. */
function headOf(bytes: Buffer, encoding: DecodedCsv['encoding']): string {
  return new TextDecoder(encoding).decode(bytes.subarray(0, CHUNK), { stream: true });
}

/**
 * The encoding the file is written in; refuses binary data and encodings we do not read. The
 * file is checked chunk by chunk: its text is never held as a whole.
 */
export function detectCsvEncoding(bytes: Buffer): { encoding: DecodedCsv['encoding']; head: string } {
  if (startsWithBytes(bytes, [0xff, 0xfe, 0, 0]) || startsWithBytes(bytes, [0, 0, 0xfe, 0xff])) throw encodingError(); // UTF-32
  let encoding: DecodedCsv['encoding'];
  if (startsWithBytes(bytes, [0xef, 0xbb, 0xbf])) encoding = 'utf-8';
  else if (startsWithBytes(bytes, [0xff, 0xfe])) encoding = 'utf-16le';
  else if (startsWithBytes(bytes, [0xfe, 0xff])) encoding = 'utf-16be';
  else if (bytes.includes(0)) throw looksLikeUtf16(bytes) ? encodingError() : notSpreadsheet();
  // Not UTF-8, so what Excel writes as "CSV (Trennzeichen-getrennt)" on a German Windows.
  else encoding = decodesAs(bytes, 'utf-8') ? 'utf-8' : 'windows-1252';
  // A BOM promises its encoding: a file that breaks it is refused, not guessed at.
  if (encoding !== 'windows-1252' && !decodesAs(bytes, encoding)) throw encodingError();
  assertMostlyPrintable(bytes, encoding);
  const head = headOf(bytes, encoding);
  if (markup.test(head.slice(0, 1024))) throw notSpreadsheet();
  return { encoding, head };
}

const delimiters = [';', ',', '\t'];

/** The delimiter that splits the header line into the most known columns; ";" when undecided. */
export function detectDelimiter(csv: string): string {
  const header = csv.slice(0, 64 * 1024).split(/\r\n|\n|\r/).find((line) => /[^\s;,"]/.test(line)) ?? '';
  let best = { delimiter: ';', known: -1, fields: 0 };
  for (const delimiter of delimiters) {
    const fields = header.split(delimiter).map((field) => field.trim().replace(/^"(.*)"$/, '$1'));
    const known = fields.filter((field) => findColumn(field)).length;
    if (known > best.known || (known === best.known && fields.length > best.fields)) best = { delimiter, known, fields: fields.length };
  }
  return best.delimiter;
}

/**
 * The non-empty rows with their row number as a spreadsheet program shows it (a quoted cell with
 * line breaks is still one row), read as a stream: the file is decoded chunk by chunk into
 * csv-parse and only the trimmed cells of each row are kept. Stops once more than maxDataRows
 * follow the header.
 */
export async function readCsv(bytes: Buffer, maxDataRows: number): Promise<{ rows: RawRow[]; delimiter: string; encoding: DecodedCsv['encoding']; empty: boolean }> {
  const { encoding, head } = detectCsvEncoding(bytes);
  // Excel's own hint line "sep=;" names the delimiter and is not shown as a row.
  const hint = /^sep=(.)(?:\r\n|\n|\r)/i.exec(head);
  const delimiter = hint ? hint[1]! : detectDelimiter(head);
  const rows: RawRow[] = [];
  const keep = createCellKeeper();
  let empty = true;
  const parser = parse({
    delimiter,
    record_delimiter: ['\r\n', '\n', '\r'],
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    // Rows are collected here and dropped from the parser's output, which keeps no line numbers.
    on_record: (record: string[], context) => {
      const cells = record.map((cell) => cell.trim());
      if (cells.every((cell) => cell === '')) return null;
      if (rows.length > maxDataRows) throw new SpreadsheetError('too-many-rows', text.spreadsheet.tooManyRows(maxDataRows));
      rows.push({ line: context.records, cells: keep(cells) });
      return null;
    },
  });
  function* decodedText() {
    let skip = hint ? hint[0].length : 0;
    for (const chunk of decodeChunks(bytes, encoding, false)) {
      if (empty && chunk.trim() !== '') empty = false;
      const rest = skip ? chunk.slice(skip) : chunk;
      skip = Math.max(0, skip - chunk.length);
      if (rest) yield rest;
    }
  }
  try {
    await pipeline(Readable.from(decodedText()), parser, new Writable({ objectMode: true, write: (_record, _encoding, done) => done() }));
    return { rows, delimiter, encoding, empty };
  } catch (error) {
    if (error instanceof SpreadsheetError) throw error;
    if (!(error instanceof CsvError)) throw error;
    throw new SpreadsheetError('csv-invalid', error.code === 'CSV_QUOTE_NOT_CLOSED' ? text.spreadsheet.csvQuoteNotClosed : text.spreadsheet.csvInvalid(Number(error.lines) || 1));
  }
}

// OWASP "CSV injection": a spreadsheet program runs a cell starting like this as a formula.
const formulaStart = /^[=+\-@\t\r]/;

function csvCell(value: string): string {
  const safe = formulaStart.test(value) ? `'${value}` : value;
  return /[;"\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** A CSV that German Excel opens by double-click: UTF-8 with BOM, ";", CRLF; formulas neutralised. */
export function toCsv(rows: string[][]): Buffer {
  return Buffer.from('\uFEFF' + rows.map((row) => row.map(csvCell).join(';') + '\r\n').join(''), 'utf8');
}
