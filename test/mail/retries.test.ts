import t from 'tap';
import { startTestApp } from '../helpers/app.ts';
import { Browser } from '../helpers/browser.ts';
import { createReseller, createTenant, createUser } from '../helpers/fixtures.ts';
import { linkFromMail } from '../helpers/smtp-peer.ts';
import { deliveriesOf, deliveryById, freePort, issueLink, jobForDelivery, mailsTo, sleep, startSmtpPeerOn, waitFor, waitForDeliveryState } from './helpers.ts';

// What happens when the SMTP server says no: 4xx and outages are retried with backoff, 5xx is
// parked, and the retry limit ends in 'failed'. Test defaults: retry delay 1 s, limit 3.

async function invitedUser(db: Parameters<typeof createReseller>[0]) {
  const tenant = await createTenant(db, (await createReseller(db)).id);
  return createUser(db, tenant, { password: null });
}

t.test('a 4xx answer is retried with backoff until sent: the user gets exactly one mail, and its link works', async (t) => {
  const testApp = await startTestApp(t);
  const { app, db, smtp } = testApp;
  const joerg = await invitedUser(db);
  smtp.refuseNext(451, 2);

  await issueLink(testApp, joerg.id);
  const [delivery] = await deliveriesOf(db, joerg.id);
  const retrying = await waitForDeliveryState(db, delivery!.id, ['retrying']);
  t.ok(retrying.attempts >= 1, 'the failed attempt is counted');
  t.match(retrying.last_error, /451/, 'last_error keeps the SMTP answer');
  t.equal(retrying.sent_at, null);

  const sent = await waitForDeliveryState(db, delivery!.id, ['sent'], 30_000);
  t.equal(sent.attempts, 3, 'two refusals, then sent on the third attempt');
  t.equal(sent.last_error, null, 'the error is cleared once sent');
  const job = await waitFor('the job to complete', async () => {
    const row = await jobForDelivery(db, delivery!.id);
    return row?.state === 'completed' ? row : undefined;
  });
  t.equal(job.retry_count, 2, 'pg-boss retried the job twice');
  t.equal(job.retry_backoff, true, 'with exponential backoff');
  t.equal(job.retry_delay, 1, 'starting from the configured delay');

  const mails = mailsTo(smtp.received, joerg.email);
  t.equal(mails.length, 1, 'exactly one mail arrived');
  const page = await new Browser(app).get(linkFromMail(mails[0]!).path);
  t.equal(page.status, 200, 'the link of the mail that arrived works');
  t.match(page.body, /name="password"/, 'and shows the set-password form');
});

t.test('a 5xx answer parks the mail as failed without a retry, audited as link.delivery_failed', async (t) => {
  const testApp = await startTestApp(t);
  const { db, smtp, config } = testApp;
  const joerg = await invitedUser(db);
  smtp.refuseNext(550, 1);

  await issueLink(testApp, joerg.id);
  const [delivery] = await deliveriesOf(db, joerg.id);
  const failed = await waitForDeliveryState(db, delivery!.id, ['failed']);
  t.equal(failed.attempts, 1);
  t.match(failed.last_error, /550/);
  const job = await waitFor('the job to finish', async () => {
    const row = await jobForDelivery(db, delivery!.id);
    return row?.state === 'completed' ? row : undefined;
  });
  t.equal(job.retry_count, 0, 'the job is finished, not scheduled for a retry');

  // Longer than two retry delays: a retry would have happened by now.
  await sleep(2 * config.mailRetryDelaySeconds * 1000 + 1500);
  const later = await deliveryById(db, delivery!.id);
  t.equal(later.state, 'failed', 'still failed');
  t.equal(later.attempts, 1, 'still exactly one attempt');
  t.equal(mailsTo(smtp.received, joerg.email).length, 0, 'no mail arrived');
  t.equal((await jobForDelivery(db, delivery!.id))?.retry_count, 0);

  const audit = await db.selectFrom('audit_events').select(['details']).where('subject_account_id', '=', joerg.id).where('action', '=', 'link.delivery_failed').execute();
  t.equal(audit.length, 1, 'one link.delivery_failed event');
  t.equal(audit[0]!.details.permanent, true);
  t.equal(audit[0]!.details.deliveryId, delivery!.id);
});

t.test('an SMTP outage delays the mail and loses nothing: retrying while down, delivered when the server is back', async (t) => {
  const port = await freePort();
  let peer: Awaited<ReturnType<typeof startSmtpPeerOn>> | undefined;
  // Registered before the app: teardowns run last-in first-out, and the peer waits for the
  // app's pooled SMTP connection to go away before it closes.
  t.teardown(() => peer?.close());
  const testApp = await startTestApp(t, { SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_RETRY_LIMIT: '10' });
  const { app, db } = testApp;
  const joerg = await invitedUser(db);

  await issueLink(testApp, joerg.id);
  const [delivery] = await deliveriesOf(db, joerg.id);
  const retrying = await waitForDeliveryState(db, delivery!.id, ['retrying']);
  t.match(retrying.last_error, /ECONNREFUSED|ECONNECTION|connect/i, 'the connection error is recorded');
  const job = await waitFor('the job waiting for its retry', async () => {
    const row = await jobForDelivery(db, delivery!.id);
    return row?.state === 'retry' ? row : undefined;
  });
  t.equal(job.state, 'retry', 'the job is still in pg-boss, waiting for a retry');

  // The SMTP server comes back on the configured address.
  peer = await startSmtpPeerOn(port);
  const sent = await waitForDeliveryState(db, delivery!.id, ['sent'], 30_000);
  t.ok(sent.attempts >= 2, 'sent on a later attempt');
  const mails = mailsTo(peer.received, joerg.email);
  t.equal(mails.length, 1, 'exactly one mail arrived');
  const page = await new Browser(app).get(linkFromMail(mails[0]!).path);
  t.equal(page.status, 200, 'its link works');
});

t.test('when the retries are used up the mail ends as failed, audited as link.delivery_failed', async (t) => {
  const testApp = await startTestApp(t, { MAIL_RETRY_LIMIT: '1' });
  const { db, smtp } = testApp;
  const joerg = await invitedUser(db);
  smtp.refuseNext(451, 1000);

  await issueLink(testApp, joerg.id);
  const [delivery] = await deliveriesOf(db, joerg.id);
  const failed = await waitForDeliveryState(db, delivery!.id, ['failed'], 30_000);
  t.equal(failed.attempts, 2, 'the first attempt and one retry');
  t.match(failed.last_error, /451/);
  t.equal(mailsTo(smtp.received, joerg.email).length, 0, 'no mail arrived');
  const job = await waitFor('the job to finish', async () => {
    const row = await jobForDelivery(db, delivery!.id);
    return row && ['completed', 'failed'].includes(row.state) ? row : undefined;
  });
  t.equal(job.retry_count, 1, 'pg-boss used its one retry and stopped');

  const audit = await db.selectFrom('audit_events').select(['details']).where('subject_account_id', '=', joerg.id).where('action', '=', 'link.delivery_failed').execute();
  t.equal(audit.length, 1, 'one link.delivery_failed event');
  t.equal(audit[0]!.details.permanent, false, 'recorded as a temporary error that ran out of retries');
  t.equal(audit[0]!.details.attempts, 2);
});
