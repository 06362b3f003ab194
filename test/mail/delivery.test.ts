import { sql } from 'kysely';
import t from 'tap';
import { issuePasswordLink } from '../../src/passwords/links.ts';
import { startTestApp } from '../helpers/app.ts';
import { Browser, visibleText } from '../helpers/browser.ts';
import { createReseller, createTenant, createUser } from '../helpers/fixtures.ts';
import { linkFromMail } from '../helpers/smtp-peer.ts';
import { auditActions, deliveriesOf, issueLink, jobForDelivery, mailJobs, mailsTo, waitForDeliveryState } from './helpers.ts';

// The happy path of the durable mail queue, what a job carries, and the outbox promise:
// a mail is queued in the transaction of the change that causes it, or not at all.

t.test('a link mail goes through the durable queue to the SMTP peer: queued, then sent once, audited as link.sent', async (t) => {
  const testApp = await startTestApp(t);
  const { app, db, smtp } = testApp;
  const tenant = await createTenant(db, (await createReseller(db)).id);
  const joerg = await createUser(db, tenant, { password: null });

  const lifetimes = { invitationHours: 72, resetHours: 24 };
  const { issued, queuedRow } = await app.db.transaction().execute(async (trx) => {
    const issued = await issuePasswordLink(trx, app.outbox, lifetimes, { accountId: joerg.id, actorId: null, at: testApp.clock.now() });
    // Read inside the transaction: the worker cannot have touched it yet.
    const queuedRow = await trx.selectFrom('mail_deliveries').selectAll().where('link_id', '=', issued.linkId).executeTakeFirstOrThrow();
    return { issued, queuedRow };
  });
  t.equal(queuedRow.state, 'queued', 'the delivery starts as queued');
  t.equal(queuedRow.attempts, 0);
  t.equal(queuedRow.sent_at, null);

  const mail = await smtp.waitForMail((m) => m.to.includes(joerg.email), 30_000);
  t.equal(mail.subject, 'Dein Zugang zu AgileAS: bitte Passwort festlegen');
  const sent = await waitForDeliveryState(db, queuedRow.id, ['sent']);
  t.equal(sent.attempts, 1, 'one attempt');
  t.ok(sent.sent_at instanceof Date, 'sent_at is set');
  t.equal(sent.last_error, null);
  t.equal(sent.link_id, issued.linkId);

  const audit = await db.selectFrom('audit_events').select(['action', 'details']).where('subject_account_id', '=', joerg.id).where('action', '=', 'link.sent').execute();
  t.equal(audit.length, 1, 'one link.sent event');
  t.equal(audit[0]!.details.deliveryId, queuedRow.id);

  const job = await jobForDelivery(db, queuedRow.id);
  t.equal(job?.state, 'completed', 'the queue job is completed');
  t.equal(mailsTo(smtp.received, joerg.email).length, 1, 'exactly one mail');

  const page = await new Browser(app).get(linkFromMail(mail).path);
  t.equal(page.status, 200, 'the link in the mail opens the form');
  t.match(visibleText(page.body), 'Passwort festlegen');
});

t.test('a queued job carries only the delivery id: no token, e-mail address, login or link in the payload', async (t) => {
  const testApp = await startTestApp(t);
  const { db, smtp } = testApp;
  const tenant = await createTenant(db, (await createReseller(db)).id);
  const joerg = await createUser(db, tenant, { password: null });

  await issueLink(testApp, joerg.id);
  const mail = await smtp.waitForMail((m) => m.to.includes(joerg.email), 30_000);
  const { token, url } = linkFromMail(mail);
  const [delivery] = await deliveriesOf(db, joerg.id);
  await waitForDeliveryState(db, delivery!.id, ['sent']);

  const jobs = await mailJobs(db);
  t.equal(jobs.length, 1, 'one job in the mail queue');
  t.strictSame(jobs[0]!.data, { deliveryId: delivery!.id }, 'the payload is exactly the delivery id');
  const row = jobs[0]!.row_text;
  const secrets = { token, link: url, 'link path': '/passwort-link/', 'e-mail address': joerg.email, login: joerg.login };
  for (const [name, secret] of Object.entries(secrets)) t.notOk(row.includes(secret), `the job row does not contain the ${name}`);
});

t.test('a mail is queued in the same transaction as the change: a rolled-back issue leaves no link, no delivery, no job and sends nothing', async (t) => {
  const testApp = await startTestApp(t);
  const { app, db, smtp } = testApp;
  const tenant = await createTenant(db, (await createReseller(db)).id);
  const joerg = await createUser(db, tenant, { password: null });
  const anna = await createUser(db, tenant, { firstName: 'Anna', lastName: 'Schmidt', email: 'anna.schmidt@mueller-bau.example', password: null });

  let deliveryIdInside: string | undefined;
  let jobCountInside = 0;
  const failure = new Error('Abbruch nach dem Ausstellen');
  await t.rejects(
    app.db.transaction().execute(async (trx) => {
      const issued = await issuePasswordLink(trx, app.outbox, { invitationHours: 72, resetHours: 24 }, { accountId: joerg.id, actorId: null, at: testApp.clock.now() });
      const row = await trx.selectFrom('mail_deliveries').select('id').where('link_id', '=', issued.linkId).executeTakeFirstOrThrow();
      deliveryIdInside = row.id;
      const jobsInside = await sql<{ id: string }>`select id from pgboss.job where name = 'mail' and data->>'deliveryId' = ${row.id}`.execute(trx);
      jobCountInside = jobsInside.rows.length;
      throw failure;
    }),
    failure,
  );
  t.ok(deliveryIdInside, 'the delivery existed inside the transaction');
  t.equal(jobCountInside, 1, 'and so did its job, written by the same transaction');

  t.equal((await db.selectFrom('password_links').select('id').where('account_id', '=', joerg.id).execute()).length, 0, 'no password_links row');
  t.equal((await deliveriesOf(db, joerg.id)).length, 0, 'no mail_deliveries row');
  t.equal(await jobForDelivery(db, deliveryIdInside!), undefined, 'no pg-boss job for that delivery');
  t.equal((await mailJobs(db)).length, 0, 'the mail queue is empty');

  // A committed link for someone else goes through: the worker is running and has looked.
  await issueLink(testApp, anna.id);
  await smtp.waitForMail((m) => m.to.includes(anna.email), 30_000);
  t.equal(mailsTo(smtp.received, joerg.email).length, 0, 'no mail for the rolled-back link');
  t.notOk((await auditActions(db, joerg.id)).includes('link.issued'), 'no audit event survived the rollback');
});
