import t from 'tap';
import { issueLinksInBulk } from '../../src/passwords/bulk-links.ts';
import { startTestApp } from '../helpers/app.ts';
import { Browser } from '../helpers/browser.ts';
import { createReseller, createResellerStaff, createTenant, signIn } from '../helpers/fixtures.ts';
import { linkFromMail } from '../helpers/smtp-peer.ts';
import { mailJobs, startSecondInstance, waitFor } from './helpers.ts';

// Issue 12: two portal instances on one PostgreSQL — what a load balancer in front of them
// relies on. A session lives in the database, so it works on both and ends on both; the two mail
// workers share the queue, and every one of 2,000 links goes out exactly once.

// PGlite is embedded in one process: a second instance cannot open the same database.
const skipOnPglite = process.env.DATABASE_URL ? false : 'needs PostgreSQL (DATABASE_URL): two instances cannot share one embedded PGlite';
const COUNT = 2_000;

t.test('two instances on one PostgreSQL: one session on both, and 2,000 links delivered exactly once by the two workers', { skip: skipOnPglite }, async (t) => {
  const one = await startTestApp(t, { SMTP_MAX_CONNECTIONS: '5' });
  const { app, db, smtp, clock, config } = one;
  const { app: second, logs: secondLogs } = await startSecondInstance(t, one);

  const reseller = await createReseller(db);
  const staff = await createResellerStaff(db, reseller.id);
  const tenant = await createTenant(db, reseller.id);

  // The session: signed in on one, the same cookie works on the other; signing out on the other
  // ends it on the first as well.
  const onOne = await signIn(app, staff);
  t.equal((await onOne.get('/konto')).status, 200, 'signed in on instance one');
  const onTwo = new Browser(second);
  for (const [name, value] of onOne.cookies) onTwo.cookies.set(name, value);
  const accountOnTwo = await onTwo.get('/konto');
  t.equal(accountOnTwo.status, 200, 'the same session works on instance two');
  t.match(accountOnTwo.body, staff.login, 'as the same person');
  t.equal((await onTwo.post('/abmelden')).status, 303, 'signed out on instance two');
  const afterLogout = await onOne.get('/konto');
  t.equal(afterLogout.status, 303, 'instance one no longer knows the session');
  t.match(afterLogout.location, /^\/anmelden/, 'and asks for a login');

  // 2,000 Anwender of one import, their links queued in one transaction, sent by both workers.
  const users = await db
    .insertInto('accounts')
    .values(Array.from({ length: COUNT }, (_, i) => ({ role: 'user' as const, reseller_id: reseller.id, tenant_id: tenant.id, login: `nele.neu${i}`, first_name: 'Nele', last_name: `Neu`, email: `nele${i}@mueller-bau.example` })))
    .returning(['id', 'email'])
    .execute();
  const lifetimes = { invitationHours: config.invitationLinkHours, resetHours: config.resetLinkHours };
  await app.db.transaction().execute((trx) =>
    issueLinksInBulk(trx, app.outbox, lifetimes, users.map((u) => u.id), { actorId: staff.id, at: clock.now(), ip: null, resellerId: reseller.id }),
  );
  await waitFor('all mails to arrive', async () => smtp.received.length >= COUNT || undefined, 240_000);
  await waitFor('every job to be settled', async () => (await mailJobs(db)).every((job) => job.state === 'completed') || undefined, 60_000);

  const perAddress = new Map<string, number>();
  for (const mail of smtp.received) for (const to of mail.to) perAddress.set(to, (perAddress.get(to) ?? 0) + 1);
  t.equal(smtp.received.length, COUNT, 'none lost, none twice');
  t.ok(users.every((u) => perAddress.get(u.email) === 1), 'every Anwender got exactly one mail');
  const tokens = smtp.received.map((mail) => linkFromMail(mail).token);
  t.equal(new Set(tokens).size, COUNT, 'each with a token of its own');
  const sentBy = (logs: string[]) => logs.filter((line) => line.includes('"msg":"Mail versendet"')).length;
  const byFirst = sentBy(one.logs);
  const bySecond = sentBy(secondLogs);
  t.equal(byFirst + bySecond, COUNT, 'each mail sent by exactly one instance');
  t.ok(byFirst > 0 && bySecond > 0, `both instances sent (${byFirst} and ${bySecond})`);
  const sent = await db.selectFrom('mail_deliveries').select((eb) => eb.fn.countAll<string>().as('n')).where('state', '=', 'sent').where('attempts', '=', 1).executeTakeFirstOrThrow();
  t.equal(Number(sent.n), COUNT, 'every delivery recorded as sent, on its first attempt');
});
