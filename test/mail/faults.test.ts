import type { Socket } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import t from 'tap';
import { issueLinksInBulk } from '../../src/passwords/bulk-links.ts';
import { startTestApp } from '../helpers/app.ts';
import { createReseller, createResellerStaff, createTenant } from '../helpers/fixtures.ts';
import { freePort, mailJobs, waitFor } from './helpers.ts';

// Issue 12: an SMTP server that drops its connections in the middle of a batch (after the mail's
// data, before its answer would have come), then answers 4xx for a while, then works again:
// every mail arrives, none twice — a mail whose conversation broke off was never accepted.

const COUNT = 60;

t.test('SMTP drops connections mid-batch, then answers 4xx, then is back: all delivered, none twice', async (t) => {
  const port = await freePort();
  const accepted: string[] = [];
  const sockets = new Set<Socket>();
  let dataCount = 0;
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const to = session.envelope.rcptTo.map((r) => r.address);
      simpleParser(stream).then(() => {
        dataCount += 1;
        // Mails 6 to 12: every open connection is cut instead of an answer.
        if (dataCount > 5 && dataCount <= 12) {
          for (const socket of sockets) socket.destroy();
          return;
        }
        // Mails 13 to 20: "try again later".
        if (dataCount > 12 && dataCount <= 20) {
          callback(Object.assign(new Error('Greylisted, try again later'), { responseCode: 451 }));
          return;
        }
        accepted.push(...to);
        callback();
      }, callback);
    },
  });
  // smtp-server keeps its net.Server here; the sockets are what the test cuts.
  (smtp as unknown as { server: { on(event: 'connection', fn: (s: Socket) => void): void } }).server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => smtp.listen(port, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

  const { app, db, clock, config } = await startTestApp(t, { SMTP_URL: `smtp://127.0.0.1:${port}`, SMTP_MAX_CONNECTIONS: '3', MAIL_RETRY_LIMIT: '10' });
  const reseller = await createReseller(db);
  const staff = await createResellerStaff(db, reseller.id);
  const tenant = await createTenant(db, reseller.id);
  const users = await db
    .insertInto('accounts')
    .values(Array.from({ length: COUNT }, (_, i) => ({ role: 'user' as const, reseller_id: reseller.id, tenant_id: tenant.id, login: `nele.neu${i}`, first_name: 'Nele', last_name: 'Neu', email: `nele${i}@mueller-bau.example` })))
    .returning(['id', 'email'])
    .execute();
  const lifetimes = { invitationHours: config.invitationLinkHours, resetHours: config.resetLinkHours };
  await app.db.transaction().execute((trx) =>
    issueLinksInBulk(trx, app.outbox, lifetimes, users.map((u) => u.id), { actorId: staff.id, at: clock.now(), ip: null, resellerId: reseller.id }),
  );

  await waitFor('every mail to be accepted', async () => accepted.length >= COUNT || undefined, 180_000);
  await waitFor('every job to be settled', async () => (await mailJobs(db)).every((job) => job.state === 'completed') || undefined, 60_000);
  t.ok(dataCount > COUNT, `the server cut or refused some conversations (${dataCount} mails' data for ${COUNT} mails)`);
  const perAddress = new Map<string, number>();
  for (const to of accepted) perAddress.set(to, (perAddress.get(to) ?? 0) + 1);
  t.equal(accepted.length, COUNT, 'none lost, none twice');
  t.ok(users.every((u) => perAddress.get(u.email) === 1), 'every Anwender got exactly one mail');
  const states = await db.selectFrom('mail_deliveries').select(['state', 'attempts']).execute();
  t.ok(states.every((d) => d.state === 'sent'), 'every delivery ends as sent');
  t.ok(states.some((d) => d.attempts > 1), 'some of them on a later attempt');
});
