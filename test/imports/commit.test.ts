import { sql } from 'kysely';
import t from 'tap';
import { text } from '../../src/i18n/de.ts';
import { type Browser, visibleText } from '../helpers/browser.ts';
import { createTenant, createUser } from '../helpers/fixtures.ts';
import { addApplication, auditCount, countsShown, csv, facts, importTables, issues, mandant, row, startImportApp, tableCounts, uploadOk, waitFor, xlsx } from './helpers.ts';

// "Import ausführen": refused while errors remain, all or nothing, planned again inside the
// transaction, idempotent, and a changed file applies only its differences.

/** Posts "Import ausführen" and returns the page it leads to (with the flash message). */
async function commit(browser: Browser, runPath: string): Promise<{ status: number; location: string | null; text: string; body: string }> {
  await browser.get(runPath);
  const res = await browser.post(`${runPath}/ausfuehren`);
  const page = await browser.follow(res);
  return { status: res.status, location: res.location, text: visibleText(page.body), body: page.body };
}

async function runState(db: Parameters<typeof importTables>[0], runPath: string): Promise<string> {
  const run = await db.selectFrom('import_runs').select('state').where('id', '=', runPath.split('/').pop()!).executeTakeFirstOrThrow();
  return run.state;
}

const creationAudits = ['tenant.created', 'tenant.updated', 'account.created', 'application.booked', 'rights.changed', 'import.committed'];

async function auditSnapshot(db: Parameters<typeof importTables>[0]): Promise<Record<string, number>> {
  return Object.fromEntries(await Promise.all(creationAudits.map(async (action) => [action, await auditCount(db, action)] as const)));
}

t.test('committing an import', async (t) => {
  const { db, browser, reseller } = await startImportApp(t, {}, { startWorker: false });
  const buchhaltung = await addApplication(db, 'buchhaltung', 'Buchhaltung', ['nutzer', 'admin']);
  await addApplication(db, 'lohn', 'Lohnabrechnung', ['leser', 'admin']);

  await t.test('is refused while errors remain, and nothing is written', async (t) => {
    const runPath = await uploadOk(
      browser,
      'fehler.xlsx',
      await xlsx([
        row({ ...mandant('R-1', 'Richtig GmbH'), vorname: 'Rolf', nachname: 'Richtig', email: 'rolf@richtig.example' }),
        row({ ...mandant('R-2', 'Falsch GmbH'), vorname: 'Frieda', nachname: 'Falsch', email: 'keine-adresse' }),
      ]),
    );
    const before = await importTables(db);
    const audits = await auditSnapshot(db);
    const result = await commit(browser, runPath);
    t.equal(result.status, 303);
    t.equal(result.location, runPath, 'back to the preview');
    t.match(result.text, text.imports.commitRefused, 'the German reason');
    t.equal(await importTables(db), before, 'nothing written, not even the good row');
    t.same(await auditSnapshot(db), audits, 'no audit of a creation');
    t.equal(await runState(db, runPath), 'preview');
  });

  await t.test('plans again inside the transaction: a booking cancelled after the preview makes it refuse, nothing written', async (t) => {
    const vorhanden = await createTenant(db, reseller.id, 'Vorhanden GmbH', 'V-1');
    await db.insertInto('tenant_applications').values({ tenant_id: vorhanden.id, application_id: buchhaltung.id, booked_at: new Date() }).execute();
    const runPath = await uploadOk(
      browser,
      'kunden.xlsx',
      await xlsx([
        row({ ...mandant('V-2', 'Zuerst GmbH'), anwendungen: 'lohn', vorname: 'Zoe', nachname: 'Zuerst', email: 'zoe@zuerst.example', rechte: 'lohn:leser' }),
        row({ kundennummer: 'V-1', firma: 'Vorhanden GmbH', strasse: 'Lindenweg 5', plz: '24103', ort: 'Kiel', vorname: 'Viktor', nachname: 'Vorhanden', email: 'viktor@vorhanden.example', rechte: 'buchhaltung:nutzer' }),
      ]),
    );
    let page = await browser.get(runPath);
    t.same(issues(page.body), [], 'the preview has no errors: Buchhaltung is booked');

    // Rita cancels the booking on the Mandant's page while the preview is open.
    await browser.get(`/mandanten/${vorhanden.id}/bearbeiten`);
    const cancelled = await browser.post(`/mandanten/${vorhanden.id}/anwendungen`, {});
    t.equal(cancelled.status, 303, 'booking cancelled through the form');

    const before = await importTables(db);
    const audits = await auditSnapshot(db);
    const result = await commit(browser, runPath);
    t.match(result.text, text.imports.commitRefused);
    t.equal(await importTables(db), before, 'nothing written: not the new Mandant of the first row either');
    t.same(await auditSnapshot(db), audits);
    t.equal(await runState(db, runPath), 'preview');
    page = await browser.get(runPath);
    t.same(
      issues(page.body).map((i) => [i.line, i.column, i.message]),
      [['3', 'Zugriffsrechte', text.imports.rightNotBooked(buchhaltung.name)]],
      'the preview now shows why',
    );
  });

  await t.test('a Mandant created by hand between preview and commit is used, not duplicated', async (t) => {
    const runPath = await uploadOk(
      browser,
      'kunden.xlsx',
      await xlsx([row({ ...mandant('H-1', 'Hand GmbH'), vorname: 'Heike', nachname: 'Hand', email: 'heike@hand.example' })]),
    );
    let page = await browser.get(runPath);
    t.equal(facts(page.body)[text.imports.counts.newTenants!], 1, 'the preview promises a new Mandant');

    await browser.get('/mandanten/neu');
    const created = await browser.post('/mandanten', { name: 'Hand GmbH', customerNumber: 'H-1', street: 'Am Markt 2', postalCode: '20095', city: 'Hamburg', country: 'DE', vatId: '', phone: '', email: '' });
    t.equal(created.status, 303, 'created through the Mandanten form');

    const result = await commit(browser, runPath);
    t.match(result.text, text.imports.committed(0, 1), 'the commit reports what it did: no new Mandant');
    const tenants = await db.selectFrom('tenants').selectAll().where('reseller_id', '=', reseller.id).where('customer_number', '=', 'H-1').execute();
    t.equal(tenants.length, 1, 'one Mandant H-1');
    t.equal(tenants[0]!.street, 'Hafenweg 1', 'the file updates it like any existing Mandant');
    const heike = await db.selectFrom('accounts').selectAll().where('email', '=', 'heike@hand.example').executeTakeFirstOrThrow();
    t.equal(heike.tenant_id, tenants[0]!.id, 'the Anwenderin belongs to that Mandant');
    page = await browser.get(runPath);
    t.equal(facts(page.body)[text.imports.counts.newTenants!], 0, 'the result counts what was written');
  });

  await t.test('an account that takes a previewed login in the meantime: the import takes the next one', async (t) => {
    const runPath = await uploadOk(
      browser,
      'kunden.xlsx',
      await xlsx([row({ ...mandant('L-1', 'Login GmbH'), vorname: 'Lena', nachname: 'Login', email: 'lena@login.example' })]),
    );
    let page = await browser.get(runPath);
    t.match(page.body, '<td>lena.login</td>', 'the preview shows lena.login');
    const other = await createTenant(db, reseller.id, 'Andere GmbH', 'L-2');
    const earlier = await createUser(db, other, { firstName: 'Lena', lastName: 'Login', email: 'lena@andere.example' });
    t.equal(earlier.login, 'lena.login');

    const result = await commit(browser, runPath);
    t.match(result.text, text.imports.committed(1, 1));
    const lena = await db.selectFrom('accounts').select('login').where('email', '=', 'lena@login.example').executeTakeFirstOrThrow();
    t.equal(lena.login, 'lena.login2', 'a free login, allocated under the lock');
    page = await browser.get(runPath);
    t.match(page.body, '<td>lena.login2</td>', 'the result shows the login really given');
    t.notMatch(page.body, /<td>lena\.login<\/td>/);
  });

  await t.test('two clicks on "Import ausführen" at the same moment import once', async (t) => {
    const runPath = await uploadOk(
      browser,
      'doppelt.xlsx',
      await xlsx([row({ ...mandant('Z-1', 'Zweimal GmbH'), vorname: 'Zara', nachname: 'Zweimal', email: 'zara@zweimal.example' })]),
    );
    await browser.get(runPath);
    const counts = await tableCounts(db);
    const [a, b] = await Promise.all([browser.post(`${runPath}/ausfuehren`), browser.post(`${runPath}/ausfuehren`)]);
    t.same([a.status, b.status], [303, 303]);
    const after = await tableCounts(db);
    t.equal(after.tenants, counts.tenants + 1, 'one Mandant');
    t.equal(after.accounts, counts.accounts + 1, 'one Anwenderin');
    t.equal((await db.selectFrom('audit_events').select('id').where('action', '=', 'import.committed').where(sql<boolean>`details->>'runId' = ${runPath.split('/').pop()!}`).execute()).length, 1, 'committed once');
    t.equal(await runState(db, runPath), 'imported');
  });

  await t.test('is idempotent: the same file again creates nothing new', async (t) => {
    const file = await xlsx([
      row({ ...mandant('I-1', 'Immer GmbH'), anwendungen: 'buchhaltung, lohn', vorname: 'Ida', nachname: 'Immer', email: 'ida@immer.example', rechte: 'buchhaltung:admin, lohn:leser' }),
      row({ ...mandant('I-1', 'Immer GmbH'), anwendungen: 'buchhaltung, lohn', vorname: 'Igor', nachname: 'Immer', email: 'igor@immer.example', rechte: 'buchhaltung:nutzer' }),
      row({ ...mandant('', 'Ohne Nummer GmbH', { plz: '22767' }), vorname: 'Olaf', nachname: 'Ohne', email: 'olaf@ohne.example' }),
      row(mandant('I-3', 'Leer GmbH')),
    ]);
    const first = await commit(browser, await uploadOk(browser, 'kunden.xlsx', file));
    t.match(first.text, text.imports.committed(3, 3));

    const counts = await tableCounts(db);
    const audits = await auditSnapshot(db);
    const tenantsBefore = await db.selectFrom('tenants').selectAll().where('reseller_id', '=', reseller.id).orderBy('id').execute();
    const runPath = await uploadOk(browser, 'kunden.xlsx', file);
    const preview = await browser.get(runPath);
    t.same(facts(preview.body), countsShown({ unchangedTenants: 3, unchangedUsers: 3 }));
    const again = await commit(browser, runPath);
    t.match(again.text, text.imports.committed(0, 0));
    const after = await tableCounts(db);
    for (const table of ['tenants', 'accounts', 'tenant_applications', 'user_rights', 'password_links', 'mail_deliveries'] as const) t.equal(after[table], counts[table], `no new ${table}`);
    t.equal(after.import_runs, counts.import_runs + 1, 'only the run itself');
    const auditsAfter = await auditSnapshot(db);
    t.equal(auditsAfter['account.created'], audits['account.created'], "no new 'account.created'");
    t.equal(auditsAfter['tenant.created'], audits['tenant.created']);
    t.equal(auditsAfter['tenant.updated'], audits['tenant.updated']);
    t.equal(auditsAfter['rights.changed'], audits['rights.changed']);
    t.equal(auditsAfter['application.booked'], audits['application.booked']);
    t.same(await db.selectFrom('tenants').selectAll().where('reseller_id', '=', reseller.id).orderBy('id').execute(), tenantsBefore, 'the Mandanten are untouched (not even updated_at)');
  });

  await t.test('a changed file shows and applies only the differences', async (t) => {
    const base = [
      row({ ...mandant('D-1', 'Delta GmbH'), anwendungen: 'buchhaltung, lohn', vorname: 'Dora', nachname: 'Delta', email: 'dora@delta.example', rechte: 'buchhaltung:nutzer' }),
      row({ ...mandant('D-1', 'Delta GmbH'), anwendungen: 'buchhaltung, lohn', vorname: 'Dirk', nachname: 'Delta', email: 'dirk@delta.example', rechte: 'lohn:leser' }),
      row({ ...mandant('D-2', 'Echo GmbH'), vorname: 'Emil', nachname: 'Echo', email: 'emil@echo.example' }),
      row({ ...mandant('D-3', 'Fox GmbH'), vorname: 'Fiona', nachname: 'Fox', email: 'fiona@fox.example' }),
    ];
    await commit(browser, await uploadOk(browser, 'kunden.xlsx', await xlsx(base)));
    const tenantsBefore = await db.selectFrom('tenants').selectAll().where('customer_number', 'in', ['D-1', 'D-2', 'D-3']).orderBy('customer_number').execute();
    const accountsBefore = await db.selectFrom('accounts').selectAll().where('email', 'like', '%@%.example').where('tenant_id', 'in', tenantsBefore.map((x) => x.id)).orderBy('email').execute();
    const counts = await tableCounts(db);
    const audits = await auditSnapshot(db);

    const changed = [
      row({ ...mandant('D-1', 'Delta GmbH'), anwendungen: 'buchhaltung, lohn', vorname: 'Dora', nachname: 'Delta', email: 'dora@delta.example', rechte: 'buchhaltung:admin' }), // right changed
      row({ ...mandant('D-1', 'Delta GmbH'), anwendungen: 'buchhaltung, lohn', vorname: 'Dirk', nachname: 'Delta', email: 'dirk@delta.example', rechte: 'lohn:leser' }),
      row({ ...mandant('D-2', 'Echo GmbH', { ort: 'Norderstedt', plz: '22846' }), vorname: 'Emil', nachname: 'Echo', email: 'emil@echo.example' }), // Ort changed
      row({ ...mandant('D-3', 'Fox GmbH'), vorname: 'Fiona', nachname: 'Fox', email: 'fiona@fox.example' }),
      row({ ...mandant('D-3', 'Fox GmbH'), vorname: 'Falk', nachname: 'Fox', email: 'falk@fox.example' }), // new Anwender
    ];
    const runPath = await uploadOk(browser, 'kunden-neu.xlsx', await xlsx(changed));
    const preview = await browser.get(runPath);
    t.same(facts(preview.body), countsShown({ changedTenants: 1, unchangedTenants: 2, newUsers: 1, changedUsers: 1, unchangedUsers: 3 }));
    const result = await commit(browser, runPath);
    t.match(result.text, text.imports.committed(0, 1));

    const tenantsAfter = await db.selectFrom('tenants').selectAll().where('customer_number', 'in', ['D-1', 'D-2', 'D-3']).orderBy('customer_number').execute();
    t.same(tenantsAfter[0], tenantsBefore[0], 'D-1 untouched');
    t.same({ ...tenantsAfter[2], user_count: null }, { ...tenantsBefore[2], user_count: null }, 'D-3 untouched apart from its count of Anwender');
    t.equal(tenantsAfter[2]!.user_count, tenantsBefore[2]!.user_count + 1, 'D-3 counts its new Anwender');
    t.same({ city: tenantsAfter[1]!.city, postal: tenantsAfter[1]!.postal_code }, { city: 'Norderstedt', postal: '22846' }, 'D-2 has the new Ort and PLZ');
    t.same({ ...tenantsAfter[1], city: null, postal_code: null, updated_at: null, search_text: null }, { ...tenantsBefore[1], city: null, postal_code: null, updated_at: null, search_text: null }, 'nothing else of D-2 changed');

    const after = await tableCounts(db);
    t.equal(after.tenants, counts.tenants, 'no new Mandant');
    t.equal(after.accounts, counts.accounts + 1, 'one new Anwender');
    t.equal(after.user_rights, counts.user_rights, 'one right changed in place, none added');
    const accountsAfter = await db.selectFrom('accounts').selectAll().where('tenant_id', 'in', tenantsBefore.map((x) => x.id)).orderBy('email').execute();
    // Dora's row is touched for her new right (updated_at); her data and everybody else's stay as they were.
    const withoutDorasUpdate = (list: typeof accountsBefore) => list.map((a) => (a.email === 'dora@delta.example' ? { ...a, updated_at: null } : a));
    t.same(withoutDorasUpdate(accountsAfter.filter((a) => a.email !== 'falk@fox.example')), withoutDorasUpdate(accountsBefore), 'the existing Anwender rows are untouched');
    const dora = accountsBefore.find((a) => a.email === 'dora@delta.example')!;
    const doraRights = await db.selectFrom('user_rights').select(['application_id', 'role']).where('account_id', '=', dora.id).execute();
    t.same(doraRights, [{ application_id: buchhaltung.id, role: 'admin' }], "Dora's right changed");
    const auditsAfter = await auditSnapshot(db);
    t.equal(auditsAfter['tenant.updated'], audits['tenant.updated']! + 1, 'one Mandant updated');
    t.equal(auditsAfter['account.created'], audits['account.created']! + 1, 'one Anwender created');
    t.equal(auditsAfter['rights.changed'], audits['rights.changed']! + 1, 'one change of rights');
    t.equal(auditsAfter['tenant.created'], audits['tenant.created']);
    const updated = await db.selectFrom('audit_events').select('details').where('action', '=', 'tenant.updated').orderBy('id', 'desc').executeTakeFirstOrThrow();
    t.same((updated.details as { changed: string[] }).changed.sort(), ['city', 'postalCode'], 'the audit names the changed fields');
  });

  await t.test('a row with only Mandant columns creates a Mandant without Anwender', async (t) => {
    const counts = await tableCounts(db);
    const result = await commit(browser, await uploadOk(browser, 'mandanten.xlsx', await xlsx([row(mandant('M-1', 'Nur Mandant GmbH', { ust: 'DE123456789' }))])));
    t.match(result.text, text.imports.committed(1, 0));
    const tenant = await db.selectFrom('tenants').selectAll().where('customer_number', '=', 'M-1').executeTakeFirstOrThrow();
    t.same({ name: tenant.name, city: tenant.city, vat: tenant.vat_id, reseller: tenant.reseller_id }, { name: 'Nur Mandant GmbH', city: 'Hamburg', vat: 'DE123456789', reseller: reseller.id });
    t.equal((await db.selectFrom('accounts').select('id').where('tenant_id', '=', tenant.id).execute()).length, 0, 'no Anwender');
    t.equal((await tableCounts(db)).accounts, counts.accounts);
  });

  await t.test('Mandant key: Kundennummer, else Firma + PLZ', async (t) => {
    const numbered = await createTenant(db, reseller.id, 'Schlüssel GmbH', 'S-1');
    const unnumbered = await db
      .insertInto('tenants')
      .values({ reseller_id: reseller.id, name: 'Ohne Kundennummer KG', street: 'Weg 3', postal_code: '24103', city: 'Kiel' })
      .returning('id')
      .executeTakeFirstOrThrow();
    // Same Firma as S-1 but another PLZ: another Mandant.
    const file = await xlsx([
      row({ firma: 'Schlüssel GmbH', strasse: 'Lindenweg 5', plz: '24103', ort: 'Kiel', vorname: 'Silke', nachname: 'Schlüssel', email: 'silke@schluessel.example' }),
      row({ firma: 'Ohne Kundennummer KG', strasse: 'Weg 3', plz: '24103', ort: 'Kiel', vorname: 'Otto', nachname: 'Ohne', email: 'otto@ohne-kg.example' }),
      row({ firma: 'Schlüssel GmbH', strasse: 'Hauptstraße 1', plz: '10115', ort: 'Berlin', vorname: 'Bernd', nachname: 'Berlin', email: 'bernd@schluessel.example' }),
    ]);
    const runPath = await uploadOk(browser, 'ohne-nummern.xlsx', file);
    const preview = await browser.get(runPath);
    t.equal(facts(preview.body)[text.imports.counts.newTenants!], 1, 'only Schlüssel GmbH in Berlin is new');
    t.equal(facts(preview.body)[text.imports.counts.unchangedTenants!], 2, 'the other two are found by Firma + PLZ');
    const result = await commit(browser, runPath);
    t.match(result.text, text.imports.committed(1, 3));
    const silke = await db.selectFrom('accounts').select('tenant_id').where('email', '=', 'silke@schluessel.example').executeTakeFirstOrThrow();
    const otto = await db.selectFrom('accounts').select('tenant_id').where('email', '=', 'otto@ohne-kg.example').executeTakeFirstOrThrow();
    const bernd = await db.selectFrom('accounts').select('tenant_id').where('email', '=', 'bernd@schluessel.example').executeTakeFirstOrThrow();
    t.equal(silke.tenant_id, numbered.id, 'matched the Mandant with a Kundennummer by Firma + PLZ');
    t.equal(otto.tenant_id, unnumbered.id, 'matched the Mandant without Kundennummer');
    t.not(bernd.tenant_id, numbered.id, 'another PLZ is another Mandant');
    const s1 = await db.selectFrom('tenants').select('customer_number').where('id', '=', numbered.id).executeTakeFirstOrThrow();
    t.equal(s1.customer_number, 'S-1', 'an empty Kundennummer cell does not delete the number');

    // With a Kundennummer, the number decides: the same Firma + PLZ under another number is new.
    const other = await commit(browser, await uploadOk(browser, 'nummer.xlsx', await xlsx([row({ kundennummer: 'S-9', firma: 'Schlüssel GmbH', strasse: 'Lindenweg 5', plz: '24103', ort: 'Kiel' })])));
    t.match(other.text, text.imports.committed(1, 0), 'a Kundennummer that is not there yet: a new Mandant');
  });

  await t.test(
    'a commit that fails inside the transaction leaves the database unchanged (a Mandant saved concurrently with the same Kundennummer)',
    { skip: process.env.DATABASE_URL ? false : 'needs a second database connection holding a lock (PostgreSQL only)' },
    async (t) => {
      // 1,200 Mandanten: the tenants go in in chunks of 1,000, the conflict is in the second
      // chunk, after the first 1,000 Mandanten are already inserted in the same transaction.
      const rows: string[][] = [];
      for (let i = 1; i <= 1200; i++) rows.push(row({ ...mandant(`C-${String(i).padStart(4, '0')}`, `Concurrent ${i} GmbH`), vorname: 'Conny', nachname: 'Current', email: `conny${i}@concurrent.example` }));
      const runPath = await uploadOk(browser, 'viele.csv', csv(rows));
      const page = await browser.get(runPath);
      t.equal(facts(page.body)[text.imports.counts.newTenants!], 1200);
      const before = await importTables(db);
      const audits = await auditSnapshot(db);

      // Another session saves Mandant C-1100 and has not committed yet when the import inserts it.
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let inserted!: () => void;
      const holding = new Promise<void>((resolve) => (inserted = resolve));
      const holder = db.transaction().execute(async (trx) => {
        await trx.insertInto('tenants').values({ reseller_id: reseller.id, name: 'Zwischendurch GmbH', customer_number: 'C-1100', street: 'Weg 1', postal_code: '20095', city: 'Hamburg' }).execute();
        inserted();
        await gate;
      });
      await holding;
      await browser.get(runPath);
      const commitRequest = browser.post(`${runPath}/ausfuehren`);
      await waitFor('the commit to wait for the other session', async () => {
        const r = await sql<{ n: number }>`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(db);
        return r.rows[0]!.n > 0;
      });
      release();
      await holder;
      const res = await commitRequest;
      t.equal(res.status, 303);
      const shown = visibleText((await browser.follow(res)).body);
      t.match(shown, text.imports.commitFailed, 'the German message: nothing was saved');

      const now = JSON.parse(await importTables(db));
      const was = JSON.parse(before);
      t.equal(now.tenants.length, was.tenants.length + 1, "only the other session's Mandant was added");
      t.same(now.tenants.filter((x: { customer_number: string }) => x.customer_number?.startsWith('C-')).map((x: { name: string }) => x.name), ['Zwischendurch GmbH']);
      for (const table of ['accounts', 'bookings', 'rights', 'runs', 'links', 'deliveries']) t.same(now[table], was[table], `${table} unchanged`);
      t.same(await auditSnapshot(db), audits, 'no audit events of the failed commit');
      t.equal(await runState(db, runPath), 'preview', 'the run can be looked at again');
    },
  );
});
