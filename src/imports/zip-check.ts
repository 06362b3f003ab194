import { createInflateRaw, inflateRawSync } from 'node:zlib';
import { text } from '../i18n/de.ts';
import { SpreadsheetError } from './spreadsheet-error.ts';

// An XLSX is a ZIP archive, and exceljs unpacks every part into memory. So the archive is
// inspected first, from its central directory, without any library: a few kilobytes can
// declare (or really hold) gigabytes. Excel's own files stay far below every limit here.

export const MAX_ZIP_ENTRIES = 1000;
export const MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024;
export const MAX_COMPRESSION_RATIO = 200;

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL_HEADER = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const ZIP64_EXTRA = 0x0001;
const U16 = 0xffff;
const U32 = 0xffffffff;

function refuse(): never {
  throw new SpreadsheetError('zip-unsafe', text.spreadsheet.zipUnsafe);
}

function readU64(buf: Buffer, at: number): number {
  if (at + 8 > buf.length) refuse();
  const value = buf.readBigUInt64LE(at);
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? refuse() : Number(value);
}

/** Where the central directory starts and how many entries it claims, ZIP64 included. */
function findCentralDirectory(buf: Buffer): { offset: number; count: number } {
  // The end record is 22 bytes plus a comment of up to 64 KB, so it is searched from the back.
  for (let at = buf.length - 22; at >= 0 && at >= buf.length - 22 - U16; at--) {
    if (buf.readUInt32LE(at) !== EOCD) continue;
    let count = buf.readUInt16LE(at + 10);
    let offset = buf.readUInt32LE(at + 16);
    if (count === U16 || offset === U32) {
      if (at < 20 || buf.readUInt32LE(at - 20) !== ZIP64_LOCATOR) refuse();
      const zip64 = readU64(buf, at - 12);
      if (zip64 + 56 > buf.length || buf.readUInt32LE(zip64) !== ZIP64_EOCD) refuse();
      count = readU64(buf, zip64 + 32);
      offset = readU64(buf, zip64 + 48);
    }
    return { offset, count };
  }
  return refuse();
}

/** The archive's table of contents, read before anything is unpacked; refuses more than 1,000 entries. */
export function listZipEntries(buf: Buffer): ZipEntry[] {
  const { offset, count } = findCentralDirectory(buf);
  if (count > MAX_ZIP_ENTRIES) refuse();
  const entries: ZipEntry[] = [];
  let at = offset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== CENTRAL_HEADER) refuse();
    const nameLength = buf.readUInt16LE(at + 28);
    const extraLength = buf.readUInt16LE(at + 30);
    const commentLength = buf.readUInt16LE(at + 32);
    const end = at + 46 + nameLength + extraLength + commentLength;
    if (end > buf.length) refuse();
    const entry: ZipEntry = {
      name: buf.toString('utf8', at + 46, at + 46 + nameLength),
      method: buf.readUInt16LE(at + 10),
      compressedSize: buf.readUInt32LE(at + 20),
      uncompressedSize: buf.readUInt32LE(at + 24),
      localHeaderOffset: buf.readUInt32LE(at + 42),
    };
    readZip64Sizes(buf, at + 46 + nameLength, extraLength, entry);
    entries.push(entry);
    at = end;
  }
  return entries;
}

// Sizes that do not fit 32 bits sit in the ZIP64 extra field, in this order, only when maxed out.
function readZip64Sizes(buf: Buffer, start: number, length: number, entry: ZipEntry): void {
  for (let at = start; at + 4 <= start + length; ) {
    const id = buf.readUInt16LE(at);
    const size = buf.readUInt16LE(at + 2);
    let field = at + 4;
    if (id === ZIP64_EXTRA) {
      if (entry.uncompressedSize === U32) {
        entry.uncompressedSize = readU64(buf, field);
        field += 8;
      }
      if (entry.compressedSize === U32) {
        entry.compressedSize = readU64(buf, field);
        field += 8;
      }
      if (entry.localHeaderOffset === U32) entry.localHeaderOffset = readU64(buf, field);
      return;
    }
    at = field + size;
  }
}

/**
 * Refuses archives that would unpack to too much: more than 100 MB declared in total, or any
 * entry packed more than 200:1. The declared sizes are the sender's word only: streamEntries
 * then checks what each entry really holds.
 */
export function assertZipIsSafe(_buf: Buffer, entries: ZipEntry[]): void {
  let total = 0;
  for (const entry of entries) {
    total += entry.uncompressedSize;
    if (total > MAX_UNCOMPRESSED_BYTES) refuse();
    if (entry.uncompressedSize > MAX_COMPRESSION_RATIO * Math.max(entry.compressedSize, 1)) refuse();
  }
}

/**
 * Unpacks every entry as a stream with its declared size as a hard cap, handing each chunk to
 * visit (or dropping it): an entry that lies about its size stops at the cap, and memory stays
 * at one chunk whatever the archive holds. Refuses what exceljs could not unpack either.
 */
export async function streamEntries(buf: Buffer, entries: ZipEntry[], visit: (entry: ZipEntry, chunk: Buffer) => void = () => {}): Promise<void> {
  for (const entry of entries) {
    const data = entryData(buf, entry);
    if (entry.method === 0) {
      if (entry.compressedSize !== entry.uncompressedSize) refuse();
      visit(entry, data);
      continue;
    }
    if (entry.method !== 8) refuse(); // exceljs (unzipper) knows only "stored" and "deflate"
    await new Promise<void>((resolve, reject) => {
      const inflater = createInflateRaw();
      let total = 0;
      const fail = (error: unknown) => {
        inflater.destroy();
        reject(error instanceof SpreadsheetError ? error : new SpreadsheetError('zip-unsafe', text.spreadsheet.zipUnsafe));
      };
      inflater.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > Math.max(entry.uncompressedSize, 1)) return fail(null);
        try {
          visit(entry, chunk);
        } catch (error) {
          fail(error);
        }
      });
      inflater.on('error', fail);
      inflater.on('end', () => resolve());
      inflater.end(data);
    });
  }
}

/** One entry's content, never more than its declared size; refuses what exceljs could not unpack either. */
export function readZipEntry(buf: Buffer, entry: ZipEntry): Buffer {
  const data = entryData(buf, entry);
  if (entry.method === 0) return entry.compressedSize === entry.uncompressedSize ? data : refuse();
  if (entry.method !== 8) refuse();
  try {
    return inflateRawSync(data, { maxOutputLength: Math.max(entry.uncompressedSize, 1) });
  } catch {
    return refuse();
  }
}

function entryData(buf: Buffer, entry: ZipEntry): Buffer {
  const at = entry.localHeaderOffset;
  if (at + 30 > buf.length || buf.readUInt32LE(at) !== LOCAL_HEADER) refuse();
  const start = at + 30 + buf.readUInt16LE(at + 26) + buf.readUInt16LE(at + 28);
  if (start + entry.compressedSize > buf.length) refuse();
  return buf.subarray(start, start + entry.compressedSize);
}
