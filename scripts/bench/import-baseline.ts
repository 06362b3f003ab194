// Same-run baseline of the import benchmark, run as its own process: the libraries alone
// reading the file the portal gets — exceljs' streaming WorkbookReader for XLSX, csv-parse's
// stream for CSV — and nothing else (no checks, no plan, no database). Prints
// { ms, peakRssMb, rows } as JSON; the peak is this process' VmHWM.
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { parse } from 'csv-parse';
import { readPeakRssMb } from './report.ts';

const [path, format] = process.argv.slice(2);
const started = performance.now();
let rows = 0;
if (format === 'xlsx') {
  const { default: ExcelJS } = await import('exceljs');
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(path!, { worksheets: 'emit', sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', entries: 'ignore' });
  for await (const sheet of reader) {
    for await (const _row of sheet as unknown as AsyncIterable<unknown>) rows++;
  }
} else {
  const parser = parse({ delimiter: ';', relax_column_count: true });
  await pipeline(createReadStream(path!, { encoding: 'latin1' }), parser, new Writable({ objectMode: true, write: (_r, _e, done) => (rows++, done()) }));
}
process.stdout.write(JSON.stringify({ ms: performance.now() - started, peakRssMb: readPeakRssMb(process.pid), rows }));
