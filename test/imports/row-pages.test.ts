import t from 'tap';
import { createImportRun, readImportRows, ROWS_PER_PAGE } from '../../src/imports/runs.ts';
import type { SheetRow } from '../../src/imports/rows.ts';
import { createResellerStaff } from '../helpers/fixtures.ts';
import { startImportApp } from './helpers.ts';

// The plan reads a run's stored rows by the page, not as one JSON of the whole file: every row
// once, in the order of the file, across the pages' borders.

t.test('the stored rows come back page by page, each row once and in order', async (t) => {
  const { db, reseller } = await startImportApp(t, {}, { startWorker: false });
  const staff = await createResellerStaff(db, reseller.id, { firstName: 'Paula', lastName: 'Page', email: 'paula@nord-it.example' });
  const count = 2 * ROWS_PER_PAGE + 1;
  const rows = Array.from({ length: count }, (_, i) => ({
    line: i + 2,
    values: { customerNumber: `K-${i}`, name: `Firma ${i}`, street: 'Weg 1', postalCode: '20095', city: 'Hamburg', country: 'DE', vatId: '', applications: '', firstName: 'Ana', lastName: `Nr${i}`, email: `a${i}@x.example`, rights: '' },
    ...(i === count - 1 ? { numbers: ['postalCode'] } : {}),
  })) as SheetRow[];
  const runId = await createImportRun(db, { resellerId: reseller.id, createdBy: staff.id, fileName: 'seiten.csv', rows, at: new Date(), ip: null });

  const pages: SheetRow[][] = [];
  for await (const page of readImportRows(db, runId, count)) pages.push(page);
  t.same(pages.map((page) => page.length), [ROWS_PER_PAGE, ROWS_PER_PAGE, 1], 'two full pages and the one row after them');
  t.same(pages.flat(), rows, 'every row, in the order of the file, with its line and its number cells');

  const none: SheetRow[][] = [];
  for await (const page of readImportRows(db, runId, 0)) none.push(page);
  t.same(none, [], 'a run without rows reads no page');
});
