import t from 'tap';
import { HOUR } from '../../src/clock.ts';
import { startTestApp } from '../helpers/app.ts';
import { Browser } from '../helpers/browser.ts';
import { createReseller, createTenant, createUser } from '../helpers/fixtures.ts';
import { linkFromMail } from '../helpers/smtp-peer.ts';
import { deliveriesOf, issueLink, jobForDelivery, mailsTo, startWorkerLater, waitFor, waitForDeliveryState } from './helpers.ts';

// A mail waits in the queue for a while; when its link is no longer the live one by the time
// the worker gets to it, nothing goes out and no token is ever minted for it.

t.test('a mail queued for a link that was revoked before sending is dropped; only the newest link is mailed, and it works', async (t) => {
  // No worker yet: both links are issued before anything can be sent.
  const testApp = await startTestApp(t, {}, { startWorker: false });
  const { app, db, smtp } = testApp;
  const tenant = await createTenant(db, (await createReseller(db)).id);
  const joerg = await createUser(db, tenant, { password: null });

  const first = await issueLink(testApp, joerg.id);
  const second = await issueLink(testApp, joerg.id);
  const [firstDelivery, secondDelivery] = await deliveriesOf(db, joerg.id);
  t.equal(firstDelivery!.link_id, first.linkId);
  t.equal(secondDelivery!.link_id, second.linkId);

  await startWorkerLater(t, testApp);
  const mail = await smtp.waitForMail((m) => m.to.includes(joerg.email), 30_000);
  await waitForDeliveryState(db, secondDelivery!.id, ['sent']);
  // Both jobs went through the worker; the first one must have ended without a mail.
  await waitFor('both jobs to be done', async () => {
    const jobs = await Promise.all([jobForDelivery(db, firstDelivery!.id), jobForDelivery(db, secondDelivery!.id)]);
    return jobs.every((job) => job?.state === 'completed');
  });

  const [firstAfter] = await deliveriesOf(db, joerg.id);
  t.equal(firstAfter!.state, 'dropped', 'the mail of the revoked link is dropped');
  t.equal(firstAfter!.attempts, 0, 'and was never attempted');
  const firstLink = await db.selectFrom('password_links').select(['token_hash', 'revoked_at']).where('id', '=', first.linkId).executeTakeFirstOrThrow();
  t.ok(firstLink.revoked_at, 'the first link is revoked');
  t.equal(firstLink.token_hash, null, 'no token was ever minted for it');

  t.equal(mailsTo(smtp.received, joerg.email).length, 1, 'exactly one mail arrived');
  const secondLink = await db.selectFrom('password_links').select('token_hash').where('id', '=', second.linkId).executeTakeFirstOrThrow();
  t.ok(secondLink.token_hash, 'the mail carries the newest link');
  const page = await new Browser(app).get(linkFromMail(mail).path);
  t.equal(page.status, 200, 'and that link works');
  t.match(page.body, /name="password"/);
});

t.test('a mail whose link expired while it waited in the queue is dropped, not sent', async (t) => {
  const testApp = await startTestApp(t, {}, { startWorker: false });
  const { db, smtp, clock, config } = testApp;
  const tenant = await createTenant(db, (await createReseller(db)).id);
  const joerg = await createUser(db, tenant, { password: null });
  const anna = await createUser(db, tenant, { firstName: 'Anna', lastName: 'Schmidt', email: 'anna.schmidt@mueller-bau.example', password: null });

  const expiring = await issueLink(testApp, joerg.id);
  clock.advance((config.invitationLinkHours + 1) * HOUR);
  await issueLink(testApp, anna.id);
  const [joergDelivery] = await deliveriesOf(db, joerg.id);
  t.equal(joergDelivery!.state, 'queued', 'still queued when the worker starts');

  await startWorkerLater(t, testApp);
  // Anna's mail was queued after Jörg's: once it is out, Jörg's job has been handled too.
  await smtp.waitForMail((m) => m.to.includes(anna.email), 30_000);
  const dropped = await waitForDeliveryState(db, joergDelivery!.id, ['dropped', 'sent', 'failed']);
  t.equal(dropped.state, 'dropped', 'the expired link is not mailed');
  t.equal(mailsTo(smtp.received, joerg.email).length, 0, 'no mail for Jörg');
  const link = await db.selectFrom('password_links').select('token_hash').where('id', '=', expiring.linkId).executeTakeFirstOrThrow();
  t.equal(link.token_hash, null, 'no token was minted for the expired link');
});
