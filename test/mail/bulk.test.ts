import t from 'tap';
import { findUsableLink, revokeAccountLinks } from '../../src/passwords/links.ts';
import { issueLinksInBulk } from '../../src/passwords/bulk-links.ts';
import { startTestApp } from '../helpers/app.ts';
import { createReseller, createResellerStaff, createTenant, createUser, type Person } from '../helpers/fixtures.ts';
import { linkFromMail } from '../helpers/smtp-peer.ts';
import { mailJobs, startWorkerLater, waitFor } from './helpers.ts';

// 500 links through the import's bulk path, sent by the batching worker over several pooled
// connections: each goes out exactly once with a token of its own, and none goes out for a link
// that was revoked or used before the worker got to it.

const COUNT = 500;

t.test('500 links: each delivered exactly once, each token different, none for a link revoked before its turn', async (t) => {
  const testApp = await startTestApp(t, { SMTP_MAX_CONNECTIONS: '5' }, { startWorker: false });
  const { app, db, smtp, clock, config } = testApp;
  const reseller = await createReseller(db);
  const staff = await createResellerStaff(db, reseller.id);
  const tenant = await createTenant(db, reseller.id);
  const people: Person[] = [];
  for (let i = 0; i < COUNT; i++) {
    people.push(await createUser(db, tenant, { firstName: 'Nele', lastName: `Neu-${i}`, email: `nele${i}@mueller-bau.example`, password: null }));
  }

  const lifetimes = { invitationHours: config.invitationLinkHours, resetHours: config.resetLinkHours };
  const issued = await app.db.transaction().execute((trx) =>
    issueLinksInBulk(trx, app.outbox, lifetimes, people.map((p) => p.id), { actorId: staff.id, at: clock.now(), ip: null, resellerId: reseller.id }),
  );
  t.equal(issued, COUNT, 'one link per account, queued in one transaction');

  // Before the worker runs: ten links revoked the portal's way (their mails are marked dropped),
  // ten more used or revoked behind the queue's back (their mails still say "queued": the
  // worker itself must notice when it mints the token).
  const revoked = people.slice(0, 10);
  for (const person of revoked) {
    await db.transaction().execute((trx) => revokeAccountLinks(trx, { id: person.id, reseller_id: reseller.id, tenant_id: tenant.id }, clock.now(), 'test', staff.id));
  }
  const usedBehind = people.slice(10, 15);
  const revokedBehind = people.slice(15, 20);
  await db.updateTable('password_links').set({ used_at: clock.now() }).where('account_id', 'in', usedBehind.map((p) => p.id)).execute();
  await db.updateTable('password_links').set({ revoked_at: clock.now() }).where('account_id', 'in', revokedBehind.map((p) => p.id)).execute();
  const skipped = [...revoked, ...usedBehind, ...revokedBehind];
  const expected = people.slice(20);

  await startWorkerLater(t, testApp);
  await waitFor('every live link to be mailed', async () => smtp.received.length >= expected.length || undefined, 120_000);
  await waitFor('every job to be settled', async () => (await mailJobs(db)).every((job) => job.state === 'completed') || undefined, 60_000);

  const byAddress = new Map<string, number>();
  for (const mail of smtp.received) for (const to of mail.to) byAddress.set(to, (byAddress.get(to) ?? 0) + 1);
  t.equal(smtp.received.length, expected.length, `${expected.length} mails, no more`);
  t.ok(expected.every((p) => byAddress.get(p.email) === 1), 'every live link mailed exactly once');
  t.ok(skipped.every((p) => !byAddress.has(p.email)), 'no mail for a link revoked or used before its turn');

  const tokens = smtp.received.map((mail) => linkFromMail(mail).token);
  t.equal(new Set(tokens).size, tokens.length, 'each token different');
  const owners = await Promise.all(tokens.slice(0, 50).map((token) => findUsableLink(db, token, clock.now())));
  const emailOf = new Map(people.map((p) => [p.id, p.email]));
  t.ok(
    owners.every((found, i) => found && smtp.received[i]!.to.includes(emailOf.get(found.account.id)!)),
    'each token opens the link of the person it was mailed to',
  );
  const leaked = await db.selectFrom('password_links').select('id').where('account_id', 'in', skipped.map((p) => p.id)).where('token_hash', 'is not', null).execute();
  t.equal(leaked.length, 0, 'no token was minted for a skipped link');

  const states = await db.selectFrom('mail_deliveries').select(['state', 'attempts']).execute();
  t.equal(states.filter((d) => d.state === 'sent' && d.attempts === 1).length, expected.length, 'every live one sent, on its first attempt');
  t.equal(states.filter((d) => d.state === 'dropped' && d.attempts === 0).length, skipped.length, 'every skipped one dropped, never attempted');
  const audited = await db.selectFrom('audit_events').select('id').where('action', '=', 'link.sent').execute();
  t.equal(audited.length, expected.length, 'one link.sent audit event per mail');
  t.ok(smtp.maxOpenConnections() > 1, `several SMTP conversations at once (at most ${smtp.maxOpenConnections()} open)`);
  t.ok(smtp.maxOpenConnections() <= 5, 'never more than SMTP_MAX_CONNECTIONS');
  const jobs = await mailJobs(db);
  t.notOk(jobs.some((job) => /[A-Za-z0-9_-]{43}/.test(JSON.stringify(job.data))), 'no token-shaped value in any job payload');
});
