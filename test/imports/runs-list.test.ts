import t from 'tap';
import { text } from '../../src/i18n/de.ts';
import { MINUTE } from '../../src/clock.ts';
import { visibleText } from '../helpers/browser.ts';
import { createResellerStaff, signIn } from '../helpers/fixtures.ts';
import { mandant, row, startImportApp, tableAfter, uploadOk, xlsx } from './helpers.ts';

// The Import tab keeps every run: who, when, file name, state and counts.

/** "28.11.2026 14:00" in Europe/Berlin, built from the date's parts (not with the app's formatter). */
function berlin(date: Date): string {
  const p = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(date)
      .map((part) => [part.type, part.value]),
  );
  return `${p.day}.${p.month}.${p.year} ${p.hour}:${p.minute}`;
}

t.test('the Import tab lists every run', async (t) => {
  const { db, app, clock, browser: rita, reseller } = await startImportApp(t, {}, { startWorker: false });
  const rolf = await signIn(app, await createResellerStaff(db, reseller.id, { firstName: 'Rolf', lastName: 'Rahn', email: 'rolf@nord-it.example' }));

  let page = await rita.get('/import');
  t.match(visibleText(page.body), text.imports.runsEmpty, 'empty at first');

  const file = (n: number) => xlsx([row({ ...mandant(`T-${n}`, `Tab ${n} GmbH`), vorname: 'Tina', nachname: 'Tab', email: `tina${n}@tab.example` }), row(mandant(`T-${n}b`, `Tab ${n}b GmbH`))]);

  const imported = await uploadOk(rita, 'erste-liste.xlsx', await file(1));
  const importedAt = clock.now();
  await rita.get(imported);
  await rita.post(`${imported}/ausfuehren`);

  clock.advance(3 * MINUTE);
  const discarded = await uploadOk(rolf, 'falsche-liste.csv', await file(2));
  const discardedAt = clock.now();
  await rolf.get(discarded);
  const gone = await rolf.post(`${discarded}/verwerfen`);
  t.equal(gone.status, 303);
  t.match(visibleText((await rolf.follow(gone)).body), text.imports.discarded);

  clock.advance(3 * MINUTE);
  const pending = await uploadOk(rolf, 'zweite-liste.xlsx', await file(3));
  const pendingAt = clock.now();

  page = await rita.get('/import');
  const rows = tableAfter(page.body, text.imports.runsTitle);
  t.same(
    rows,
    [
      [berlin(pendingAt), 'Rolf Rahn', 'zweite-liste.xlsx', text.imports.states.preview, '–'],
      [berlin(discardedAt), 'Rolf Rahn', 'falsche-liste.csv', text.imports.states.discarded, '–'],
      [berlin(importedAt), 'Rita Nordmann', 'erste-liste.xlsx', text.imports.states.imported, text.imports.countsShort(2, 1)],
    ],
    'newest first: when, who, file, state, counts',
  );
  t.match(page.body, `<a href="${pending}">zweite-liste.xlsx</a>`, 'an open preview is linked');
  t.match(page.body, `<a href="${imported}">erste-liste.xlsx</a>`, 'an imported run is linked (its result)');
  t.notMatch(page.body, `href="${discarded}"`, 'a discarded run is listed but not linked');

  // A file name is the uploader's text: shown escaped, never as markup.
  const markup = '<img src=x onerror=alert(1)>.xlsx';
  await uploadOk(rita, markup, await file(4));
  page = await rita.get('/import');
  t.equal(tableAfter(page.body, text.imports.runsTitle)[0]![2], markup, 'the name as uploaded');
  t.notMatch(page.body, '<img src=x', 'escaped on the page');

  const discardedRun = await db.selectFrom('import_runs').select(['state', 'rows']).where('id', '=', discarded.split('/').pop()!).executeTakeFirstOrThrow();
  t.same(discardedRun, { state: 'discarded', rows: [] }, 'a discarded run keeps no rows of the file');
  const open = await rita.get(discarded);
  t.equal(open.status, 303, 'opening a discarded run goes back to the tab');
  t.equal(open.location, '/import');
  t.equal((await db.selectFrom('tenants').select('id').where('customer_number', 'in', ['T-2', 'T-3']).execute()).length, 0, 'neither the discarded nor the open run wrote Mandanten');
});
