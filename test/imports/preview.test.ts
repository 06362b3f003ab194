import t from 'tap';
import { text } from '../../src/i18n/de.ts';
import { createReseller, createTenant, createUser } from '../helpers/fixtures.ts';
import { addApplication, countsShown, download, facts, importTables, issues, mandant, parseCsv, plannedLogins, postPairs, row, startImportApp, uploadOk, xlsx } from './helpers.ts';

// What the preview shows before anything is written: the counts, the errors with Zeile, Spalte
// and a German message, the logins to be generated, and how the options change it.

const kiel = { strasse: 'Lindenweg 5', plz: '24103', ort: 'Kiel', land: 'DE' };

t.test('the preview', async (t) => {
  const { db, browser, reseller } = await startImportApp(t, {}, { startWorker: false });
  const buchhaltung = await addApplication(db, 'buchhaltung', 'Buchhaltung', ['nutzer', 'admin']);
  const lohn = await addApplication(db, 'lohn', 'Lohnabrechnung', ['leser', 'bearbeiter', 'admin']);

  // Existing data: an unchanged Mandant with its Anwenderin, one whose Ort the file changes, and
  // a "Max Muster" at another reseller who already holds the login max.muster.
  const alt = await createTenant(db, reseller.id, 'Alt GmbH', 'K-100');
  await createUser(db, alt, { firstName: 'Anna', lastName: 'Alt', email: 'anna@alt.example' });
  await createTenant(db, reseller.id, 'Wechsel GmbH', 'K-200');
  const elsewhere = await createTenant(db, (await createReseller(db, 'Süd IT GmbH')).id, 'Fremd GmbH', 'F-1');
  const maxElsewhere = await createUser(db, elsewhere, { firstName: 'Max', lastName: 'Muster', email: 'max@fremd.example' });
  t.equal(maxElsewhere.login, 'max.muster', 'the login max.muster is taken');

  await t.test('counts: new, changed and unchanged Mandanten, new and existing Anwender, no errors', async (t) => {
    const before = await importTables(db);
    const file = await xlsx([
      row({ kundennummer: 'K-100', firma: 'Alt GmbH', ...kiel, vorname: 'Anna', nachname: 'Alt', email: 'anna@alt.example' }),
      row({ kundennummer: 'K-200', firma: 'Wechsel GmbH', ...kiel, ort: 'Lübeck', plz: '23552', vorname: 'Max', nachname: 'Muster', email: 'max@wechsel.example' }),
      row({ ...mandant('K-300', 'Neu GmbH'), vorname: 'Max', nachname: 'Muster', email: 'max@neu.example' }),
      row({ ...mandant('K-300', 'Neu GmbH'), vorname: 'Erika', nachname: 'Neu', email: 'erika@neu.example' }),
      row(mandant('K-400', 'Ohne Anwender GmbH')),
    ]);
    const runPath = await uploadOk(browser, 'kunden.xlsx', file);
    const page = await browser.get(runPath);
    t.equal(page.status, 200);
    t.same(facts(page.body), countsShown({ newTenants: 2, changedTenants: 1, unchangedTenants: 1, newUsers: 3, unchangedUsers: 1 }));
    t.same(issues(page.body), [], 'no errors listed');

    const logins = plannedLogins(page.body);
    t.same(
      logins.map((l) => [l.email, l.login]),
      [
        ['max@wechsel.example', 'max.muster2'],
        ['max@neu.example', 'max.muster3'],
        ['erika@neu.example', 'erika.neu'],
      ],
      'the logins to be generated, with a number where the name is taken',
    );
    t.equal(logins[0]!.name, 'Muster, Max');

    // Only the run was written: the preview itself changes no data.
    const after = JSON.parse(await importTables(db));
    const was = JSON.parse(before);
    t.equal(after.runs.length, was.runs.length + 1, 'one import run');
    for (const table of ['tenants', 'accounts', 'bookings', 'rights', 'links', 'deliveries']) t.same(after[table], was[table], `${table} unchanged`);
  });

  await t.test('errors with Zeile, Spalte and a German message', async (t) => {
    const hyperlink = '=HYPERLINK("http://evil.example/?<b>x</b>";"Klick")';
    const file = await xlsx([
      /* 2 */ row({ ...mandant('K-2', ''), vorname: 'Paul', nachname: 'Leer', email: 'paul@leer.example' }),
      /* 3 */ row({ ...mandant('K-3', 'Drei GmbH'), vorname: '', nachname: 'Ohnevorname', email: 'o@drei.example' }),
      /* 4 */ row({ ...mandant('K-4', 'Vier GmbH'), vorname: 'Vera', nachname: 'Vier', email: 'vera.vier@' }),
      /* 5 */ row({ ...mandant('K-5', 'Fünf GmbH'), anwendungen: 'buchhaltung, warenwirtschaft', vorname: 'Fritz', nachname: 'Fünf', email: 'fritz@fuenf.example' }),
      /* 6 */ row({ ...mandant('K-6', 'Sechs GmbH'), anwendungen: 'buchhaltung', vorname: 'Sina', nachname: 'Sechs', email: 'sina@sechs.example', rechte: 'buchhaltung:chef' }),
      /* 7 */ row({ ...mandant('K-7', 'Sieben GmbH'), vorname: 'Sara', nachname: 'Sieben', email: 'sara@sieben.example' }),
      /* 8 */ row({ ...mandant('K-7', 'Sieben GmbH', { ort: 'Bremen' }), vorname: 'Sven', nachname: 'Sieben', email: 'sven@sieben.example' }),
      /* 9 */ row({ ...mandant('K-9', 'Neun GmbH'), vorname: 'Nina', nachname: 'Neun', email: 'nina@neun.example' }),
      /* 10 */ row({ ...mandant('K-9', 'Neun GmbH'), vorname: 'Nina', nachname: 'Neun-Zwo', email: 'Nina@Neun.example' }),
      /* 11 */ row({ ...mandant('K-11', 'Elf GmbH'), anwendungen: 'buchhaltung', vorname: 'Elke', nachname: 'Elf', email: 'elke@elf.example', rechte: 'buchhaltung:admin, lohn:leser' }),
      /* 12 */ row({ ...mandant('K-12', 'Hyper GmbH'), vorname: 'Hugo', nachname: 'Hyper', email: 'hugo@hyper.example' }),
      /* 13 */ row({ ...mandant('K-12', hyperlink), vorname: 'Hanna', nachname: 'Hyper', email: 'hanna@hyper.example' }),
      /* 14 */ row({ ...mandant('K-14', 'Gut GmbH'), vorname: 'Gustav', nachname: 'Gut', email: 'gustav@gut.example' }),
    ]);
    const runPath = await uploadOk(browser, 'fehler.xlsx', file);
    const page = await browser.get(runPath);
    const shown = issues(page.body);
    const at = (line: number, column: string) => shown.filter((i) => i.line === String(line) && i.column === column).map((i) => i.message);

    t.same(at(2, 'Firma'), [text.field.missing(text.company.missing.name)], 'missing Firma');
    t.same(at(3, 'Vorname'), [text.field.missing(text.labelsAccusativeOther.firstName)], 'missing Vorname');
    t.same(at(4, 'E-Mail'), [text.field.email], 'bad e-mail');
    t.same(at(5, 'Anwendungen'), [text.imports.unknownApplication('warenwirtschaft', ['buchhaltung', 'lohn'])], 'unknown application code, with the known ones');
    t.same(at(6, 'Zugriffsrechte'), [text.imports.unknownRole('buchhaltung', 'chef', buchhaltung.roles)], 'unknown role, with the possible ones');
    t.match(at(6, 'Zugriffsrechte')[0], 'nutzer, admin');
    const ortDisagrees = text.imports.tenantRowsDisagree('Ort', [{ value: 'Hamburg', lines: [7] }, { value: 'Bremen', lines: [8] }]);
    t.same(at(8, 'Ort'), [ortDisagrees], 'a Mandant whose rows disagree (Ort): both values with their rows');
    t.same(at(7, 'Ort'), [ortDisagrees], 'and every row of the Mandant is flagged, the first one too');
    t.same(at(10, 'E-Mail'), [text.imports.emailTwice(9)], 'the same e-mail twice in one Mandant, whatever the case');
    t.same(at(11, 'Zugriffsrechte'), [text.imports.rightNotBooked(lohn.name)], 'a right in an application that is not booked');
    const firmaDisagrees = text.imports.tenantRowsDisagree('Firma', [{ value: 'Hyper GmbH', lines: [12] }, { value: hyperlink, lines: [13] }]);
    t.same(at(13, 'Firma'), [text.company.formulaStart, firmaDisagrees].sort(), 'a formula as Firma');
    t.same(at(12, 'Firma'), [firmaDisagrees]);
    t.same(at(14, 'Firma').concat(at(14, 'E-Mail')), [], 'a good row has no messages');
    t.ok(shown.every((i) => i.severity === 'Fehler'), 'every message is an error');
    t.same([...new Set(shown.map((i) => i.line))].sort((a, b) => Number(a) - Number(b)), ['2', '3', '4', '5', '6', '7', '8', '10', '11', '12', '13'], 'only the broken rows (and every row of a Mandant that contradicts itself) are listed');
    t.equal(facts(page.body)[text.imports.counts.errorRows!], 11, 'rows with errors');
    t.notMatch(page.body, '<b>x</b>', 'the cell is shown escaped, not as markup');
    t.match(page.body, /<button type="submit" class="button" disabled aria-disabled="true">Import ausführen/, 'the commit button is disabled');
    t.match(page.body, text.imports.commitRefused);

    await t.test('the error list downloads as CSV, formula-safe', async (t) => {
      const file = await download(browser, `${runPath}/fehler.csv`);
      t.equal(file.status, 200);
      t.match(file.type, /^text\/csv/);
      t.match(file.disposition, /^attachment; filename="import-fehler\.csv"$/);
      const rows = parseCsv(file.bytes);
      t.same(rows[0], text.imports.errorCsvHeader);
      t.same(
        rows.slice(1),
        shown.map((i) => [i.line, i.column, i.severity, i.message]),
        'the same messages as on the page, in the same order',
      );
      const disagreement = rows.find((r) => r[0] === '13' && r[3]!.includes('HYPERLINK'));
      t.ok(disagreement, 'the Firma with the formula appears in a message');
      for (const cells of rows) for (const cell of cells) t.notMatch(cell, /^[=+\-@\t\r]/, `cell "${cell.slice(0, 30)}" does not start like a formula`);
    });
  });

  await t.test('the options (book for every Mandant, a default right) change the preview', async (t) => {
    const file = await xlsx([
      row({ kundennummer: 'K-100', firma: 'Alt GmbH', ...kiel, vorname: 'Anna', nachname: 'Alt', email: 'anna@alt.example' }),
      row({ ...mandant('K-500', 'Optionen GmbH'), vorname: 'Olga', nachname: 'Option', email: 'olga@optionen.example', rechte: 'buchhaltung:nutzer' }),
    ]);
    const runPath = await uploadOk(browser, 'optionen.xlsx', file);
    let page = await browser.get(runPath);
    t.same(
      issues(page.body).map((i) => [i.line, i.column, i.message]),
      [['3', 'Zugriffsrechte', text.imports.rightNotBooked(buchhaltung.name)]],
      'without options the right is in an application that is not booked',
    );
    t.equal(facts(page.body)[text.imports.counts.unchangedTenants!], 1);

    let res = await postPairs(browser, `${runPath}/optionen`, [['buchen', 'buchhaltung'], ['recht', '']]);
    t.equal(res.status, 303);
    page = await browser.get(runPath);
    t.same(issues(page.body), [], 'booking Buchhaltung for every Mandant makes the right valid');
    t.equal(facts(page.body)[text.imports.counts.changedTenants!], 1, 'the existing Mandant now changes (a new booking)');
    t.equal(facts(page.body)[text.imports.counts.unchangedTenants!], 0);
    t.match(page.body, /value="buchhaltung" checked/, 'the option is shown as chosen');

    res = await postPairs(browser, `${runPath}/optionen`, [['buchen', 'buchhaltung'], ['recht', 'lohn:leser']]);
    page = await browser.get(runPath);
    t.same(
      issues(page.body).map((i) => [i.line, i.column, i.message]),
      [['–', 'Optionen', text.imports.defaultRightNotBooked(lohn.name)]],
      'a default right in an application not booked for every Mandant is an error',
    );

    res = await postPairs(browser, `${runPath}/optionen`, [['buchen', 'buchhaltung'], ['buchen', 'lohn'], ['recht', 'lohn:leser']]);
    page = await browser.get(runPath);
    t.same(issues(page.body), [], 'both booked: no errors');
    t.match(page.body, /value="lohn:leser" selected/);

    res = await postPairs(browser, `${runPath}/optionen`, [['buchen', 'buchhaltung'], ['buchen', 'lohn'], ['recht', 'lohn:chef']]);
    page = await browser.get(runPath);
    t.same(issues(page.body).map((i) => i.message), [text.imports.unknownRole('lohn', 'chef', lohn.roles)], 'an unknown default role is an error');

    res = await postPairs(browser, `${runPath}/optionen`, [['buchen', 'buchhaltung'], ['buchen', 'lohn'], ['recht', 'lohn:leser']]);
    page = await browser.get(runPath);
    res = await browser.post(`${runPath}/ausfuehren`);
    t.equal(res.status, 303);
    const olga = await db.selectFrom('accounts').select('id').where('email', '=', 'olga@optionen.example').executeTakeFirstOrThrow();
    const anna = await db.selectFrom('accounts').select('id').where('email', '=', 'anna@alt.example').executeTakeFirstOrThrow();
    const rightsOf = async (id: string) =>
      Object.fromEntries(
        (await db.selectFrom('user_rights as r').innerJoin('applications as a', 'a.id', 'r.application_id').select(['a.code', 'r.role']).where('r.account_id', '=', id).execute()).map((r) => [r.code, r.role]),
      );
    t.same(await rightsOf(olga.id), { buchhaltung: 'nutzer', lohn: 'leser' }, 'the new Anwenderin has the file right and the default right');
    t.same(await rightsOf(anna.id), {}, 'the default right is for new Anwender only');
    const booked = await db.selectFrom('tenant_applications').select('application_id').where('tenant_id', '=', alt.id).execute();
    t.same(booked.map((b) => b.application_id).sort(), [buchhaltung.id, lohn.id].sort(), 'both applications booked for the existing Mandant too');
  });
});
