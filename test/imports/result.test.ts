import t from 'tap';
import { text } from '../../src/i18n/de.ts';
import { visibleText } from '../helpers/browser.ts';
import { createTenant, createUser } from '../helpers/fixtures.ts';
import { download, facts, issues, mandant, parseCsv, resultRows, row, startImportApp, uploadOk, xlsx } from './helpers.ts';

// "Ergebnis": the counts, every new Anwender with the login really given, the same as a
// formula-safe CSV, and no password anywhere (there is none).

const formulaStart = /^[=+\-@\t\r]/;

t.test('the result of an import', async (t) => {
  const { db, browser, reseller } = await startImportApp(t, {}, { startWorker: false });
  const bestand = await createTenant(db, reseller.id, 'Bestand GmbH', 'B-1');
  await createUser(db, bestand, { firstName: 'Bernd', lastName: 'Bestand', email: 'bernd@bestand.example' });

  // An e-mail address may legally start with "=", "+" or "-": the classic DDE payload is one.
  const dde = "=cmd|'/Ccalc'!A0@evil.example";
  const file = await xlsx([
    row({ kundennummer: 'B-1', firma: 'Bestand GmbH', strasse: 'Lindenweg 5', plz: '24103', ort: 'Kiel', vorname: 'Bernd', nachname: 'Bestand', email: 'bernd@bestand.example' }),
    row({ kundennummer: 'B-1', firma: 'Bestand GmbH', strasse: 'Lindenweg 5', plz: '24103', ort: 'Kiel', vorname: 'Jörg', nachname: 'Müller', email: 'joerg@bestand.example' }),
    row({ ...mandant('N-1', 'Neu & Söhne GmbH'), vorname: 'Jörg', nachname: 'Müller', email: 'joerg@neu.example' }),
    row({ ...mandant('N-1', 'Neu & Söhne GmbH'), vorname: 'Dörte', nachname: 'Dde', email: dde }),
    row({ ...mandant('N-1', 'Neu & Söhne GmbH'), vorname: 'Plus', nachname: 'Minus', email: '+49-1@neu.example' }),
    row(mandant('N-2', 'Leer GmbH')),
  ]);
  const runPath = await uploadOk(browser, 'ergebnis.xlsx', file);
  const preview = await browser.get(runPath);
  t.same(issues(preview.body), [], 'the file is valid: such e-mail addresses are allowed');
  const res = await browser.post(`${runPath}/ausfuehren`);
  const page = await browser.follow(res);
  t.equal(page.status, 200);

  await t.test('the result page: counts and every new Anwender with the generated login', async (t) => {
    t.match(visibleText(page.body), text.imports.resultTitle('ergebnis.xlsx'));
    t.same(facts(page.body), {
      [text.imports.counts.newTenants!]: 2,
      [text.imports.counts.changedTenants!]: 0,
      [text.imports.counts.unchangedTenants!]: 1,
      [text.imports.counts.newUsers!]: 4,
      [text.imports.counts.changedUsers!]: 0,
      [text.imports.counts.unchangedUsers!]: 1,
    });
    const shown = resultRows(page.body);
    const accounts = await db.selectFrom('accounts').select(['email', 'login']).where('import_run_id', '=', runPath.split('/').pop()!).execute();
    t.equal(accounts.length, 4, 'four accounts carry the run');
    t.same(
      shown.map((r) => [r.email, r.login]).sort(),
      accounts.map((a) => [a.email, a.login]).sort(),
      'every new Anwender with the login stored for them',
    );
    t.same(
      shown.map((r) => r.login).sort(),
      ['doerte.dde', 'joerg.mueller', 'joerg.mueller2', 'plus.minus'],
      'logins from the names, numbered where the same name comes twice',
    );
    t.notOk(shown.some((r) => r.email === 'bernd@bestand.example'), 'an existing Anwender is not listed');
    const joerg = shown.find((r) => r.email === 'joerg@neu.example')!;
    t.same([joerg.tenant, joerg.customerNumber, joerg.name, joerg.login], ['Neu & Söhne GmbH', 'N-1', 'Müller, Jörg', 'joerg.mueller2'], 'the second Jörg Müller of the file gets the 2');
    t.equal(shown.find((r) => r.email === 'joerg@bestand.example')?.login, 'joerg.mueller');
  });

  await t.test('ergebnis.csv: the same list, formula-safe', async (t) => {
    const csv = await download(browser, `${runPath}/ergebnis.csv`);
    t.equal(csv.status, 200);
    t.match(csv.type, /^text\/csv; charset=utf-8/);
    t.match(csv.disposition, /^attachment; filename="import-ergebnis\.csv"$/);
    t.same([...csv.bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 BOM for Excel');
    const rows = parseCsv(csv.bytes);
    t.same(rows[0], text.imports.resultCsvHeader);
    t.equal(rows.length, 1 + 4, 'a row per new Anwender');
    const ddeRow = rows.find((r) => r[3] === 'Dde')!;
    t.equal(ddeRow[4], `'${dde}`, 'the e-mail starting with "=" is neutralised with an apostrophe (and kept as written, not lower-cased)');
    const plusRow = rows.find((r) => r[3] === 'Minus')!;
    t.equal(plusRow[4], "'+49-1@neu.example", 'and the one starting with "+"');
    for (const r of rows) for (const cell of r) t.notMatch(cell, formulaStart, `"${cell}" does not start like a formula`);
    const joerg = rows.find((r) => r[4] === 'joerg@neu.example')!;
    t.same(joerg, ['N-1', 'Neu & Söhne GmbH', 'Jörg', 'Müller', 'joerg@neu.example', 'joerg.mueller2'], 'umlauts and "&" come through as they are; the login is plain');
  });

  await t.test('no password anywhere: not in the result page, not in the CSV, none stored', async (t) => {
    const csv = (await download(browser, `${runPath}/ergebnis.csv`)).bytes.toString('utf8');
    t.notMatch(csv, /passwor|kennwort|\$argon2/i, 'the CSV has no password column or value');
    const headers = [...page.body.matchAll(/<th[^>]*>([^<]*)<\/th>/g)].map((m) => m[1]!);
    t.ok(headers.length >= 5, 'the result table has its headers');
    t.notOk(headers.some((h) => /passwor|kennwort/i.test(h)), 'no password column on the page');
    t.notMatch(page.body, /\$argon2/, 'no hash on the page');
    const hashes = await db.selectFrom('accounts').select('password_hash').where('import_run_id', '=', runPath.split('/').pop()!).execute();
    t.ok(hashes.every((h) => h.password_hash === null), 'the imported accounts have no password');
  });

  await t.test('a name starting like a formula is refused in the preview (so it never reaches a CSV)', async (t) => {
    const path = await uploadOk(browser, 'formel.xlsx', await xlsx([row({ ...mandant('F-1', 'Formel GmbH'), vorname: '=cmd', nachname: '@Firma', email: 'f@formel.example' })]));
    const shown = issues((await browser.get(path)).body);
    t.same(
      shown.map((i) => [i.line, i.column, i.message]),
      [
        ['2', 'Vorname', text.field.nameChars],
        ['2', 'Nachname', text.field.nameChars],
      ],
    );
  });
});
