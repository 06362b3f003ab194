import { sql } from 'kysely';
import t from 'tap';
import { issuePasswordLink } from '../../src/passwords/links.ts';
import { startTestApp } from '../helpers/app.ts';
import { createReseller, createTenant, createUser } from '../helpers/fixtures.ts';
import { deliveriesOf, issueLink, jobForDelivery, mailsTo, sleep, waitFor, waitForDeliveryState } from './helpers.ts';

// PGlite has one connection. pg-boss talks to it outside Kysely, so while one of our
// transactions is open its statements must wait, never run inside our transaction (they would
// then commit or roll back with it), and it must carry on afterwards. The same tests run on
// Postgres, where pg-boss has connections of its own. Nothing here may query the database from
// outside an open transaction and await it inside: on PGlite that would wait forever.

const lifetimes = { invitationHours: 72, resetHours: 24 };

t.test('a link issued inside a long transaction is mailed only after the commit, and the queue keeps working', async (t) => {
  const testApp = await startTestApp(t);
  const { app, db, smtp, config } = testApp;
  const tenant = await createTenant(db, (await createReseller(db)).id);
  const joerg = await createUser(db, tenant, { password: null });

  const receivedBeforeCommit = await app.db.transaction().execute(async (trx) => {
    await issuePasswordLink(trx, app.outbox, lifetimes, { accountId: joerg.id, actorId: null, at: testApp.clock.now() });
    // Several polling intervals with the change uncommitted: the worker has every chance to poll.
    await sleep(3 * config.mailPollingSeconds * 1000);
    return smtp.received.length;
  });
  t.equal(receivedBeforeCommit, 0, 'nothing was sent while the transaction was open');

  await smtp.waitForMail((m) => m.to.includes(joerg.email), 30_000);
  const [delivery] = await deliveriesOf(db, joerg.id);
  const sent = await waitForDeliveryState(db, delivery!.id, ['sent']);
  t.equal(sent.attempts, 1, 'sent after the commit, on the first attempt');
  t.equal(mailsTo(smtp.received, joerg.email).length, 1, 'exactly one mail');
});

t.test('pg-boss writes made while one of our transactions is open are not rolled back with it', async (t) => {
  const testApp = await startTestApp(t);
  const { app, db, smtp, config } = testApp;
  const tenant = await createTenant(db, (await createReseller(db)).id);
  const anna = await createUser(db, tenant, { firstName: 'Anna', lastName: 'Schmidt', email: 'anna.schmidt@mueller-bau.example', password: null });
  const joerg = await createUser(db, tenant, { password: null });
  await app.boss.createQueue('serialisation-probe');

  // Anna's mail is committed before our transaction and becomes due again while it is open:
  // the first attempt is refused, the retry comes a second or two later.
  smtp.refuseNext(451, 1);
  await issueLink(testApp, anna.id);
  const [annaDelivery] = await deliveriesOf(db, anna.id);
  await waitForDeliveryState(db, annaDelivery!.id, ['retrying']);

  let probe: Promise<string | null> | undefined;
  let plainInsert: Promise<unknown> | undefined;
  const rollback = new Error('zurückrollen');
  await t.rejects(
    app.db.transaction().execute(async (trx) => {
      await issuePasswordLink(trx, app.outbox, lifetimes, { accountId: joerg.id, actorId: null, at: testApp.clock.now() });
      // Started while our transaction is open, awaited only after it is gone.
      probe = app.boss.send('serialisation-probe', { started: 'inside' });
      plainInsert = db.insertInto('resellers').values({ name: 'Außerhalb der Transaktion GmbH' }).execute();
      // Long enough for the retry of Anna's mail to come due (backoff 1-2 s) and be polled.
      await sleep(3000 + 2 * config.mailPollingSeconds * 1000);
      throw rollback;
    }),
    rollback,
  );

  const probeId = await probe!;
  t.ok(probeId, 'pg-boss accepted the job sent during the transaction');
  const probeJob = await sql<{ state: string }>`select state from pgboss.job where id = ${probeId}`.execute(db);
  t.equal(probeJob.rows.length, 1, 'and it still exists after our rollback');
  await plainInsert;
  const outsider = await db.selectFrom('resellers').select('id').where('name', '=', 'Außerhalb der Transaktion GmbH').execute();
  t.equal(outsider.length, 1, 'a query on the database (not the transaction) is not rolled back with it either');

  const sent = await waitForDeliveryState(db, annaDelivery!.id, ['sent'], 30_000);
  t.equal(sent.attempts, 2, 'Anna\'s mail is sent on its retry');
  const annaJob = await waitFor('Anna\'s job to complete', async () => {
    const job = await jobForDelivery(db, annaDelivery!.id);
    return job?.state === 'completed' ? job : undefined;
  });
  t.equal(annaJob.retry_count, 1, 'pg-boss recorded one retry, and it stuck');
  t.equal(mailsTo(smtp.received, anna.email).length, 1, 'exactly one mail for Anna');

  t.equal((await deliveriesOf(db, joerg.id)).length, 0, 'our own rolled-back change left nothing');
  t.equal(mailsTo(smtp.received, joerg.email).length, 0, 'and sent nothing');
});
