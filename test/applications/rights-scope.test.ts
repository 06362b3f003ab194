import t from 'tap';
import { RightsRefusedError, setUserRight } from '../../src/applications/applications.ts';
import { visibleText } from '../helpers/browser.ts';
import { createReseller, createResellerStaff, createTenant, createUser, signIn } from '../helpers/fixtures.ts';
import { applicationTables, auditEvents, insertBooking, rightsOf, startRightsWorld } from './helpers.ts';

// Rights per Anwender, the scope: only the reseller's own Anwender of the selected Mandant, and
// the exported setUserRight the import calls.

const field = (applicationId: string) => `recht-${applicationId}`;

t.test("a reseller cannot set rights on another reseller's Anwender: 404, access.denied, nothing written", async (t) => {
  const { db, rita, reseller, crm, browser } = await startRightsWorld(t);
  const south = await createReseller(db, 'Süd IT GmbH');
  const foreignTenant = await createTenant(db, south.id, 'Fremd GmbH', 'F-1');
  await insertBooking(db, foreignTenant.id, crm.id);
  const foreign = await createUser(db, foreignTenant, { firstName: 'Franz', lastName: 'Fremd', email: 'franz@example.com', password: null });
  const before = await applicationTables(db);
  await browser.get('/anwender');
  const page = await browser.post(`/anwender/${foreign.id}/zugriffsrechte`, { [field(crm.id)]: 'admin' });
  t.equal(page.status, 404);
  t.match(visibleText(page.body), 'Seite nicht gefunden');
  t.same(await applicationTables(db), before, 'nothing written');
  const denied = await auditEvents(db, 'access.denied');
  t.same(
    denied.map((event) => [event.actor_account_id, event.reseller_id, event.details.kind, event.details.id]),
    [[rita.id, reseller.id, 'user', foreign.id]],
  );
  t.same(await auditEvents(db, 'rights.changed'), []);
});

t.test('an Anwender of another Mandant of the same reseller is not reachable from the selected one', async (t) => {
  const { db, reseller, crm, browser } = await startRightsWorld(t);
  const second = await createTenant(db, reseller.id, 'Schulz Elektro GmbH', 'K-2002');
  await insertBooking(db, second.id, crm.id);
  const sven = await createUser(db, second, { firstName: 'Sven', lastName: 'Schulz', email: 'sven@example.com', password: null });
  await browser.get('/anwender');
  const page = await browser.post(`/anwender/${sven.id}/zugriffsrechte`, { [field(crm.id)]: 'admin' });
  t.equal(page.status, 404);
  t.same(await rightsOf(db, sven.id), {});
});

t.test('without a selected Mandant the rights form answers with the hint and writes nothing', async (t) => {
  const { app, db, reseller, joerg, crm } = await startRightsWorld(t);
  const browser = await signIn(app, await createResellerStaff(db, reseller.id, { firstName: 'Rolf', lastName: 'Nord', email: 'rolf@nord-it.example' }));
  await browser.get('/mandanten');
  const page = await browser.post(`/anwender/${joerg.id}/zugriffsrechte`, { [field(crm.id)]: 'admin' });
  t.equal(page.status, 200);
  t.match(visibleText(page.body), 'Bitte wähle zuerst im Tab „Mandanten“ einen Mandanten aus');
  t.same(await rightsOf(db, joerg.id), {});
});

t.test('setUserRight is idempotent and refuses an unbooked application or an unknown role', async (t) => {
  const { db, rita, joerg, crm, lohn } = await startRightsWorld(t);
  const actor = { actorId: rita.id, at: new Date(), ip: null };
  t.equal(await db.transaction().execute((trx) => setUserRight(trx, joerg.id, crm.id, 'admin', actor)), true);
  t.equal(await db.transaction().execute((trx) => setUserRight(trx, joerg.id, crm.id, 'admin', actor)), false);
  t.equal((await auditEvents(db, 'rights.changed')).length, 1, 'only the real change is audited');
  const reasons = (error: unknown) => (error instanceof RightsRefusedError ? error.problems.map((problem) => problem.reason) : error);
  t.same(reasons(await db.transaction().execute((trx) => setUserRight(trx, joerg.id, lohn.id, 'nutzer', actor)).catch((error: unknown) => error)), ['not-booked']);
  t.same(reasons(await db.transaction().execute((trx) => setUserRight(trx, joerg.id, crm.id, 'chef', actor)).catch((error: unknown) => error)), ['unknown-role']);
  t.same(await rightsOf(db, joerg.id), { crm: 'admin' }, 'the refused calls changed nothing');
  t.equal(await db.transaction().execute((trx) => setUserRight(trx, joerg.id, crm.id, null, actor)), true);
  t.same(await rightsOf(db, joerg.id), {});
});
