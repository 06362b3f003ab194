import t from 'tap';
import { startTestApp } from '../helpers/app.ts';
import { visibleText } from '../helpers/browser.ts';
import { createOperator, createReseller, createResellerStaff, createTenant, signIn } from '../helpers/fixtures.ts';
import { cells, tableRows } from '../workspace/helpers.ts';

// The operator's Reseller tab as a list: Firma, Ort and the number of Mandanten; search by Firma,
// Ort or Kundennummer; 50 a page; the count in words.

t.test('Reseller tab: columns, search, count and pagination', async (t) => {
  const { app, db } = await startTestApp(t);
  const nord = await createReseller(db, 'Nord IT GmbH');
  await createTenant(db, nord.id, 'Müller Bau GmbH', 'K-1001');
  await createTenant(db, nord.id, 'Schulz Handel KG', 'K-1002');
  await db
    .insertInto('resellers')
    .values(Array.from({ length: 54 }, (_, i) => ({ name: `Partner ${String(i + 1).padStart(2, '0')} GmbH`, customer_number: `R-${i + 1}`, street: 'Weg 1', postal_code: '28195', city: i % 2 === 0 ? 'Bremen' : 'Kiel' })))
    .execute();
  const otto = await signIn(app, await createOperator(db));
  const rows = (html: string) => tableRows(html).map((row) => cells(row));

  let page = await otto.get('/reseller');
  t.equal(page.status, 200);
  t.match(visibleText(page.body), '55 Einträge');
  t.match(visibleText(page.body), 'Seite 1 von 2');
  t.equal(rows(page.body).length, 50);
  t.same(rows(page.body).find((row) => row[0] === 'Nord IT GmbH'), ['Nord IT GmbH', '20095 Hamburg', '2'], 'Firma, Ort and the number of Mandanten');
  page = await otto.get('/reseller?seite=2');
  t.equal(rows(page.body).length, 5, 'the second page has the rest');
  page = await otto.get('/reseller?seite=40');
  t.match(visibleText(page.body), 'Seite 2 von 2', 'a page beyond the end shows the last page');

  for (const search of [
    { by: 'Firma', q: 'nord', expected: ['Nord IT GmbH'] },
    { by: 'Ort', q: 'kiel', expected: 27 },
    { by: 'Kundennummer', q: 'R-54', expected: ['Partner 54 GmbH'] },
    { by: 'nothing', q: 'Nirgendwo', expected: [] },
  ]) {
    page = await otto.get(`/reseller?q=${encodeURIComponent(search.q)}`);
    const found = rows(page.body).map((row) => row[0]);
    if (typeof search.expected === 'number') t.equal(found.length, search.expected, `search by ${search.by}: "${search.q}"`);
    else t.same(found, search.expected, `search by ${search.by}: "${search.q}"`);
    const n = typeof search.expected === 'number' ? search.expected : search.expected.length;
    t.match(visibleText(page.body), n === 1 ? '1 Treffer' : `${n} Treffer`, 'and its count');
  }
  page = await otto.get('/reseller?q=partner&seite=3');
  t.match(visibleText(page.body), '54 Treffer', 'a search page beyond the end keeps the count');
  t.match(visibleText(page.body), 'Seite 2 von 2');
});

t.test('the Reseller tab is the operator’s alone', async (t) => {
  const { app, db } = await startTestApp(t);
  const nord = await createReseller(db, 'Nord IT GmbH');
  const rita = await signIn(app, await createResellerStaff(db, nord.id));
  const page = await rita.get('/reseller');
  t.equal(page.status, 403, 'reseller staff get the German "no access" page');
  t.notMatch(page.body, 'Nord IT GmbH</a>', 'and no list');
});
