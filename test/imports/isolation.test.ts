import t from 'tap';
import { text } from '../../src/i18n/de.ts';
import { visibleText } from '../helpers/browser.ts';
import { createOperator, createReseller, createResellerStaff, createTenant, createUser, signIn } from '../helpers/fixtures.ts';
import { download, facts, mandant, row, startImportApp, tableAfter, upload, uploadOk, xlsx } from './helpers.ts';

// Nothing of one reseller's import touches another reseller's Mandanten, no other reseller can
// see or act on the run, and an operator in support mode imports for the reseller.

t.test('isolation between resellers', async (t) => {
  const { db, browser: rita, reseller: nord } = await startImportApp(t, {}, { startWorker: false });
  const sued = await createReseller(db, 'Süd IT GmbH');
  const sam = await signIn(rita.app, await createResellerStaff(db, sued.id, { firstName: 'Sam', lastName: 'Süd', email: 'sam@sued-it.example' }));

  // Süd's customers: one with Kundennummer K-1, one without, both with an Anwender.
  const suedK1 = await createTenant(db, sued.id, 'Süd Kunde GmbH', 'K-1');
  await createUser(db, suedK1, { firstName: 'Susi', lastName: 'Süd', email: 'susi@sued-kunde.example' });
  const suedOhne = await db.insertInto('tenants').values({ reseller_id: sued.id, name: 'Gleich GmbH', street: 'Hafenweg 1', postal_code: '20095', city: 'Hamburg' }).returning('id').executeTakeFirstOrThrow();
  const suedData = async () =>
    JSON.stringify({
      tenants: await db.selectFrom('tenants').selectAll().where('reseller_id', '=', sued.id).orderBy('id').execute(),
      accounts: await db.selectFrom('accounts').selectAll().where('reseller_id', '=', sued.id).orderBy('id').execute(),
      bookings: await db.selectFrom('tenant_applications').selectAll().where('tenant_id', 'in', [suedK1.id, suedOhne.id]).orderBy('application_id').execute(),
    });
  const suedBefore = await suedData();

  const file = await xlsx([
    row({ ...mandant('K-1', 'Nord Kunde GmbH'), vorname: 'Nora', nachname: 'Nord', email: 'nora@nord-kunde.example' }),
    row({ ...mandant('', 'Gleich GmbH'), vorname: 'Gerd', nachname: 'Gleich', email: 'gerd@gleich.example' }),
  ]);
  const runPath = await uploadOk(rita, 'nord.xlsx', file);
  const runId = runPath.split('/').pop()!;

  await t.test("another reseller's Mandant with the same Kundennummer (or Firma + PLZ) is not matched", async (t) => {
    const page = await rita.get(runPath);
    t.equal(facts(page.body)[text.imports.counts.newTenants!], 2, 'both Mandanten are new for Nord IT');
    t.equal(facts(page.body)[text.imports.counts.unchangedTenants!], 0);
  });

  const deniedCount = async () => (await db.selectFrom('audit_events').select('details').where('action', '=', 'access.denied').execute()).length;

  await t.test('another reseller cannot open, change, commit or download the run: 404 and access.denied', async (t) => {
    await sam.get('/import');
    const attempts: [string, () => Promise<{ status: number }>][] = [
      ['open the preview', () => sam.get(runPath)],
      ['download the error list', () => download(sam, `${runPath}/fehler.csv`)],
      ['change the options', () => sam.post(`${runPath}/optionen`, { recht: '' })],
      ['commit it', () => sam.post(`${runPath}/ausfuehren`)],
      ['discard it', () => sam.post(`${runPath}/verwerfen`)],
    ];
    for (const [what, attempt] of attempts) {
      const denied = await deniedCount();
      const res = await attempt();
      t.equal(res.status, 404, `${what}: 404`);
      t.equal(await deniedCount(), denied + 1, `${what}: written to the audit log`);
    }
    const audit = await db.selectFrom('audit_events').selectAll().where('action', '=', 'access.denied').orderBy('id', 'desc').executeTakeFirstOrThrow();
    t.same({ kind: (audit.details as { kind: string }).kind, id: (audit.details as { id: string }).id, reseller: audit.reseller_id }, { kind: 'import', id: runId, reseller: sued.id }, 'the audit names the run and who asked');
    const run = await db.selectFrom('import_runs').select(['state', 'options']).where('id', '=', runId).executeTakeFirstOrThrow();
    t.equal(run.state, 'preview', 'the run is still a preview');
    t.notMatch(visibleText((await sam.get('/import')).body), 'nord.xlsx', "the run is not on Süd's Import tab");
  });

  await t.test("the commit touches none of Süd's data; after it Süd still cannot see the result", async (t) => {
    const res = await rita.post(`${runPath}/ausfuehren`);
    t.equal(res.status, 303);
    t.match(visibleText((await rita.follow(res)).body), text.imports.committed(2, 2));
    t.equal(await suedData(), suedBefore, "Süd's Mandanten, Anwender and bookings unchanged");
    const nordK1 = await db.selectFrom('tenants').select(['id', 'name']).where('reseller_id', '=', nord.id).where('customer_number', '=', 'K-1').executeTakeFirstOrThrow();
    t.equal(nordK1.name, 'Nord Kunde GmbH', 'Nord IT has its own K-1');
    const nora = await db.selectFrom('accounts').select(['tenant_id', 'reseller_id']).where('email', '=', 'nora@nord-kunde.example').executeTakeFirstOrThrow();
    t.same(nora, { tenant_id: nordK1.id, reseller_id: nord.id });

    for (const [what, attempt] of [
      ['the result page', () => sam.get(runPath)],
      ['the result CSV', () => download(sam, `${runPath}/ergebnis.csv`)],
      ['the link progress', () => sam.get(`${runPath}/links`)],
      ['sending the links', () => sam.post(`${runPath}/links`)],
      ['sending failed links again', () => sam.post(`${runPath}/links/erneut`)],
    ] as [string, () => Promise<{ status: number }>][]) {
      const denied = await deniedCount();
      t.equal((await attempt()).status, 404, `${what}: 404`);
      t.equal(await deniedCount(), denied + 1, `${what}: audited`);
    }
    t.equal((await db.selectFrom('password_links').select('id').execute()).length, 0, 'no links were issued by the attempts');
  });

  await t.test('a run id that is not a UUID is a 404 too', async (t) => {
    t.equal((await rita.get('/import/keine-uuid')).status, 404);
  });

  await t.test('an operator in support mode imports for the reseller', async (t) => {
    const otto = await signIn(rita.app, await createOperator(db));
    const without = await otto.get('/import');
    t.equal(without.status, 303, 'without a workspace the operator is sent to pick a reseller');
    t.equal(without.location, '/reseller');

    await otto.get('/reseller');
    const entered = await otto.post(`/reseller/${nord.id}/arbeiten`);
    t.equal(entered.status, 303);
    await otto.get('/import');
    const path = await uploadOk(otto, 'support.xlsx', await xlsx([row({ ...mandant('K-77', 'Support Kunde GmbH'), vorname: 'Sofia', nachname: 'Support', email: 'sofia@support-kunde.example' })]));
    const preview = await otto.get(path);
    t.equal(facts(preview.body)[text.imports.counts.newTenants!], 1);
    const res = await otto.post(`${path}/ausfuehren`);
    t.match(visibleText((await otto.follow(res)).body), text.imports.committed(1, 1));

    const tenant = await db.selectFrom('tenants').select(['id', 'reseller_id']).where('customer_number', '=', 'K-77').executeTakeFirstOrThrow();
    t.equal(tenant.reseller_id, nord.id, "the Mandant is Nord IT's");
    const committed = await db.selectFrom('audit_events').selectAll().where('action', '=', 'import.committed').orderBy('id', 'desc').executeTakeFirstOrThrow();
    t.equal(committed.reseller_id, nord.id);
    t.equal((committed.details as { support?: boolean }).support, true, 'the audit marks the support mode');
    const run = await db.selectFrom('import_runs as r').innerJoin('accounts as a', 'a.id', 'r.created_by').select(['r.reseller_id', 'a.role']).where('r.id', '=', path.split('/').pop()!).executeTakeFirstOrThrow();
    t.same(run, { reseller_id: nord.id, role: 'operator' }, "the run is Nord IT's, made by the operator");

    const ritasTab = await rita.get('/import');
    const listed = tableAfter(ritasTab.body, text.imports.runsTitle);
    t.ok(listed.some((r) => r[1] === 'Otto Betrieb' && r[2] === 'support.xlsx'), "the operator's run is on Nord IT's Import tab, with his name");
    t.notOk(tableAfter((await sam.get('/import')).body, text.imports.runsTitle).some((r) => r[2] === 'support.xlsx'), 'not on Süd IT’s');
  });

  await t.test('an Anwender cannot use the import at all', async (t) => {
    const nordTenant = await db.selectFrom('tenants').select(['id', 'reseller_id']).where('customer_number', '=', 'K-77').executeTakeFirstOrThrow();
    const user = await createUser(db, { id: nordTenant.id, resellerId: nordTenant.reseller_id }, { firstName: 'Uwe', lastName: 'User', email: 'uwe@support-kunde.example' });
    const uwe = await signIn(rita.app, user);
    for (const path of ['/import', runPath, '/import/vorlage.xlsx']) {
      const res = await uwe.get(path);
      t.equal(res.status, 403, `${path} is forbidden for an Anwender`);
      t.notMatch(res.body, 'nord.xlsx');
    }
    const runsBefore = (await db.selectFrom('import_runs').select('id').execute()).length;
    const res = await upload(uwe, 'kunden.xlsx', file);
    t.equal(res.status, 403, 'an upload is refused');
    t.equal((await db.selectFrom('import_runs').select('id').execute()).length, runsBefore, 'and writes no run');
  });
});
