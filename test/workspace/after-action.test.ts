import t from 'tap';
import { startTestApp } from '../helpers/app.ts';
import { visibleText } from '../helpers/browser.ts';
import { createReseller, createResellerStaff, createTenant, createUser, signIn } from '../helpers/fixtures.ts';
import { formularOf, rowByLabel, rowLabels, workAs } from './helpers.ts';

// After an action the list opens at the page that holds the row (not filtered to it), marked;
// a search that would hide the row is dropped; an explicit page is respected.

t.test('Anwender: a new one on page 2 of 56; the list opens there, marked; searches that hide it are dropped', async (t) => {
  const { app, db } = await startTestApp(t);
  const reseller = await createReseller(db);
  const tenant = await createTenant(db, reseller.id);
  for (let i = 1; i <= 55; i++) await createUser(db, tenant, { firstName: 'Anna', lastName: `Nachname ${String(i).padStart(2, '0')}`, email: `anna${i}@example.com`, password: null });
  const staff = await signIn(app, await createResellerStaff(db, reseller.id));
  await workAs(staff, tenant.id);

  let page = await staff.get('/anwender/neu');
  page = await staff.post('/anwender', { formular: formularOf(page.body), firstName: 'Zora', lastName: 'Nachnamez', email: 'zora@example.com' });
  t.equal(page.status, 303);
  const zora = await db.selectFrom('accounts').select('id').where('email', '=', 'zora@example.com').executeTakeFirstOrThrow();
  t.equal(page.location, `/anwender?markiert=${zora.id}`, 'to the list with the row marked, no search');
  page = await staff.follow(page);
  const shown = visibleText(page.body);
  t.match(shown, '56 Einträge', 'the whole list is counted, not "1 Treffer"');
  t.match(shown, 'Seite 2 von 2', 'at the page that holds her');
  t.same(rowLabels(page.body), ['Nachname 51, Anna', 'Nachname 52, Anna', 'Nachname 53, Anna', 'Nachname 54, Anna', 'Nachname 55, Anna', 'Nachnamez, Zora']);
  t.match(rowByLabel(page.body, 'Nachnamez, Zora') ?? '', /^<tr class="selected">/, 'her row is marked');

  page = await staff.get(`/anwender?q=${encodeURIComponent('Nachname 0')}&markiert=${zora.id}`);
  t.notMatch(visibleText(page.body), 'Treffer', 'a search that leaves her out is dropped');
  t.match(rowByLabel(page.body, 'Nachnamez, Zora') ?? '', /^<tr class="selected">/, 'and her row is shown, marked');

  page = await staff.get(`/anwender?q=${encodeURIComponent('Zora')}&markiert=${zora.id}`);
  t.match(visibleText(page.body), '1 Treffer', 'a search that holds her is kept');

  page = await staff.get(`/anwender?markiert=${zora.id}&seite=1`);
  t.match(visibleText(page.body), 'Seite 1 von 2', 'a page asked for explicitly is respected');
  t.equal(rowByLabel(page.body, 'Nachnamez, Zora'), undefined);

  // The list action (a link) keeps the search the person had, at the page of the row.
  page = await staff.get(`/anwender?q=${encodeURIComponent('Nachname 5')}`);
  page = await staff.post('/anwender/auswahl', { formular: formularOf(page.body), anwender: zora.id, aktion: 'link', q: 'Nachname 5', sort: 'name', dir: 'asc', seite: '1' });
  t.equal(page.status, 303);
  t.equal(page.location, `/anwender?q=Nachname+5&markiert=${zora.id}`);
});

t.test('Mandanten: sorted by Kundennummer descending, the marked row opens at its page in that sort', async (t) => {
  const { app, db } = await startTestApp(t);
  const reseller = await createReseller(db);
  const ids: string[] = [];
  for (let i = 1; i <= 60; i++) ids.push((await createTenant(db, reseller.id, `Firma ${String(i).padStart(2, '0')}`, `K-${1000 + i}`)).id);
  const staff = await signIn(app, await createResellerStaff(db, reseller.id));
  // K-1005 is the 56th from the top when sorted by number descending: page 2.
  let page = await staff.get(`/mandanten?sort=customerNumber&dir=desc&markiert=${ids[4]}`);
  t.match(visibleText(page.body), 'Seite 2 von 2');
  t.match(rowByLabel(page.body, 'Firma 05') ?? '', /^<tr class="selected">/);
  // By name ascending it is on page 1.
  page = await staff.get(`/mandanten?markiert=${ids[4]}`);
  t.match(visibleText(page.body), 'Seite 1 von 2');
  t.match(rowByLabel(page.body, 'Firma 05') ?? '', /^<tr class="selected">/);
  // Another reseller's Mandant marked in the URL: the first page, nothing marked, nothing leaked.
  const other = await createTenant(db, (await createReseller(db, 'Süd IT GmbH')).id, 'Geheim GmbH', 'S-1');
  page = await staff.get(`/mandanten?markiert=${other.id}`);
  t.equal(page.status, 200);
  t.match(visibleText(page.body), 'Seite 1 von 2');
  t.notMatch(page.body, other.id);
  t.notMatch(page.body, 'class="selected"');
});
