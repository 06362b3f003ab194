import t from 'tap';
import { issueLinksInBulk } from '../../src/passwords/bulk-links.ts';
import { startTestApp } from '../helpers/app.ts';
import { createReseller, createResellerStaff, createTenant, createUser } from '../helpers/fixtures.ts';
import { deliveriesOf, issueLink, sleep, waitForDeliveryState } from './helpers.ts';

// Queued mail wakes the worker when the transaction that queued it commits (pg-boss's
// LISTEN/NOTIFY on the mail queue); the database is not polled in a busy loop meanwhile. With a
// safety-net poll of five minutes, a mail that arrives within half a minute was woken for.

const env = { MAIL_POLLING_SECONDS: '300' };

t.test('a single link is handed to SMTP after its commit, without waiting for the slow poll', async (t) => {
  const testApp = await startTestApp(t, env);
  const { db, smtp } = testApp;
  const tenant = await createTenant(db, (await createReseller(db)).id);
  const joerg = await createUser(db, tenant, { password: null });
  const anna = await createUser(db, tenant, { firstName: 'Anna', lastName: 'Schmidt', email: 'anna.schmidt@mueller-bau.example', password: null });
  // Let the worker's first fetch (at start) pass: from now on only a wake-up or the poll fetches.
  await sleep(1000);

  await issueLink(testApp, joerg.id);
  await smtp.waitForMail((m) => m.to.includes(joerg.email), 30_000);
  const [delivery] = await deliveriesOf(db, joerg.id);
  t.equal((await waitForDeliveryState(db, delivery!.id, ['sent'])).attempts, 1, 'the first link: woken for, sent at once');

  // And again, once the worker has gone back to sleep.
  await sleep(1000);
  await issueLink(testApp, anna.id);
  await smtp.waitForMail((m) => m.to.includes(anna.email), 30_000);
  t.pass('the second link too: each commit wakes the worker');
});

t.test('links queued by the bulk path wake the worker as well', async (t) => {
  const testApp = await startTestApp(t, env);
  const { app, db, smtp, clock, config } = testApp;
  const reseller = await createReseller(db);
  const staff = await createResellerStaff(db, reseller.id);
  const tenant = await createTenant(db, reseller.id);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push((await createUser(db, tenant, { firstName: 'Nele', lastName: `Neu-${i}`, email: `nele${i}@mueller-bau.example`, password: null })).id);
  await sleep(1000);
  const lifetimes = { invitationHours: config.invitationLinkHours, resetHours: config.resetLinkHours };
  await app.db.transaction().execute((trx) => issueLinksInBulk(trx, app.outbox, lifetimes, ids, { actorId: staff.id, at: clock.now(), ip: null, resellerId: reseller.id }));
  for (let i = 0; i < 5; i++) await smtp.waitForMail((m) => m.to.includes(`nele${i}@mueller-bau.example`), 30_000);
  t.equal(smtp.received.length, 5, 'all five arrived long before the next poll');
});
