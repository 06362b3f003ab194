import '../../src/imports/exceljs.ts';
import t from 'tap';
import { text } from '../../src/i18n/de.ts';
import { createTenant, createUser } from '../helpers/fixtures.ts';
import { addApplication, facts, issues, mandant, plannedLogins, row, startImportApp, uploadOk, xlsx, type RowValues } from './helpers.ts';

// The rows of one Mandant describe it together: one rule whatever their order. Conflicting
// company data flag every row and name each value with its rows; an empty optional cell
// (Anwendungen, Land, USt-IdNr) says nothing. E-mail addresses are kept as written and compared
// without case; a row that will not be imported shows no login.

/** The orders of three rows in which the odd one stands first, in the middle and last. */
const orders = [
  { name: 'odd row first', firmen: ['Bäckerei Müller AG', 'Bäckerei Müller GmbH', 'Bäckerei Müller GmbH'] },
  { name: 'odd row in the middle', firmen: ['Bäckerei Müller GmbH', 'Bäckerei Müller AG', 'Bäckerei Müller GmbH'] },
  { name: 'odd row last', firmen: ['Bäckerei Müller GmbH', 'Bäckerei Müller GmbH', 'Bäckerei Müller AG'] },
];

t.test('the rows of one Mandant', async (t) => {
  const { db, browser, reseller } = await startImportApp(t, {}, { startWorker: false });
  await addApplication(db, 'buchhaltung', 'Buchhaltung', ['nutzer', 'admin']);
  await addApplication(db, 'lohn', 'Lohn', ['leser']);
  const person = (i: number): RowValues => ({ vorname: 'Nina', nachname: `Nord-${'abcdefgh'[i]}`, email: `nina${i}@baeckerei.example` });

  for (const order of orders) {
    await t.test(`conflicting Firma, ${order.name}: every row is flagged, both values with their rows`, async (t) => {
      const file = await xlsx(order.firmen.map((firma, i) => row({ ...mandant('B-1', firma), ...person(i) })));
      const page = await browser.get(await uploadOk(browser, 'firma.xlsx', file));
      const odd = order.firmen.indexOf('Bäckerei Müller AG') + 2;
      const others = [2, 3, 4].filter((line) => line !== odd);
      const message = text.imports.tenantRowsDisagree('Firma', [
        { value: 'Bäckerei Müller AG', lines: [odd] },
        { value: 'Bäckerei Müller GmbH', lines: others },
      ]);
      t.same(issues(page.body).map((i) => [i.line, i.column, i.message]), [2, 3, 4].map((line) => [String(line), 'Firma', message]));
      t.match(message, `Firma: „Bäckerei Müller AG“ in Zeile ${odd}, „Bäckerei Müller GmbH“ in Zeilen ${others.join(', ')}`);
      t.equal(facts(page.body)[text.imports.counts.errorRows!], 3);
    });
  }

  await t.test('the issue\'s example: four rows, the odd one in Zeile 6', async (t) => {
    const firmen = ['Bäckerei Müller GmbH', 'Andere GmbH', 'Andere GmbH', 'Andere GmbH', 'Bäckerei Müller AG', 'Bäckerei Müller GmbH', 'Bäckerei Müller GmbH'];
    const numbers = ['B-2', 'A-1', 'A-1', 'A-1', 'B-2', 'B-2', 'B-2'];
    const file = await xlsx(firmen.map((firma, i) => row({ ...mandant(numbers[i]!, firma), ...person(i) })));
    const shown = issues((await browser.get(await uploadOk(browser, 'beispiel.xlsx', file))).body);
    t.same([...new Set(shown.map((i) => i.message))], ['Die Zeilen dieses Mandanten widersprechen sich. Firma: „Bäckerei Müller AG“ in Zeile 6, „Bäckerei Müller GmbH“ in Zeilen 2, 7, 8.']);
    t.same(shown.map((i) => i.line), ['2', '6', '7', '8'], 'every row of that Mandant, none of the other');
  });

  await t.test('Anwendungen: an empty cell says nothing, in either order; different lists conflict in either order', async (t) => {
    for (const [name, cells] of [['empty first', ['', 'buchhaltung']], ['filled first', ['buchhaltung', '']]] as const) {
      const number = `AW-${name.split(' ')[0]}`;
      const file = await xlsx(cells.map((anwendungen, i) => row({ ...mandant(number, `Anwendung ${name} GmbH`), anwendungen, ...person(i), rechte: 'buchhaltung:nutzer' })));
      const path = await uploadOk(browser, 'anwendungen.xlsx', file);
      t.same(issues((await browser.get(path)).body), [], `${name}: accepted`);
      await browser.post(`${path}/ausfuehren`);
      const booked = await db
        .selectFrom('tenant_applications as b')
        .innerJoin('tenants as x', 'x.id', 'b.tenant_id')
        .innerJoin('applications as a', 'a.id', 'b.application_id')
        .select('a.code')
        .where('x.customer_number', '=', number)
        .execute();
      t.same(booked.map((b) => b.code), ['buchhaltung'], `${name}: the Mandant gets buchhaltung booked`);
    }
    for (const cells of [['buchhaltung', 'lohn, buchhaltung'], ['lohn, buchhaltung', 'buchhaltung']]) {
      const file = await xlsx(cells.map((anwendungen, i) => row({ ...mandant('AW-X', 'Anwendung X GmbH'), anwendungen, ...person(i) })));
      const shown = issues((await browser.get(await uploadOk(browser, 'anwendungen-x.xlsx', file))).body);
      const first = cells[0] === 'buchhaltung' ? 'buchhaltung' : 'buchhaltung, lohn';
      const second = first === 'buchhaltung' ? 'buchhaltung, lohn' : 'buchhaltung';
      t.same(
        shown.map((i) => [i.line, i.column, i.message]),
        ['2', '3'].map((line) => [line, 'Anwendungen', text.imports.tenantRowsDisagree('Anwendungen', [{ value: first, lines: [2] }, { value: second, lines: [3] }])]),
        `${cells.join(' / ')}: both rows flagged`,
      );
    }
    const same = await xlsx(['lohn, buchhaltung', 'Buchhaltung,lohn', ''].map((anwendungen, i) => row({ ...mandant('AW-Y', 'Anwendung Y GmbH'), anwendungen, ...person(i) })));
    t.same(issues((await browser.get(await uploadOk(browser, 'anwendungen-y.xlsx', same))).body), [], 'the same list in another order or case agrees');
  });

  await t.test('Land and USt-IdNr: empty in some rows, filled in one — in either order, every row is checked against the stated country', async (t) => {
    for (const [name, cells] of [['empty first', ['', 'Österreich']], ['filled first', ['Österreich', '']]] as const) {
      const number = `LU-${name.split(' ')[0]}`;
      const file = await xlsx(cells.map((land, i) => row({ ...mandant(number, `Wien ${name} GmbH`, { land, plz: '1010', ort: 'Wien', ust: land ? 'ATU12345678' : '' }), ...person(i) })));
      const path = await uploadOk(browser, 'land.xlsx', file);
      t.same(issues((await browser.get(path)).body), [], `${name}: the PLZ 1010 fits Österreich in both rows`);
      await browser.post(`${path}/ausfuehren`);
      const stored = await db.selectFrom('tenants').select(['country', 'vat_id']).where('customer_number', '=', number).executeTakeFirstOrThrow();
      t.same(stored, { country: 'AT', vat_id: 'ATU12345678' }, `${name}: the Mandant takes the stated Land and USt-IdNr`);
    }
    const none = await xlsx([row({ ...mandant('LU-3', 'Ohne Land GmbH', { land: '', plz: '1010' }), ...person(0) })]);
    t.same(
      issues((await browser.get(await uploadOk(browser, 'ohne-land.xlsx', none))).body).map((i) => [i.line, i.column, i.message]),
      [['2', 'PLZ', text.imports.postalCodeLostZero('1010', '01010', 'Deutschland', 'DE')]],
      'no row states a Land: Deutschland, for which 1010 is one digit short',
    );
  });

  await t.test('e-mail: kept as written, compared without case, one Anwender per address and Mandant', async (t) => {
    const tenant = await createTenant(db, reseller.id, 'Mail GmbH', 'M-1');
    await createUser(db, tenant, { firstName: 'Max', lastName: 'Mustermann', email: 'max.mustermann@mail.example' });
    const file = await xlsx([
      row({ kundennummer: 'M-1', firma: 'Mail GmbH', strasse: 'Lindenweg 5', plz: '24103', ort: 'Kiel', vorname: 'Max', nachname: 'Mustermann', email: 'Max.Mustermann@Mail.example' }),
      row({ kundennummer: 'M-1', firma: 'Mail GmbH', strasse: 'Lindenweg 5', plz: '24103', ort: 'Kiel', vorname: 'Erika', nachname: 'Mustermann', email: 'Erika.Mustermann@Mail.example' }),
      row({ kundennummer: 'M-1', firma: 'Mail GmbH', strasse: 'Lindenweg 5', plz: '24103', ort: 'Kiel', vorname: 'Erika', nachname: 'Zwei', email: 'erika.mustermann@mail.EXAMPLE' }),
    ]);
    const path = await uploadOk(browser, 'mail.xlsx', file);
    const page = await browser.get(path);
    t.same(issues(page.body).map((i) => [i.line, i.column, i.message]), [['4', 'E-Mail', text.imports.emailTwice(3)]], 'the same address in another case is the same address');
    t.same(plannedLogins(page.body), [{ name: 'Mustermann, Erika', email: 'Erika.Mustermann@Mail.example', login: 'erika.mustermann' }], 'kept as written; Max is matched (no new login); the refused row shows no login');
    t.equal(facts(page.body)[text.imports.counts.unchangedUsers!], 1, 'Max.Mustermann@… is the existing max.mustermann@…');

    const fixed = await xlsx([row({ kundennummer: 'M-1', firma: 'Mail GmbH', strasse: 'Lindenweg 5', plz: '24103', ort: 'Kiel', vorname: 'Erika', nachname: 'Mustermann', email: 'Erika.Mustermann@Mail.example' })]);
    const fixedPath = await uploadOk(browser, 'mail-2.xlsx', fixed);
    await browser.get(fixedPath);
    t.equal((await browser.post(`${fixedPath}/ausfuehren`)).status, 303);
    const erika = await db.selectFrom('accounts').select('email').where('first_name', '=', 'Erika').where('tenant_id', '=', tenant.id).executeTakeFirstOrThrow();
    t.equal(erika.email, 'Erika.Mustermann@Mail.example', 'stored as written, not lower-cased');
  });

  await t.test('the database holds one Anwender per e-mail and Mandant, whatever the case', async (t) => {
    const tenant = await createTenant(db, reseller.id, 'Index GmbH', 'I-1');
    await createUser(db, tenant, { firstName: 'Ida', lastName: 'Index', email: 'ida@index.example' });
    await t.rejects(createUser(db, tenant, { firstName: 'Ida', lastName: 'Zwei', email: 'IDA@Index.example' }), { code: '23505' }, 'refused by the unique index on lower(email)');
    const other = await createTenant(db, reseller.id, 'Anderer Index GmbH', 'I-2');
    await t.resolves(createUser(db, other, { firstName: 'Ida', lastName: 'Drei', email: 'ida@index.example' }), 'another Mandant may have the same address');
  });

  await t.test('a row with an error gets no login in the preview', async (t) => {
    const file = await xlsx([
      row({ ...mandant('E-1', 'Ohne Fehler GmbH'), vorname: 'Gina', nachname: 'Gut', email: 'gina@gut.example' }),
      row({ ...mandant('E-2', 'Mit Fehler GmbH', { plz: '123' }), vorname: 'Fritz', nachname: 'Fehler', email: 'fritz@fehler.example' }),
      row({ ...mandant('E-3', 'Auch Gut GmbH'), vorname: 'Fritz', nachname: 'Fehler', email: 'fritz@gut.example' }),
    ]);
    const page = await browser.get(await uploadOk(browser, 'logins.xlsx', file));
    t.same(issues(page.body).map((i) => i.line), ['3']);
    t.same(
      plannedLogins(page.body).map((l) => [l.email, l.login]),
      [['gina@gut.example', 'gina.gut'], ['fritz@gut.example', 'fritz.fehler']],
      'the refused row has no login, and does not take "fritz.fehler" from the row that will be imported',
    );
    t.match(page.body, 'Ein neuer Anwender steht in einer Zeile mit Fehlern; sein Login wird gebildet, sobald die Zeile korrigiert ist.', 'the page says why one new Anwender has no login yet');
  });
});
