import t from 'tap';
import { bookApplications } from '../../src/applications/applications.ts';
import { visibleText } from '../helpers/browser.ts';
import { createOperator, createReseller, createTenant, signIn } from '../helpers/fixtures.ts';
import { applicationTables, auditEvents, bookedIds, bookingBoxes, insertBooking, postPairs, startBookingsWorld } from './helpers.ts';

// Bookings per Mandant, the scope: only the reseller's own Mandanten (or an operator in support
// mode), only catalogue applications, and the exported bookApplications the import calls.

t.test("a reseller cannot book for another reseller's Mandant: 404, access.denied, nothing written", async (t) => {
  const { db, rita, reseller, crm, browser } = await startBookingsWorld(t);
  const south = await createReseller(db, 'Süd IT GmbH');
  const foreign = await createTenant(db, south.id, 'Fremd GmbH', 'F-1');
  await insertBooking(db, foreign.id, crm.id);
  const before = await applicationTables(db);
  await browser.get('/mandanten');

  let page = await postPairs(browser, `/mandanten/${foreign.id}/anwendungen`, []);
  t.equal(page.status, 404);
  t.match(visibleText(page.body), 'Seite nicht gefunden');
  page = await postPairs(browser, '/mandanten/kein-uuid/anwendungen', [['anwendung', crm.id]]);
  t.equal(page.status, 404);
  t.same(await applicationTables(db), before, 'nothing written');

  const denied = await auditEvents(db, 'access.denied');
  t.same(
    denied.map((event) => [event.actor_account_id, event.reseller_id, event.details.kind, event.details.id]),
    [
      [rita.id, reseller.id, 'tenant', foreign.id],
      [rita.id, reseller.id, 'tenant', 'kein-uuid'],
    ],
  );
  t.same(await auditEvents(db, 'application.cancelled'), []);
  // The edit page of the foreign Mandant is not there either.
  t.equal((await browser.get(`/mandanten/${foreign.id}/bearbeiten`)).status, 404);
});

t.test('an operator in support mode books for the reseller’s Mandant; the audit marks support', async (t) => {
  const { app, db, reseller, tenant, crm } = await startBookingsWorld(t);
  const otto = await createOperator(db);
  const operator = await signIn(app, otto);
  // Without support mode the operator has no workspace: sent to the Reseller tab.
  await operator.get('/reseller');
  let page = await postPairs(operator, `/mandanten/${tenant.id}/anwendungen`, [['anwendung', crm.id]]);
  t.equal(page.status, 303);
  t.equal(page.location, '/reseller');
  t.same(await bookedIds(db, tenant.id), []);

  await operator.post(`/reseller/${reseller.id}/arbeiten`);
  page = await operator.get(`/mandanten/${tenant.id}/bearbeiten`);
  t.equal(page.status, 200);
  t.same(bookingBoxes(page.body)[crm.id], false);
  page = await postPairs(operator, `/mandanten/${tenant.id}/anwendungen`, [['anwendung', crm.id]]);
  t.equal(page.status, 303);
  t.same(await bookedIds(db, tenant.id), [crm.id]);
  const [event] = await auditEvents(db, 'application.booked');
  t.same([event?.actor_account_id, event?.reseller_id, event?.tenant_id, event?.details.support], [otto.id, reseller.id, tenant.id, true]);
});

t.test('an application id that is not in the catalogue is refused with a German message; nothing written', async (t) => {
  const { db, tenant, crm, browser } = await startBookingsWorld(t);
  await insertBooking(db, tenant.id, crm.id);
  const before = await applicationTables(db);
  await browser.get(`/mandanten/${tenant.id}/bearbeiten`);
  for (const bogus of ['00000000-0000-4000-8000-000000000000', 'buchhaltung']) {
    const page = await postPairs(browser, `/mandanten/${tenant.id}/anwendungen`, [['anwendung', bogus]]);
    t.equal(page.status, 422);
    t.match(visibleText(page.body), 'Unter den angehakten Anwendungen ist eine, die es nicht (mehr) gibt.');
    t.same(bookingBoxes(page.body)[crm.id], true, 'the page shows the bookings as stored');
  }
  t.same(await applicationTables(db), before, 'nothing written');
  t.same(await auditEvents(db, 'application.cancelled'), []);
});

t.test('bookApplications books only what is new, audits only that, and refuses unknown ids', async (t) => {
  const { db, rita, tenant, buchhaltung, crm } = await startBookingsWorld(t);
  const actor = { actorId: rita.id, at: new Date(), ip: null };
  let codes = await db.transaction().execute((trx) => bookApplications(trx, tenant.id, [crm.id], actor));
  t.same(codes, ['crm']);
  codes = await db.transaction().execute((trx) => bookApplications(trx, tenant.id, [crm.id, buchhaltung.id, crm.id], actor));
  t.same(codes, ['buchhaltung'], 'the booked one is left alone');
  codes = await db.transaction().execute((trx) => bookApplications(trx, tenant.id, [crm.id, buchhaltung.id], actor));
  t.same(codes, []);
  t.same((await auditEvents(db, 'application.booked')).map((event) => event.details.code), ['crm', 'buchhaltung']);
  t.same(await bookedIds(db, tenant.id), [buchhaltung.id, crm.id].sort());
  await t.rejects(db.transaction().execute((trx) => bookApplications(trx, tenant.id, ['00000000-0000-4000-8000-000000000000'], actor)));
  t.same(await bookedIds(db, tenant.id), [buchhaltung.id, crm.id].sort());
});
