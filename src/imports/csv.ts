import { CsvError, parse } from 'csv-parse/sync';
import { text } from '../i18n/de.ts';
import { findColumn, type RawRow } from './columns.ts';
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

function decodeStrictly(encoding: DecodedCsv['encoding'], bytes: Buffer): DecodedCsv {
  try {
    return { text: new TextDecoder(encoding, { fatal: true }).decode(bytes), encoding };
  } catch {
    throw encodingError();
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
function assertMostlyPrintable(decoded: string): void {
  let controls = 0;
  for (let i = 0; i < decoded.length; i++) {
    const c = decoded.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f)) controls++;
  }
  if (controls > decoded.length / 100) throw notSpreadsheet();
}

// Text, but not a table we read: "Webseite" exports named .xls, Excel 2003 XML, RTF.
const markup = /^\s*(?:<\?xml|<!doctype|<html|<table|\{\\rtf)/i;

/** The file's text and the encoding it was read in; refuses binary data and encodings we do not read. */
export function decodeCsv(bytes: Buffer): DecodedCsv {
  if (startsWithBytes(bytes, [0xff, 0xfe, 0, 0]) || startsWithBytes(bytes, [0, 0, 0xfe, 0xff])) throw encodingError(); // UTF-32
  let decoded: DecodedCsv;
  if (startsWithBytes(bytes, [0xef, 0xbb, 0xbf])) decoded = decodeStrictly('utf-8', bytes);
  else if (startsWithBytes(bytes, [0xff, 0xfe])) decoded = decodeStrictly('utf-16le', bytes);
  else if (startsWithBytes(bytes, [0xfe, 0xff])) decoded = decodeStrictly('utf-16be', bytes);
  else if (bytes.includes(0)) throw looksLikeUtf16(bytes) ? encodingError() : notSpreadsheet();
  else {
    try {
      decoded = { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
    } catch {
      // Not UTF-8, so what Excel writes as "CSV (Trennzeichen-getrennt)" on a German Windows.
      decoded = { text: new TextDecoder('windows-1252').decode(bytes), encoding: 'windows-1252' };
    }
  }
  assertMostlyPrintable(decoded.text);
  if (markup.test(decoded.text.slice(0, 1024))) throw notSpreadsheet();
  return decoded;
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
 * line breaks is still one row). Stops reading once more than maxDataRows follow the header.
 */
export function parseCsv(csv: string, maxDataRows: number): { rows: RawRow[]; delimiter: string } {
  // Excel's own hint line "sep=;" names the delimiter and is not shown as a row.
  const hint = /^sep=(.)(?:\r\n|\n|\r)/i.exec(csv);
  const delimiter = hint ? hint[1]! : detectDelimiter(csv);
  const rows: RawRow[] = [];
  try {
    parse(hint ? csv.slice(hint[0].length) : csv, {
      delimiter,
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true,
      relax_quotes: true,
      skip_empty_lines: false,
      // Rows are collected here and dropped from the parser's own result, which keeps no line numbers.
      on_record: (record, context) => {
        const cells = record.map((cell) => cell.trim());
        if (cells.every((cell) => cell === '')) return null;
        if (rows.length > maxDataRows) throw new SpreadsheetError('too-many-rows', text.spreadsheet.tooManyRows(maxDataRows));
        rows.push({ line: context.records, cells });
        return null;
      },
    });
    return { rows, delimiter };
  } catch (error) {
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
