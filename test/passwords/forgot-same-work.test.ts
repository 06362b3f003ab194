import t from 'tap';
import { FORGOT_QUEUE, startForgotWorker } from '../../src/passwords/forgot.ts';
import { startTestApp } from '../helpers/app.ts';
import { Browser } from '../helpers/browser.ts';
import { createReseller, createTenant, createUser } from '../helpers/fixtures.ts';
import { openJobs, waitForQueueDrained } from '../helpers/jobs.ts';
import { sql } from 'kysely';

// Issue 12, finding 10: "Passwort vergessen" told by its timing whether an account exists
// (8.5 ms against 3.2 ms), because only a known account got a link, a mail and an audit event
// within the request. Now the request does the same for any input: it queues one job, and
// nothing else is written until the worker runs. (Measured without timing: what the request
// wrote is compared, not how long it took.)

t.test('Passwort vergessen does the same work for a known account and an unknown one', async (t) => {
  const { app, db } = await startTestApp(t, {}, { startWorker: false });
  const tenant = await createTenant(db, (await createReseller(db)).id);
  const joerg = await createUser(db, tenant);

  const written = async () => ({
    links: Number((await db.selectFrom('password_links').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
    mails: Number((await db.selectFrom('mail_deliveries').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
    audit: Number((await db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n),
    jobs: await openJobs(db, FORGOT_QUEUE),
  });
  const jobKeys = async () => (await sql<{ data: Record<string, unknown> }>`select data from pgboss.job where name = ${FORGOT_QUEUE} order by created_on`.execute(db)).rows.map((r) => Object.keys(r.data).sort());

  const ask = async (identifier: string) => {
    const browser = new Browser(app);
    await browser.get('/passwort-vergessen');
    const before = await written();
    const page = await browser.post('/passwort-vergessen', { identifier });
    t.equal(page.status, 303, `${identifier}: the one answer`);
    const after = await written();
    return { links: after.links - before.links, mails: after.mails - before.mails, audit: after.audit - before.audit, jobs: after.jobs - before.jobs };
  };

  const known = await ask(joerg.login);
  const unknown = await ask('niemand.hier');
  const knownByMail = await ask(joerg.email);
  t.same(known, { links: 0, mails: 0, audit: 0, jobs: 1 }, 'a known login: one job, nothing else written in the request');
  t.same(unknown, known, 'an unknown login: exactly the same');
  t.same(knownByMail, known, 'a known address: exactly the same');
  const keys = await jobKeys();
  t.equal(keys.length, 3);
  t.ok(keys.every((k) => JSON.stringify(k) === JSON.stringify(keys[0])), 'every job has the same shape');

  // The worker then does the lookup: a link for Jörg only, once (the second request finds the first).
  await startForgotWorker(app.boss, { db, outbox: app.outbox, lifetimes: { invitationHours: 72, resetHours: 24 } }, { pollingSeconds: 0.5 });
  await waitForQueueDrained(db, FORGOT_QUEUE);
  const links = await db.selectFrom('password_links').select('account_id').execute();
  t.same(links.map((l) => l.account_id), [joerg.id], 'one link, for the known account');
});
