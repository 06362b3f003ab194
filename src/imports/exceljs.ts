import { createRequire } from 'node:module';
import { PassThrough, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

// exceljs, loaded on first use (it is large and most requests never see a spreadsheet), with
// one known bug of its streaming reader worked around: its XML parser turns every chunk of a
// part into text on its own, so a character of two or more bytes (ü, ø, ł, €) that a chunk
// boundary cuts in half becomes "��" (exceljs issues #2063, #2084, #2316; fixes proposed in
// PRs #1665, #2081, #2894, none released). A sheet of 20,000 rows has hundreds of boundaries.
//
// The parser module is replaced, before any exceljs module takes it, by the same function
// with a StringDecoder that carries a cut character over to the next chunk. This module must
// therefore be imported before exceljs itself; everything in src/ loads exceljs through it.

const require = createRequire(import.meta.url);
const parserPath = require.resolve('exceljs/lib/utils/parse-sax.js');
const requireFromExceljs = createRequire(parserPath);

type SaxEvent = { eventType: 'opentag' | 'text' | 'closetag'; value: unknown };

function installUtf8SafeParser(): void {
  if (require.cache[require.resolve('exceljs/lib/stream/xlsx/worksheet-reader.js')]) {
    // Too late for this process (a script or test that imported exceljs first): say so once.
    process.emitWarning('exceljs was loaded before src/imports/exceljs.ts; its streaming reader may cut multi-byte characters at chunk boundaries');
    return;
  }
  const { SaxesParser } = requireFromExceljs('saxes') as { SaxesParser: new () => { on(event: string, handler: (value: unknown) => void): void; write(text: string): void } };
  async function* parseSax(iterable: AsyncIterable<Buffer | string> | Readable): AsyncGenerator<SaxEvent[]> {
    const source = 'pipe' in iterable && !(Symbol.asyncIterator in iterable) ? (iterable as Readable).pipe(new PassThrough()) : iterable;
    const parser = new SaxesParser();
    const decoder = new StringDecoder('utf8');
    let error: unknown = null;
    let events: SaxEvent[] = [];
    parser.on('error', (err) => (error = err));
    parser.on('opentag', (value) => events.push({ eventType: 'opentag', value }));
    parser.on('text', (value) => events.push({ eventType: 'text', value }));
    parser.on('closetag', (value) => events.push({ eventType: 'closetag', value }));
    for await (const chunk of source as AsyncIterable<Buffer | string>) {
      parser.write(typeof chunk === 'string' ? chunk : decoder.write(chunk));
      if (error) throw error;
      yield events;
      events = [];
    }
    const rest = decoder.end();
    if (rest) {
      parser.write(rest);
      if (error) throw error;
      yield events;
    }
  }
  require(parserPath);
  require.cache[parserPath]!.exports = parseSax;
}

installUtf8SafeParser();

export async function loadExcelJs(): Promise<typeof import('exceljs')> {
  return (await import('exceljs')).default as unknown as typeof import('exceljs');
}
