import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import t from 'tap';
import { openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { createPostgresTestDatabase } from '../helpers/database.ts';
import { createReseller, createTenant, createUser } from '../helpers/fixtures.ts';
import { freePort, HttpClient, startServer } from '../helpers/server-process.ts';

// Issue 12, finding 2: the portal is killed (SIGKILL) in the middle of an SMTP conversation, after
// the SMTP server has the whole mail but before it answered. The job is retried by the next
// process within seconds (pg-boss heartbeat), at most one extra mail goes out, and the links of
// both mails work until one of them is used.

// Two portal starts and a retry after a missed heartbeat: seconds on a quiet machine, minutes on a busy one.
t.setTimeout(400_000);

const linkPattern = /https?:\/\/[^\s"<>]+\/passwort-link\/([A-Za-z0-9_-]{43})/;

t.test('SIGKILL during the SMTP conversation: one extra mail, both links valid until one is used', async (t) => {
  // The database the portal processes share: a PGlite folder, or a fresh PostgreSQL database.
  const dataDir = mkdtempSync(join(tmpdir(), 'agileas-crash-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const postgres = process.env.DATABASE_URL ? await createPostgresTestDatabase(process.env.DATABASE_URL) : null;
  if (postgres) t.teardown(() => postgres.drop());
  const seeding = await openDatabase({ databaseUrl: postgres?.url ?? null, pgliteDir: postgres ? null : join(dataDir, 'pglite') });
  await migrateToLatest(seeding.db);
  const reseller = await createReseller(seeding.db);
  const tenant = await createTenant(seeding.db, reseller.id);
  const joerg = await createUser(seeding.db, { id: tenant.id, resellerId: reseller.id }, { firstName: 'Jörg', lastName: 'Müller', email: 'joerg@mueller-bau.example' });
  await seeding.close();

  // The SMTP server takes the first mail whole and never answers it: the sender is killed then.
  const mails: { token: string }[] = [];
  let onFirstMail: () => void = () => {};
  const smtpPort = await freePort();
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then((parsed) => {
        const token = linkPattern.exec(parsed.text ?? '')?.[1];
        if (token) mails.push({ token });
        if (mails.length === 1) onFirstMail();
        else callback();
      }, callback);
    },
  });
  await new Promise<void>((resolve) => smtp.listen(smtpPort, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => smtp.close(() => resolve())));

  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', BASE_URL: baseUrl, SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, LOG_LEVEL: 'warn' };
  if (postgres) env.DATABASE_URL = postgres.url;

  const first = startServer(t, env);
  await first.waitForOutput(/AgileAS Reseller-Portal läuft/);
  const killed = new Promise<void>((resolve) => {
    onFirstMail = () => {
      first.child.kill('SIGKILL');
      resolve();
    };
  });
  const browser = new HttpClient(baseUrl);
  await browser.request('GET', '/passwort-vergessen');
  t.equal((await browser.request('POST', '/passwort-vergessen', { identifier: joerg.login })).status, 303, 'Jörg asks for a link');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 60_000).unref());
  if ((await Promise.race([killed, timeout])) === 'timeout') {
    t.fail(`no mail reached the SMTP server within 60 s; the portal printed:\n${first.output()}`);
    return;
  }
  await first.exited;
  t.equal(mails.length, 1, 'the SMTP server holds the first mail; its sender was killed before the answer');

  const second = startServer(t, env);
  await second.waitForOutput(/AgileAS Reseller-Portal läuft/);
  // Bounded, not timed: heartbeat (10 s) + supervision (5 s) + first retry (5–10 s), with room.
  for (let i = 0; i < 900 && mails.length < 2; i++) await new Promise((r) => setTimeout(r, 100));
  t.equal(mails.length, 2, 'the next process sent the mail again');
  await new Promise((r) => setTimeout(r, 3_000));
  t.equal(mails.length, 2, 'and only once');
  const [firstMail, secondMail] = mails as [{ token: string }, { token: string }];
  t.not(firstMail.token, secondMail.token, 'the retry carries a fresh token (the first was never stored)');

  const person = new HttpClient(baseUrl);
  const opened = await person.request('GET', `/passwort-link/${firstMail.token}`);
  t.match(opened.body, 'name="passwordRepeat"', 'the link of the first mail still opens the form');
  t.match((await new HttpClient(baseUrl).request('GET', `/passwort-link/${secondMail.token}`)).body, 'name="passwordRepeat"', 'and so does the link of the second');
  const password = 'Abendsonne über dem Deich 2026';
  const set = await person.request('POST', `/passwort-link/${firstMail.token}`, { password, passwordRepeat: password });
  t.equal(set.status, 303, 'Jörg sets his password with the first link');
  const after = await new HttpClient(baseUrl).request('GET', `/passwort-link/${secondMail.token}`);
  t.notMatch(after.body, 'name="passwordRepeat"', 'then the second link is dead too');
  second.child.kill('SIGTERM');
  await second.exited;
});
