import t from 'tap';
import { startTestApp } from '../helpers/app.ts';
import { visibleText } from '../helpers/browser.ts';
import { createReseller, createResellerStaff, createTenant, createUser, signIn } from '../helpers/fixtures.ts';
import { auditEvents, bookedIds, bookingBoxes, insertBooking, insertRight, postPairs, rightsOf, startBookingsWorld } from './helpers.ts';

// Bookings per Mandant: the section on the Mandant's edit page, saving it (book the checked,
// cancel the unchecked, cancelling takes the rights along). The scope is in bookings-scope.test.ts.

t.test('the Mandant edit page shows a checkbox per catalogue application, the booked ones checked', async (t) => {
  const { db, tenant, buchhaltung, crm, lohn, browser } = await startBookingsWorld(t);
  await insertBooking(db, tenant.id, crm.id);
  const page = await browser.get(`/mandanten/${tenant.id}/bearbeiten`);
  t.equal(page.status, 200);
  t.match(visibleText(page.body), 'Gebuchte Anwendungen');
  t.same(bookingBoxes(page.body), { [buchhaltung.id]: false, [crm.id]: true, [lohn.id]: false });
  t.match(page.body, `action="/mandanten/${tenant.id}/anwendungen"`);
});

t.test('with an empty catalogue the section says so instead of showing a form', async (t) => {
  const { app, db } = await startTestApp(t);
  const reseller = await createReseller(db);
  const tenant = await createTenant(db, reseller.id);
  const browser = await signIn(app, await createResellerStaff(db, reseller.id));
  const page = await browser.get(`/mandanten/${tenant.id}/bearbeiten`);
  t.match(visibleText(page.body), 'Der Betrieb hat noch keine Anwendungen im Katalog.');
  t.notMatch(page.body, `/mandanten/${tenant.id}/anwendungen`);
});

t.test('saving books the checked and cancels the unchecked applications, each change audited', async (t) => {
  const { db, rita, reseller, tenant, buchhaltung, crm, lohn, browser } = await startBookingsWorld(t);
  await insertBooking(db, tenant.id, crm.id);
  await browser.get(`/mandanten/${tenant.id}/bearbeiten`);
  let page = await postPairs(browser, `/mandanten/${tenant.id}/anwendungen`, [
    ['anwendung', buchhaltung.id],
    ['anwendung', lohn.id],
  ]);
  t.equal(page.status, 303);
  t.equal(page.location, `/mandanten/${tenant.id}/bearbeiten`);
  t.same(await bookedIds(db, tenant.id), [buchhaltung.id, lohn.id].sort());

  const shown = await browser.get(page.location!);
  t.match(visibleText(shown.body), 'Anwendungen für „Müller Bau GmbH“ gespeichert: 2 Anwendungen gebucht, 1 Anwendung abbestellt.');
  t.same(bookingBoxes(shown.body), { [buchhaltung.id]: true, [crm.id]: false, [lohn.id]: true });

  const booked = await auditEvents(db, 'application.booked');
  t.same(
    booked.map((event) => [event.details.code, event.tenant_id, event.reseller_id, event.actor_account_id, event.details.support]),
    [
      ['buchhaltung', tenant.id, reseller.id, rita.id, false],
      ['lohn', tenant.id, reseller.id, rita.id, false],
    ],
  );
  const cancelled = await auditEvents(db, 'application.cancelled');
  t.same(
    cancelled.map((event) => [event.details.code, event.tenant_id, event.details.removedRights]),
    [['crm', tenant.id, 0]],
  );

  // Saving the same choice again changes nothing and writes no event.
  page = await postPairs(browser, `/mandanten/${tenant.id}/anwendungen`, [
    ['anwendung', lohn.id],
    ['anwendung', buchhaltung.id],
  ]);
  t.equal(page.status, 303);
  t.equal((await auditEvents(db, 'application.booked')).length, 2);
  t.equal((await auditEvents(db, 'application.cancelled')).length, 1);
  t.match(visibleText((await browser.get(page.location!)).body), 'Anwendungen für „Müller Bau GmbH“ unverändert.');

  // Nothing checked: every booking is cancelled.
  page = await postPairs(browser, `/mandanten/${tenant.id}/anwendungen`, []);
  t.equal(page.status, 303);
  t.same(await bookedIds(db, tenant.id), []);
});

t.test("cancelling a booking removes the rights of the Mandant's Anwender in it, and only those", async (t) => {
  const { db, reseller, tenant, crm, lohn, browser } = await startBookingsWorld(t);
  const other = await createTenant(db, reseller.id, 'Schulz Elektro GmbH', 'K-2002');
  await insertBooking(db, tenant.id, crm.id);
  await insertBooking(db, tenant.id, lohn.id);
  await insertBooking(db, other.id, crm.id);
  const joerg = await createUser(db, tenant, { firstName: 'Jörg', lastName: 'Müller', email: 'joerg@example.com', password: null });
  const anna = await createUser(db, tenant, { firstName: 'Anna', lastName: 'Müller', email: 'anna@example.com', password: null });
  const sven = await createUser(db, other, { firstName: 'Sven', lastName: 'Schulz', email: 'sven@example.com', password: null });
  await insertRight(db, joerg.id, crm.id, 'admin');
  await insertRight(db, joerg.id, lohn.id, 'nutzer');
  await insertRight(db, anna.id, crm.id, 'nutzer');
  await insertRight(db, sven.id, crm.id, 'admin');

  await browser.get(`/mandanten/${tenant.id}/bearbeiten`);
  const page = await postPairs(browser, `/mandanten/${tenant.id}/anwendungen`, [['anwendung', lohn.id]]);
  t.equal(page.status, 303);
  t.same(await bookedIds(db, tenant.id), [lohn.id]);
  t.same(await rightsOf(db, joerg.id), { lohn: 'nutzer' }, 'the CRM right is gone, the Lohn right stays');
  t.same(await rightsOf(db, anna.id), {});
  t.same(await rightsOf(db, sven.id), { crm: 'admin' }, "another Mandant's booking and rights are untouched");
  t.same(await bookedIds(db, other.id), [crm.id]);
  const [event] = await auditEvents(db, 'application.cancelled');
  t.match(event?.details, { code: 'crm', removedRights: 2 });
  t.match(visibleText((await browser.get(page.location!)).body), '1 Anwendung abbestellt (2 Zugriffsrechte entfernt)');
});
