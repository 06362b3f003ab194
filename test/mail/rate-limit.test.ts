import t from 'tap';
import { claimRateBudget, planRateWindows } from '../../src/mail/rate-limit.ts';
import { mailBatchesInFlight, mailBatchSize } from '../../src/mail/worker.ts';
import { issueLinksInBulk } from '../../src/passwords/bulk-links.ts';
import { startTestApp } from '../helpers/app.ts';
import { createTestDatabase } from '../helpers/database.ts';
import { createReseller, createResellerStaff, createTenant, createUser, type Person } from '../helpers/fixtures.ts';
import { mailJobs, startSecondInstance, waitFor } from './helpers.ts';

// MAIL_RATE_PER_MINUTE holds for all instances together: the budget is claimed from rows in the
// database, never counted in one process's memory.

t.test('a per-minute cap is spread into short windows that never exceed it', async (t) => {
  t.same(planRateWindows(600), { perWindow: 10, windowMs: 1000 }, '600 per minute: 10 in each second');
  t.same(planRateWindows(6000), { perWindow: 100, windowMs: 1000 });
  t.same(planRateWindows(60), { perWindow: 1, windowMs: 1000 });
  t.same(planRateWindows(30), { perWindow: 1, windowMs: 2000 }, 'below one per second: one mail every two seconds');
  t.same(planRateWindows(100), { perWindow: 1, windowMs: 600 }, '100 per minute exactly, not rounded down to 60');
  for (const perMinute of [1, 7, 45, 61, 100, 599, 600, 601, 1000, 6001]) {
    const { perWindow, windowMs } = planRateWindows(perMinute);
    t.ok((perWindow * 60_000) / windowMs <= perMinute, `${perMinute}/min: never above the cap`);
    t.ok((perWindow * 60_000) / windowMs > perMinute * 0.98, `${perMinute}/min: and not far below it`);
  }
  t.equal(mailBatchSize({ pollingSeconds: 10, maxConnections: 5, ratePerMinute: null }), 50, 'no cap: 10 mails per connection in a batch');
  t.equal(mailBatchSize({ pollingSeconds: 10, maxConnections: 5, ratePerMinute: 600 }), 20, 'with a cap: about two seconds of budget');
  t.equal(mailBatchSize({ pollingSeconds: 10, maxConnections: 5, ratePerMinute: 10 }), 1);
  t.equal(mailBatchesInFlight({ pollingSeconds: 10, maxConnections: 5, ratePerMinute: null }), 8, 'five connections: eight batches overlap');
  t.equal(mailBatchesInFlight({ pollingSeconds: 10, maxConnections: 1, ratePerMinute: null }), 2, 'at least two');
  t.equal(mailBatchesInFlight({ pollingSeconds: 10, maxConnections: 100, ratePerMinute: null }), 16, 'at most sixteen');
});

t.test('claims made at the same moment add up and never pass a window\'s budget', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.close());
  // A one-hour window: every claim below lands in the same one.
  const windows = { perWindow: 10, windowMs: 3_600_000 };
  const claims = await Promise.all(Array.from({ length: 8 }, () => claimRateBudget(database.db, windows, 4)));
  const granted = claims.reduce((sum, c) => sum + c.granted, 0);
  const rows = await database.db.selectFrom('mail_rate_windows').select(['window_no', 'claimed']).execute();
  t.ok(granted <= 10, `8 claims of 4 got ${granted} together, at most the budget of 10`);
  t.equal(rows.reduce((sum, r) => sum + r.claimed, 0), granted, 'the rows count exactly what was granted');
  t.ok(claims.every((c) => c.granted >= 0 && c.granted <= 4), 'nobody gets more than asked');
  t.ok(claims.every((c) => c.nextWindowInMs <= windows.windowMs), 'each claim learns when the next window starts');
});

// PGlite is embedded in one process: a second instance cannot open the same database.
const skipOnPglite = process.env.DATABASE_URL ? false : 'needs PostgreSQL (DATABASE_URL): two instances cannot share one embedded PGlite';

t.test('the cap, counted per second at the SMTP peer, with two app instances on one PostgreSQL', { skip: skipOnPglite }, async (t) => {
  const COUNT = 100;
  const env = { MAIL_RATE_PER_MINUTE: '600', SMTP_MAX_CONNECTIONS: '5' };
  const one = await startTestApp(t, env);
  const { app, db, smtp, clock, config } = one;
  // The second instance: its own app, pool, queue and worker, on the same database and relay.
  // The second instance sends too; what it sent is counted from its log.
  const { logs: secondLogs } = await startSecondInstance(t, one);

  const reseller = await createReseller(db);
  const staff = await createResellerStaff(db, reseller.id);
  const tenant = await createTenant(db, reseller.id);
  const people: Person[] = [];
  for (let i = 0; i < COUNT; i++) people.push(await createUser(db, tenant, { firstName: 'Nele', lastName: `Neu-${i}`, email: `nele${i}@mueller-bau.example`, password: null }));
  const lifetimes = { invitationHours: config.invitationLinkHours, resetHours: config.resetLinkHours };
  await app.db.transaction().execute((trx) =>
    issueLinksInBulk(trx, app.outbox, lifetimes, people.map((p) => p.id), { actorId: staff.id, at: clock.now(), ip: null, resellerId: reseller.id }),
  );

  await waitFor('all mails to arrive', async () => smtp.received.length >= COUNT || undefined, 120_000);
  await waitFor('every job to be settled', async () => (await mailJobs(db)).every((job) => job.state === 'completed') || undefined, 30_000);

  const perSecond = new Map<number, number>();
  for (const mail of smtp.received) {
    const second = Math.floor(mail.acceptedAt! / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
  }
  const busiest = Math.max(...perSecond.values());
  t.ok(busiest <= 10, `at most 10 mails in any one second at the peer (busiest second: ${busiest}; per second: ${[...perSecond.values()].join(' ')})`);
  t.equal(smtp.received.length, COUNT, 'none lost, none twice');
  t.equal(new Set(smtp.received.flatMap((m) => m.to)).size, COUNT, 'every Anwender got one mail');
  const sentBy = (logs: string[]) => logs.filter((line) => line.includes('"msg":"Mail versendet"')).length;
  const byFirst = sentBy(one.logs);
  const bySecond = sentBy(secondLogs);
  t.equal(byFirst + bySecond, COUNT, 'each mail sent by exactly one instance');
  t.ok(byFirst > 0 && bySecond > 0, `both instances sent (${byFirst} and ${bySecond}), under one shared cap`);
});
