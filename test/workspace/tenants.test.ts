import { randomUUID } from 'node:crypto';
import t from 'tap';
import { startTestApp } from '../helpers/app.ts';
import { type Browser, visibleText } from '../helpers/browser.ts';
import { createReseller, createResellerStaff, createTenant, createUser, signIn } from '../helpers/fixtures.ts';
import { cells, companyForm, countRows, fieldError, fieldsWithErrors, fieldValue, rowByLabel, rowLabels, tableRows } from './helpers.ts';

// The Mandanten tab (issue 3): the reseller's own Mandanten with Firma, Kundennummer, Ort and
// number of Anwender; search, sort, 50 a page; selecting a row; the form with a German message
// at each field that is missing or wrong, for Neu and Bearbeiten alike; bad input refused or
// stored literally and always shown escaped.

t.test('Mandanten list: columns, search, sort, pagination and selection', async (t) => {
  const { app, db } = await startTestApp(t);
  const reseller = await createReseller(db, 'Sortier IT GmbH');
  const staff = await signIn(app, await createResellerStaff(db, reseller.id));

  // Four Mandanten whose order differs by every column.
  const tenants = [
    { name: 'Alpha Bau GmbH', customer_number: 'K-3', postal_code: '01067', city: 'Dresden', users: 1 },
    { name: 'Beta Druck GmbH', customer_number: 'K-1', postal_code: '52062', city: 'Aachen', users: 3 },
    { name: 'Gamma Elektro GmbH', customer_number: 'K-4', postal_code: '28195', city: 'Bremen', users: 0 },
    { name: 'Delta Forst GmbH', customer_number: 'K-2', postal_code: '29221', city: 'Celle', users: 2 },
  ];
  const ids: Record<string, string> = {};
  for (const tenant of tenants) {
    const row = await db
      .insertInto('tenants')
      .values({ reseller_id: reseller.id, name: tenant.name, customer_number: tenant.customer_number, street: 'Hauptstraße 1', postal_code: tenant.postal_code, city: tenant.city })
      .returning('id')
      .executeTakeFirstOrThrow();
    ids[tenant.name] = row.id;
    for (let i = 0; i < tenant.users; i++) {
      await createUser(db, { id: row.id, resellerId: reseller.id }, { firstName: 'Anna', lastName: `Anwenderin ${'abc'[i]}`, email: `anna${i}@example.com`, password: null });
    }
  }

  await t.test('the list shows Firma, Kundennummer, Ort and the number of Anwender', async (t) => {
    const page = await staff.get('/mandanten');
    t.equal(page.status, 200);
    const head = /<thead>([\s\S]*?)<\/thead>/.exec(page.body)![1]!;
    t.match(visibleText(head), /Firma.*Kundennummer.*Ort.*Anwender/, 'the column headings');
    t.equal(tableRows(page.body).length, 4);
    for (const tenant of tenants) {
      const row = rowByLabel(page.body, tenant.name);
      t.ok(row, `a row for ${tenant.name}`);
      t.same(cells(row!).slice(1), [tenant.name, tenant.customer_number, `${tenant.postal_code} ${tenant.city}`, String(tenant.users)], `${tenant.name}: Firma, Kundennummer, Ort, Anwender`);
    }
    t.match(visibleText(page.body), '4 Einträge');
  });

  const searches: { by: string; q: string; expected: string[] }[] = [
    { by: 'Firma (part, any case)', q: 'alpha', expected: ['Alpha Bau GmbH'] },
    { by: 'Firma matching several', q: 'gmbh', expected: ['Alpha Bau GmbH', 'Beta Druck GmbH', 'Delta Forst GmbH', 'Gamma Elektro GmbH'] },
    { by: 'Kundennummer', q: 'K-4', expected: ['Gamma Elektro GmbH'] },
    { by: 'Ort', q: 'CELLE', expected: ['Delta Forst GmbH'] },
    { by: 'a term nobody has', q: 'Nirgendwo', expected: [] },
    { by: 'a LIKE wildcard, taken literally', q: '%', expected: [] },
    { by: 'an underscore, taken literally', q: '_', expected: [] },
  ];
  for (const search of searches) {
    await t.test(`search by ${search.by}: "${search.q}" finds ${search.expected.length}`, async (t) => {
      const page = await staff.get(`/mandanten?q=${encodeURIComponent(search.q)}`);
      t.equal(page.status, 200);
      t.same(rowLabels(page.body), search.expected);
      const shown = visibleText(page.body);
      if (search.expected.length === 0) t.match(shown, 'Keine Einträge gefunden.');
      else t.match(shown, search.expected.length === 1 ? '1 Treffer' : `${search.expected.length} Treffer`);
      t.match(page.body, `value="${search.q}"`, 'the search term stays in the field');
    });
  }

  const orders: Record<string, string[]> = {
    name: ['Alpha Bau GmbH', 'Beta Druck GmbH', 'Delta Forst GmbH', 'Gamma Elektro GmbH'],
    customerNumber: ['Beta Druck GmbH', 'Delta Forst GmbH', 'Alpha Bau GmbH', 'Gamma Elektro GmbH'],
    city: ['Beta Druck GmbH', 'Gamma Elektro GmbH', 'Delta Forst GmbH', 'Alpha Bau GmbH'],
    users: ['Gamma Elektro GmbH', 'Alpha Bau GmbH', 'Delta Forst GmbH', 'Beta Druck GmbH'],
  };
  const columnLabels: Record<string, string> = { name: 'Firma', customerNumber: 'Kundennummer', city: 'Ort', users: 'Anwender' };
  for (const [sort, ascending] of Object.entries(orders)) {
    for (const dir of ['asc', 'desc'] as const) {
      await t.test(`sort by ${columnLabels[sort]} ${dir === 'asc' ? 'ascending' : 'descending'}`, async (t) => {
        const page = await staff.get(`/mandanten?sort=${sort}&dir=${dir}`);
        t.equal(page.status, 200);
        t.same(rowLabels(page.body), dir === 'asc' ? ascending : [...ascending].reverse());
        t.match(page.body, `aria-sort="${dir === 'asc' ? 'ascending' : 'descending'}"`, 'the heading says how the table is sorted');
        const flip = dir === 'asc' ? 'desc' : 'asc';
        t.match(page.body, `href="/mandanten?sort=${sort}&amp;dir=${flip}"`, 'the heading links to the other direction');
      });
    }
  }

  await t.test('an unknown sort column falls back to Firma', async (t) => {
    const page = await staff.get('/mandanten?sort=password_hash&dir=desc');
    t.equal(page.status, 200);
    t.same(rowLabels(page.body), [...orders.name!].reverse());
  });

  await t.test('"Als ausgewählter Mandant arbeiten" without a selection → 422 with the explanation, list still shown', async (t) => {
    await staff.get('/mandanten');
    for (const aktion of ['arbeiten', 'bearbeiten']) {
      const page = await staff.post('/mandanten/auswahl', { aktion, q: '', sort: 'name', dir: 'asc', seite: '1' });
      t.equal(page.status, 422, `aktion=${aktion}`);
      t.match(
        visibleText(page.body),
        'Bitte wähle zuerst einen Mandanten in der Tabelle aus (Auswahlknopf am Anfang der Zeile) und klicke dann auf „Als ausgewählter Mandant arbeiten“.',
      );
      t.equal(tableRows(page.body).length, 4, 'the table is shown again');
    }
    t.notMatch(visibleText((await staff.get('/mandanten')).body), 'Ausgewählter Mandant:', 'nothing was selected');
  });

  await t.test('the selected Mandant: its row is marked and its radio checked, on every list page', async (t) => {
    await staff.get('/mandanten');
    let page = await staff.post('/mandanten/auswahl', { mandant: ids['Beta Druck GmbH']!, aktion: 'arbeiten', q: '', sort: 'name', dir: 'asc', seite: '1' });
    t.equal(page.status, 303);
    page = await staff.follow(page);
    t.match(visibleText(page.body), 'Du arbeitest jetzt als Mandant „Beta Druck GmbH“.');
    t.match(visibleText(page.body), 'Ausgewählter Mandant: Beta Druck GmbH (K-1)');
    const selected = tableRows(page.body).filter((row) => row.startsWith('<tr class="selected">'));
    t.equal(selected.length, 1, 'exactly one row is marked');
    t.match(selected[0]!, new RegExp(`<input type="radio" name="mandant" value="${ids['Beta Druck GmbH']}"[^>]*checked`), 'the marked row is Beta, radio checked');
    t.equal((page.body.match(/ checked>/g) ?? []).length, 1, 'no other radio is checked');
    t.match(selected[0]!, 'ausgewählt', 'with the badge');

    page = await staff.get('/mandanten?sort=city&dir=desc');
    t.match(rowByLabel(page.body, 'Beta Druck GmbH')!, /^<tr class="selected">/, 'still marked after sorting');
    page = await staff.get('/anwender');
    t.match(visibleText(page.body), 'Anwender von Beta Druck GmbH');

    page = await staff.post('/mandanten/auswahl', { mandant: ids['Gamma Elektro GmbH']!, aktion: 'bearbeiten' });
    t.equal(page.status, 303);
    t.equal(page.location, `/mandanten/${ids['Gamma Elektro GmbH']}/bearbeiten`, '"Bearbeiten" opens the selected row’s form');
  });

  await t.test('pagination: 50 a page, 120 Mandanten → three pages, the last with 20', async (t) => {
    const many = await createReseller(db, 'Viel IT GmbH');
    await db
      .insertInto('tenants')
      .values(
        Array.from({ length: 120 }, (_, i) => ({
          reseller_id: many.id,
          name: `Firma ${String(i + 1).padStart(3, '0')}`,
          customer_number: `P-${i + 1}`,
          street: 'Weg 1',
          postal_code: '10115',
          city: 'Berlin',
        })),
      )
      .execute();
    const viel = await signIn(app, await createResellerStaff(db, many.id, { firstName: 'Vera', lastName: 'Viel', email: 'vera@viel.example' }));
    const seen: string[] = [];
    for (const [page, count] of [[1, 50], [2, 50], [3, 20]] as const) {
      const html = (await viel.get(`/mandanten?seite=${page}`)).body;
      const labels = rowLabels(html);
      t.equal(labels.length, count, `page ${page} has ${count} rows`);
      t.match(visibleText(html), `Seite ${page} von 3`);
      t.match(visibleText(html), '120 Einträge');
      t.equal(html.includes('rel="next"'), page < 3, page < 3 ? 'a link to the next page' : 'no next page after the last');
      t.equal(html.includes('rel="prev"'), page > 1, page > 1 ? 'a link to the previous page' : 'no previous page before the first');
      seen.push(...labels);
    }
    t.same(seen, Array.from({ length: 120 }, (_, i) => `Firma ${String(i + 1).padStart(3, '0')}`), 'the pages together show each Mandant once, in order');
    const beyond = await viel.get('/mandanten?seite=99');
    t.equal(beyond.status, 200, 'a page beyond the end is not an error');
    t.match(visibleText(beyond.body), 'Seite 3 von 3', 'it shows the last page');
    const searched = await viel.get('/mandanten?q=Firma&seite=3');
    t.equal(rowLabels(searched.body).length, 20, 'search results are paged the same way');
    t.match(visibleText(searched.body), 'Seite 3 von 3');
    t.match(visibleText(searched.body), '120 Treffer');
    const searchedBeyond = await viel.get('/mandanten?q=Firma&seite=9');
    t.match(visibleText(searchedBeyond.body), 'Seite 3 von 3', 'a search page beyond the end shows the last page of the hits');
    t.match(visibleText(searchedBeyond.body), '120 Treffer', 'with the count of the hits');
    t.equal(rowLabels(searchedBeyond.body).length, 20);
    const none = await viel.get('/mandanten?q=Nirgendwo');
    t.equal(rowLabels(none.body).length, 0);
    t.match(visibleText(none.body), '0 Treffer', 'a search without hits says so');
  });

  await t.test('a search is counted up to 1.000: "mehr als 1.000 Treffer", 20 pages of 50', async (t) => {
    const big = await createReseller(db, 'Groß IT GmbH');
    await db
      .insertInto('tenants')
      .values(Array.from({ length: 1003 }, (_, i) => ({ reseller_id: big.id, name: `Werk ${String(i + 1).padStart(4, '0')}`, customer_number: `W-${i + 1}`, street: 'Weg 1', postal_code: '10115', city: 'Berlin' })))
      .execute();
    const gross = await signIn(app, await createResellerStaff(db, big.id, { firstName: 'Gerd', lastName: 'Groß', email: 'gerd@gross.example' }));
    const all = await gross.get('/mandanten');
    t.match(visibleText(all.body), '1.003 Einträge', 'without a search the count is exact');
    t.match(visibleText(all.body), 'Seite 1 von 21');
    const searched = await gross.get('/mandanten?q=werk');
    t.match(visibleText(searched.body), 'mehr als 1.000 Treffer');
    t.match(visibleText(searched.body), 'Seite 1 von 20');
    t.equal(rowLabels(searched.body).length, 50);
    const narrow = await gross.get('/mandanten?q=werk 100');
    t.match(visibleText(narrow.body), '4 Treffer', 'a narrower search is counted exactly (Werk 1000 to 1003)');
  });
});

// ---------------------------------------------------------------------------------------------
// The form. Every refusal is one row; each runs against Neu and against Bearbeiten.

interface Refusal {
  rule: string;
  form: Record<string, string>;
  field: string;
  message: string;
}

const missing = (field: string, label: string) => ({ field, message: `Bitte gib ${label} an.` });
const controlChars = 'Bitte keine Steuerzeichen (z. B. Zeilenumbrüche oder Tabulatoren) verwenden.';
const formulaStart = 'Bitte nicht mit =, +, -, @ oder einem Tabulator beginnen.';
const emailSyntax = 'Bitte gib eine gültige E-Mail-Adresse an, z. B. name@firma.de.';

const refusals: Refusal[] = [
  { rule: 'Firma is required', form: { name: '' }, ...missing('name', 'den Firmennamen') },
  { rule: 'Firma of spaces only is missing', form: { name: '    ' }, ...missing('name', 'den Firmennamen') },
  { rule: 'Straße is required', form: { street: '' }, ...missing('street', 'Straße und Hausnummer') },
  { rule: 'PLZ is required', form: { postalCode: '' }, ...missing('postalCode', 'die Postleitzahl') },
  { rule: 'Ort is required', form: { city: '' }, ...missing('city', 'den Ort') },
  { rule: 'a German PLZ has five digits (not four)', form: { postalCode: '2410' }, field: 'postalCode', message: 'Die PLZ „2410“ passt nicht zu Deutschland (DE); erwartet: 5 Ziffern.' },
  { rule: 'a German PLZ has five digits (not letters)', form: { postalCode: 'ABCDE' }, field: 'postalCode', message: 'Die PLZ „ABCDE“ passt nicht zu Deutschland (DE); erwartet: 5 Ziffern.' },
  { rule: 'an Austrian PLZ has four digits', form: { country: 'AT', postalCode: '10100' }, field: 'postalCode', message: 'Die PLZ „10100“ passt nicht zu Österreich (AT); erwartet: z. B. 1010.' },
  { rule: 'Land must be one of the list', form: { country: 'XX' }, field: 'country', message: 'Das Land „XX“ kennen wir nicht. Bitte wähle ein Land aus der Liste.' },
  { rule: 'a German USt-IdNr is DE and nine digits (DE12345 refused)', form: { vatId: 'DE12345' }, field: 'vatId', message: 'Die USt-IdNr. „DE12345“ passt nicht zu Deutschland (DE); erwartet: z. B. DE123456789.' },
  { rule: 'the USt-IdNr must fit the country (DE number for AT refused)', form: { country: 'AT', postalCode: '1010', vatId: 'DE123456789' }, field: 'vatId', message: 'Die USt-IdNr. „DE123456789“ passt nicht zu Österreich (AT); erwartet: z. B. ATU12345678.' },
  { rule: 'e-mail syntax: an @ is needed', form: { email: 'info.firma.de' }, field: 'email', message: emailSyntax },
  { rule: 'e-mail syntax: a domain with a dot is needed', form: { email: 'info@firma' }, field: 'email', message: emailSyntax },
  { rule: 'e-mail with CR/LF (header injection) is refused', form: { email: 'info@firma.de\r\nBcc: alle@example.com' }, field: 'email', message: controlChars },
  { rule: 'Telefon must be a phone number', form: { phone: 'ruf mich an' }, field: 'phone', message: 'Bitte eine Telefonnummer aus Ziffern angeben, z. B. +49 40 123456.' },
  {
    rule: 'Kundennummer characters are limited',
    form: { customerNumber: 'K 1001' },
    field: 'customerNumber',
    message: 'Bitte nur Buchstaben, Ziffern, Punkt, Bindestrich, Unterstrich und Schrägstrich verwenden; am Anfang ein Buchstabe oder eine Ziffer.',
  },
  { rule: 'a 1,000-character Firma is too long', form: { name: 'M'.repeat(1000) }, field: 'name', message: 'Bitte höchstens 200 Zeichen eingeben.' },
  { rule: 'a control character (BEL) in Firma is refused', form: { name: 'Müller\u0007Bau GmbH' }, field: 'name', message: controlChars },
  { rule: 'a line break in Firma is refused', form: { name: 'Müller\r\nBau GmbH' }, field: 'name', message: controlChars },
  { rule: 'a line break in Straße is refused', form: { street: 'Lindenweg 5\nHinterhaus' }, field: 'street', message: controlChars },
  { rule: 'Firma starting with = (spreadsheet formula) is refused', form: { name: '=HYPERLINK("http://evil.example","Klick")' }, field: 'name', message: formulaStart },
  { rule: 'Firma starting with + is refused', form: { name: '+49 Bau GmbH' }, field: 'name', message: formulaStart },
  { rule: 'Firma starting with - is refused', form: { name: '-Bau GmbH' }, field: 'name', message: formulaStart },
  { rule: 'Firma starting with @ is refused', form: { name: '@SUM(1+1)' }, field: 'name', message: formulaStart },
  { rule: 'Ort starting with = is refused', form: { city: '=1+1' }, field: 'city', message: formulaStart },
  { rule: 'Straße starting with @ is refused', form: { street: '@Lindenweg 5' }, field: 'street', message: formulaStart },
  { rule: 'a formula with HTML is refused and shown escaped', form: { name: '=<script>alert(1)</script>' }, field: 'name', message: formulaStart },
  { rule: 'HTML in Firma is refused and shown escaped', form: { name: '<script>alert(1)</script> GmbH' }, field: 'name', message: 'Bitte keine spitzen Klammern (< oder >) verwenden.' },
  { rule: 'HTML in Ort is refused', form: { city: 'Kiel <b>Nord</b>' }, field: 'city', message: 'Bitte keine spitzen Klammern (< oder >) verwenden.' },
  { rule: 'a Kundennummer already used by this reseller is refused, naming the other Mandant', form: { customerNumber: 'K-1' }, field: 'customerNumber', message: 'Diese Kundennummer ist bei dir schon vergeben (Erster Kunde GmbH).' },
  { rule: 'the duplicate check ignores surrounding spaces', form: { customerNumber: '  K-1 ' }, field: 'customerNumber', message: 'Diese Kundennummer ist bei dir schon vergeben (Erster Kunde GmbH).' },
];

t.test('Mandant form: each missing or wrong field gets its German message, input kept, nothing written', async (t) => {
  const { app, db, logs } = await startTestApp(t);
  const nord = await createReseller(db, 'Nord IT GmbH');
  const sued = await createReseller(db, 'Süd Systemhaus GmbH');
  await createTenant(db, nord.id, 'Erster Kunde GmbH', 'K-1');
  const second = await createTenant(db, nord.id, 'Zweiter Kunde GmbH', 'K-2');
  await createTenant(db, sued.id, 'Süd Kunde GmbH', 'K-2000');
  const staff = await signIn(app, await createResellerStaff(db, nord.id));
  const tenantRow = (id: string) => db.selectFrom('tenants').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

  const modes = [
    { label: 'Neu', open: '/mandanten/neu', action: '/mandanten', base: companyForm({ customerNumber: 'K-9' }) },
    { label: 'Bearbeiten', open: `/mandanten/${second.id}/bearbeiten`, action: `/mandanten/${second.id}`, base: companyForm({ name: 'Zweiter Kunde GmbH', customerNumber: 'K-2' }) },
  ];

  for (const mode of modes) {
    for (const refusal of refusals) {
      await t.test(`${mode.label}: ${refusal.rule}`, async (t) => {
        const form = { ...mode.base, ...refusal.form };
        const tenantsBefore = await countRows(db, 'tenants');
        const auditBefore = await countRows(db, 'audit_events');
        const rowBefore = await tenantRow(second.id);
        await staff.get(mode.open);
        const page = await staff.post(mode.action, form);

        t.equal(page.status, 422, 'the form again (422), not a 500');
        t.equal(fieldError(page.body, refusal.field), refusal.message, `the German message at ${refusal.field}`);
        t.same(fieldsWithErrors(page.body), [refusal.field], 'and at no other field');
        t.match(page.body, `href="#f-${refusal.field}"`, 'the summary links to the field');
        for (const field of ['name', 'street', 'postalCode', 'city', 'customerNumber'] as const) {
          if (field === refusal.field || field in refusal.form) continue;
          t.equal(fieldValue(page.body, field), form[field], `the input of ${field} is kept`);
        }
        t.notMatch(page.body, /<script>alert/, 'no submitted HTML comes back unescaped');
        t.equal(await countRows(db, 'tenants'), tenantsBefore, 'no Mandant was created');
        t.same(await tenantRow(second.id), rowBefore, 'the edited Mandant is unchanged');
        t.equal(await countRows(db, 'audit_events'), auditBefore, 'nothing was logged as changed');
      });
    }
  }

  const accepted: { rule: string; form: Record<string, string>; stored: Record<string, string | null> }[] = [
    { rule: 'an Austrian Mandant with a four-digit PLZ and ATU12345678', form: { name: 'Wiener Bau GmbH', customerNumber: 'A-1', country: 'AT', postalCode: '1010', city: 'Wien', vatId: 'ATU12345678' }, stored: { country: 'AT', postal_code: '1010', vat_id: 'ATU12345678' } },
    { rule: 'a German USt-IdNr DE123456789', form: { name: 'Deutsche Steuer GmbH', customerNumber: 'D-1', vatId: 'DE123456789' }, stored: { vat_id: 'DE123456789' } },
    { rule: 'a USt-IdNr with spaces and lower case is stored normalised', form: { name: 'Leerzeichen GmbH', customerNumber: 'D-2', vatId: 'de 123 456 789' }, stored: { vat_id: 'DE123456789' } },
    { rule: "a Kundennummer another reseller uses (K-2000) is allowed", form: { name: 'Gleiche Nummer GmbH', customerNumber: 'K-2000' }, stored: { customer_number: 'K-2000' } },
    { rule: 'a Mandant without Kundennummer', form: { name: 'Ohne Nummer GmbH', customerNumber: '' }, stored: { customer_number: null } },
    { rule: 'a second Mandant without Kundennummer', form: { name: 'Auch Ohne Nummer GmbH', customerNumber: '' }, stored: { customer_number: null } },
    { rule: 'SQL-looking Firma is stored literally', form: { name: "'; DROP TABLE tenants; --", customerNumber: 'S-1' }, stored: { name: "'; DROP TABLE tenants; --" } },
    { rule: 'e-mail and phone are optional but kept when valid', form: { name: 'Kontakt GmbH', customerNumber: 'C-1', email: 'info@kontakt.example', phone: '+49 40 123456' }, stored: { email: 'info@kontakt.example', phone: '+49 40 123456' } },
  ];
  for (const row of accepted) {
    await t.test(`Neu: ${row.rule}`, async (t) => {
      const before = await countRows(db, 'tenants');
      await staff.get('/mandanten/neu');
      const page = await staff.post('/mandanten', companyForm(row.form));
      t.equal(page.status, 303, 'saved');
      t.equal(await countRows(db, 'tenants'), before + 1, 'one Mandant more');
      const stored = await db.selectFrom('tenants').selectAll().where('reseller_id', '=', nord.id).where('name', '=', row.stored.name ?? row.form.name!).executeTakeFirstOrThrow();
      for (const [column, value] of Object.entries(row.stored)) t.equal(stored[column as keyof typeof stored], value, `${column} stored as ${JSON.stringify(value)}`);
    });
  }

  await t.test('five simultaneous Neu with the same Kundennummer: one is saved, four get the message naming it', async (t) => {
    const before = await countRows(db, 'tenants');
    await staff.get('/mandanten/neu');
    const pages = await Promise.all(
      // Five forms (five tabs): each carries its own one-time form id.
      [1, 2, 3, 4, 5].map((n) => staff.post('/mandanten', { ...companyForm({ name: `Parallel ${n} GmbH`, customerNumber: 'P-77' }), formular: randomUUID() })),
    );
    t.same(pages.map((p) => p.status).sort(), [303, 422, 422, 422, 422]);
    const winner = await db.selectFrom('tenants').select('name').where('reseller_id', '=', nord.id).where('customer_number', '=', 'P-77').execute();
    t.equal(winner.length, 1, 'one Mandant has the number');
    for (const page of pages.filter((p) => p.status === 422)) {
      t.equal(fieldError(page.body, 'customerNumber'), `Diese Kundennummer ist bei dir schon vergeben (${winner[0]!.name}).`);
    }
    t.equal(await countRows(db, 'tenants'), before + 1);
  });

  await t.test('five simultaneous Neu with different Kundennummern: all saved, the counter exact', async (t) => {
    const before = await countRows(db, 'tenants');
    const counter = async () => (await db.selectFrom('resellers').select('tenant_count').where('id', '=', nord.id).executeTakeFirstOrThrow()).tenant_count;
    const countBefore = await counter();
    await staff.get('/mandanten/neu');
    const pages = await Promise.all(
      [1, 2, 3, 4, 5].map((n) => staff.post('/mandanten', { ...companyForm({ name: `Gleichzeitig ${n} GmbH`, customerNumber: `G-${n}` }), formular: randomUUID() })),
    );
    t.same(pages.map((p) => p.status), [303, 303, 303, 303, 303]);
    t.equal(await countRows(db, 'tenants'), before + 5);
    t.equal(await counter(), countBefore + 5, "the reseller's Mandanten counter counted each");
  });

  await t.test('HTML and SQL-looking names are shown escaped everywhere, never raw', async (t) => {
    // The form refuses markup now; a name like this can still come from older data.
    await db
      .insertInto('tenants')
      .values({ reseller_id: nord.id, name: '<script>alert(1)</script> GmbH', customer_number: 'H-1', street: 'Lindenweg 5', postal_code: '24103', city: 'Kiel' })
      .execute();
    for (const [q, escaped] of [
      ['script', '&lt;script&gt;alert(1)&lt;/script&gt; GmbH'],
      ['DROP TABLE', '&#39;; DROP TABLE tenants; --'],
    ] as const) {
      const list = await staff.get(`/mandanten?q=${encodeURIComponent(q)}`);
      t.equal(list.status, 200);
      t.match(list.body, escaped, `the list shows ${escaped}`);
    }
    const html = await db.selectFrom('tenants').select('id').where('name', '=', '<script>alert(1)</script> GmbH').executeTakeFirstOrThrow();
    const form = await staff.get(`/mandanten/${html.id}/bearbeiten`);
    t.match(form.body, 'value="&lt;script&gt;alert(1)&lt;/script&gt; GmbH"', 'the edit form shows it escaped');
    await staff.get('/mandanten');
    const selected = await staff.follow(await staff.post('/mandanten/auswahl', { mandant: html.id, aktion: 'arbeiten' }));
    t.match(selected.body, 'Du arbeitest jetzt als Mandant „&lt;script&gt;', 'the flash message shows it escaped');
    t.match(selected.body, '&lt;script&gt;alert(1)&lt;/script&gt; GmbH (H-1)', 'the selected-Mandant bar shows it escaped');
    const protocol = await staff.get('/protokoll');
    t.match(protocol.body, '&lt;script&gt;alert(1)&lt;/script&gt; GmbH', 'the Protokoll shows it escaped');
    for (const page of [form, selected, protocol]) t.notMatch(page.body, '<script>alert(1)', 'never raw');
    t.ok((await countRows(db, 'tenants')) > 0, 'the tenants table is still there');
  });

  await t.test('Bearbeiten saves valid changes and keeps its own Kundennummer', async (t) => {
    let page = await staff.get(`/mandanten/${second.id}/bearbeiten`);
    t.equal(fieldValue(page.body, 'name'), 'Zweiter Kunde GmbH', 'the form shows the stored values');
    t.equal(fieldValue(page.body, 'customerNumber'), 'K-2');
    page = await staff.post(`/mandanten/${second.id}`, companyForm({ name: 'Zweiter Kunde AG', customerNumber: 'K-2', city: 'Lübeck', postalCode: '23552' }));
    t.equal(page.status, 303);
    const row = await tenantRow(second.id);
    t.equal(row.name, 'Zweiter Kunde AG');
    t.equal(row.city, 'Lübeck');
    t.equal(row.customer_number, 'K-2');
    page = await staff.follow(page);
    t.match(visibleText(page.body), 'Mandant „Zweiter Kunde AG“ gespeichert.');
    t.match(rowByLabel(page.body, 'Zweiter Kunde AG') ?? '', /^<tr class="selected">/, 'the saved row is marked in the list');
  });

  t.same(logs.filter((line) => line.includes('"level":50')), [], 'no error was logged (no 500)');
});
