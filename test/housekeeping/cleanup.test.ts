import t from 'tap';
import { HOUR, MINUTE } from '../../src/clock.ts';
import { removeExpiredRecords } from '../../src/housekeeping/cleanup.ts';
import { HOUSEKEEPING_QUEUE } from '../../src/housekeeping/worker.ts';
import { startTestApp } from '../helpers/app.ts';
import { Browser, visibleText } from '../helpers/browser.ts';
import { createReseller, createResellerStaff, signIn } from '../helpers/fixtures.ts';
import { csv, mandant, row, uploadOk } from '../imports/helpers.ts';
import { companyForm, countRows, formularOf, waitFor } from '../workspace/helpers.ts';

// The housekeeping job: what only loses its meaning with time goes, nothing a person could still
// use. Each kind of row is made through the real feature, then the clock moves on.

t.test('expired sessions go, live ones stay and keep working', async (t) => {
  const { app, db, clock } = await startTestApp(t, {}, { startWorker: false });
  const reseller = await createReseller(db);
  const ritaPerson = await createResellerStaff(db, reseller.id);
  await signIn(app, ritaPerson);
  clock.advance(31 * MINUTE);
  const bob = await signIn(app, await createResellerStaff(db, reseller.id, { firstName: 'Bob', lastName: 'Baum', email: 'bob@nord-it.example' }));
  t.equal(await countRows(db, 'sessions'), 2);

  const removed = await removeExpiredRecords(db, clock.now());
  t.equal(removed.sessions, 1, 'the session idle for 31 minutes is deleted');
  t.equal(await countRows(db, 'sessions'), 1);
  t.equal((await bob.get('/mandanten')).status, 200, 'the live session still works');

  clock.advance(12 * HOUR + MINUTE);
  t.equal((await removeExpiredRecords(db, clock.now())).sessions, 1, 'past the absolute timeout it goes too');
  t.equal(await countRows(db, 'sessions'), 0);
});

t.test('throttle entries are forgotten only after their quiet window, never while they block', async (t) => {
  const { app, db, clock } = await startTestApp(t, {}, { startWorker: false });
  const reseller = await createReseller(db);
  const rita = await createResellerStaff(db, reseller.id);
  const browser = new Browser(app);
  await browser.get('/anmelden');
  for (let i = 0; i < 6; i++) await browser.post('/anmelden', { login: rita.login, password: 'falsch falsch falsch' });
  const entries = await db.selectFrom('login_throttle').select(['key', 'blocked_until']).execute();
  t.ok(entries.length >= 1, 'failed logins left throttle entries');
  t.ok(entries.some((e) => e.blocked_until !== null), 'the account is blocked for now');

  t.equal((await removeExpiredRecords(db, clock.now())).throttleEntries, 0, 'nothing is forgotten within the window');
  clock.advance(16 * MINUTE);
  t.equal((await removeExpiredRecords(db, clock.now())).throttleEntries, entries.length, 'after a quiet window they are gone');
  t.equal(await countRows(db, 'login_throttle'), 0);
});

t.test('form submissions are kept a day, then forgotten', async (t) => {
  const { app, db, clock } = await startTestApp(t);
  const reseller = await createReseller(db);
  const ritaPerson = await createResellerStaff(db, reseller.id);
  const rita = await signIn(app, ritaPerson);
  const form = await rita.get('/mandanten/neu');
  t.equal((await rita.post('/mandanten', companyForm({ formular: formularOf(form.body) }))).status, 303);
  t.equal(await countRows(db, 'form_submissions'), 1);
  clock.advance(23 * HOUR);
  t.equal((await removeExpiredRecords(db, clock.now())).formSubmissions, 0, 'kept for 23 hours');
  clock.advance(2 * HOUR);
  t.equal((await removeExpiredRecords(db, clock.now())).formSubmissions, 1, 'forgotten after 25');
  t.equal(await countRows(db, 'tenants'), 1, 'the Mandant itself stays');
  // This app runs its mail worker but, like every test app, not the schedule: its clock moves,
  // and a cron tick must not clean up behind a test.
  t.same((await app.boss.getSchedules()).filter((s) => s.name === HOUSEKEEPING_QUEUE), [], 'test apps leave the schedule out unless asked');
});

t.test('an unfinished import preview expires after 24 hours: rows dropped, audited, and the reseller told why', async (t) => {
  const { app, db, clock } = await startTestApp(t, {}, { startWorker: false });
  const reseller = await createReseller(db);
  const ritaPerson = await createResellerStaff(db, reseller.id);
  let rita = await signIn(app, ritaPerson);
  const file = csv([row(mandant('K-1', 'Müller Bau GmbH', { vorname: 'Jörg', nachname: 'Müller', email: 'joerg@mueller-bau.example' }))]);
  const stale = await uploadOk(rita, 'alt.csv', file);
  const preview = await rita.get(stale);
  t.match(visibleText(preview.body), /Die Vorschau wird bis \d\d\.\d\d\.\d{4} \d\d:\d\d Uhr aufbewahrt\./, 'the preview says how long it is kept');

  clock.advance(20 * HOUR);
  rita = await signIn(app, ritaPerson);
  const fresh = await uploadOk(rita, 'neu.csv', file);
  clock.advance(5 * HOUR);

  const removed = await removeExpiredRecords(db, clock.now());
  t.equal(removed.expiredImports, 1, 'only the preview older than 24 hours expires');
  const runs = await db.selectFrom('import_runs').select(['id', 'state', 'rows']).orderBy('created_at').execute();
  t.same(runs.map((r) => [r.state, (r.rows as unknown[]).length]), [['expired', 0], ['preview', 1]], 'its rows (names, e-mails) are gone; the younger one is untouched');
  const event = await db.selectFrom('audit_events').selectAll().where('action', '=', 'import.expired').executeTakeFirstOrThrow();
  t.equal(event.actor_account_id, null, 'the event names no person as actor');
  t.equal(event.reseller_id, reseller.id);
  t.equal((event.details as { runId: string }).runId, runs[0]!.id);
  t.equal(await countRows(db, 'tenants'), 0, 'nothing was imported');

  rita = await signIn(app, ritaPerson);
  const opened = await rita.get(stale);
  t.equal(opened.status, 303);
  t.equal(opened.location, '/import');
  const list = await rita.follow(opened);
  t.match(visibleText(list.body), 'Diese Vorschau ist abgelaufen: Eine Vorschau wird 24 Stunden aufbewahrt, danach werden die Daten der Datei gelöscht. Es wurde nichts gespeichert. Lade die Datei bitte erneut hoch.');
  t.match(visibleText(list.body), 'Abgelaufen (nicht ausgeführt)', 'the list of imports shows it as expired');
  let committed = await rita.post(`${stale}/ausfuehren`, {});
  t.equal(committed.status, 303, 'executing an expired preview is refused');
  t.match(visibleText((await rita.follow(committed)).body), 'Diese Vorschau ist abgelaufen', 'with the same explanation');
  t.equal(await countRows(db, 'tenants'), 0, 'and imports nothing');
  const log = await rita.get('/protokoll');
  t.match(visibleText(log.body), 'Import-Vorschau abgelaufen und gelöscht');
  t.match(visibleText(log.body), 'System', 'done by the system, not a person');
  t.equal((await rita.get(fresh)).status, 200, 'the younger preview still opens');
});

t.test('the job is scheduled every ten minutes and runs through the queue', async (t) => {
  const { app, db, clock } = await startTestApp(t, {}, { housekeeping: true });
  const schedules = await app.boss.getSchedules();
  t.same(schedules.filter((s) => s.name === HOUSEKEEPING_QUEUE).map((s) => s.cron), ['*/10 * * * *']);
  const reseller = await createReseller(db);
  await signIn(app, await createResellerStaff(db, reseller.id));
  clock.advance(31 * MINUTE);
  await app.boss.send(HOUSEKEEPING_QUEUE, {});
  await waitFor('the queued housekeeping job to delete the idle session', async () => (await countRows(db, 'sessions')) === 0);
  t.pass('the worker removed the expired session');
});
