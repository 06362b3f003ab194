import t from 'tap';
import { issueLinksInBulk } from '../../src/passwords/bulk-links.ts';
import { startTestApp } from '../helpers/app.ts';
import { createReseller, createResellerStaff, createTenant, createUser, type Person } from '../helpers/fixtures.ts';
import { auditActions, deliveriesOf, mailsTo, startWorkerLater, waitFor } from './helpers.ts';

// One bad apple in a batch: the relay answers one address with 550 and never answers for
// another. The rest of the batch goes out on the other pooled connections; the 550 parks only
// its own mail, the stalled one is retried after the send timeout, and both show their state.

t.test('a peer that refuses one address with 550 and stalls on another: the rest are delivered, the two show their state', async (t) => {
  const testApp = await startTestApp(t, { SMTP_MAX_CONNECTIONS: '3', SMTP_TIMEOUT_SECONDS: '3', MAIL_RETRY_LIMIT: '5' }, { startWorker: false });
  const { app, db, smtp, clock, config } = testApp;
  const reseller = await createReseller(db);
  const staff = await createResellerStaff(db, reseller.id);
  const tenant = await createTenant(db, reseller.id);
  const people: Person[] = [];
  for (let i = 0; i < 30; i++) people.push(await createUser(db, tenant, { firstName: 'Nele', lastName: `Neu-${i}`, email: `nele${i}@mueller-bau.example`, password: null }));
  // In the middle of the batch, not at its edges.
  const refused = people[7]!;
  const stalled = people[12]!;
  const neighbours = people.filter((p) => p !== refused && p !== stalled);
  smtp.refuseRecipient(refused.email, 550);
  smtp.stallRecipient(stalled.email);

  const lifetimes = { invitationHours: config.invitationLinkHours, resetHours: config.resetLinkHours };
  await app.db.transaction().execute((trx) =>
    issueLinksInBulk(trx, app.outbox, lifetimes, people.map((p) => p.id), { actorId: staff.id, at: clock.now(), ip: null, resellerId: reseller.id }),
  );
  await startWorkerLater(t, testApp);

  const [stalledFirst] = await waitFor('the stalled mail to time out once', async () => {
    const rows = await deliveriesOf(db, stalled.id);
    return rows[0]!.attempts >= 1 ? rows : undefined;
  }, 60_000);
  t.equal(stalledFirst!.state, 'retrying', 'the stalled mail is retried, not given up');
  t.match(stalledFirst!.last_error, /timeout|ETIMEDOUT/i, 'its last error says the server did not answer in time');

  const { updated_at: timedOutAt } = await db.selectFrom('mail_deliveries').select('updated_at').where('id', '=', stalledFirst!.id).executeTakeFirstOrThrow();
  const neighbourRows = (await Promise.all(neighbours.map((p) => deliveriesOf(db, p.id)))).map((rows) => rows[0]!);
  t.ok(neighbourRows.every((row) => row.state === 'sent' && row.attempts === 1), 'all 28 neighbours were sent on their first attempt');
  t.ok(
    neighbourRows.every((row) => row.sent_at!.getTime() <= timedOutAt.getTime()),
    'and before the stalled conversation had even timed out',
  );
  t.ok(neighbours.every((p) => mailsTo(smtp.received, p.email).length === 1), 'each neighbour got exactly one mail');

  const [refusedRow] = await deliveriesOf(db, refused.id);
  t.equal(refusedRow!.state, 'failed', 'the 550 address is parked as failed');
  t.equal(refusedRow!.attempts, 1, 'after one attempt, without retries');
  t.match(refusedRow!.last_error, /550/, 'with the SMTP answer');
  t.ok((await auditActions(db, refused.id)).includes('link.delivery_failed'), 'audited as link.delivery_failed');
  t.equal(mailsTo(smtp.received, refused.email).length, 0, 'nothing arrived for it');
  t.equal(mailsTo(smtp.received, stalled.email).length, 0, 'nor for the stalled one');
});
