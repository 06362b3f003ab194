import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import t from 'tap';
import { visibleText } from './helpers/browser.ts';
import { exitWithin, freePort, HttpClient, startServer } from './helpers/server-process.ts';

// The real thing a new user runs: `node src/server.ts` (what `npm start` does), spoken to over
// real HTTP. Failing starts are in server-errors.test.ts.

// Each start boots a fresh embedded database (PGlite, migrations, job queue): seconds each, more
// on a busy machine, so this file gets more than tap's default budget.
t.setTimeout(300_000);

const operator = { firstName: 'Olga', lastName: 'Betrieb', email: 'olga.betrieb@okit.example', password: 'Mondlicht über der Förde 2026' };

t.test('npm start on the embedded database: setup link, first operator, log in and out, graceful SIGTERM, no second setup link', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'agileas-server-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', BASE_URL: baseUrl };

  const first = startServer(t, env);
  await first.waitForOutput(/AgileAS Reseller-Portal läuft: http:\/\/127\.0\.0\.1:\d+\/ \(Datenbank: eingebettet/);
  const [setupUrl] = await first.waitForOutput(/http:\/\/127\.0\.0\.1:\d+\/einrichtung\/[A-Za-z0-9_-]{43}/);
  t.match(first.output(), /Einmaliger Einrichtungslink \(60 Minuten gültig\)/, 'the setup link is announced with its lifetime');
  t.ok(setupUrl!.startsWith(`${baseUrl}/einrichtung/`), 'built from BASE_URL');

  const browser = new HttpClient(baseUrl);
  const form = await browser.request('GET', setupUrl!);
  t.equal(form.status, 200, 'the setup page opens over HTTP');
  t.ok(browser.csrf, 'with a CSRF token');
  const created = await browser.request('POST', setupUrl!, { ...operator, passwordRepeat: operator.password });
  t.equal(created.status, 303, 'the first operator is created');
  t.equal(created.location, '/anmelden', 'and sent to the login page');
  const loginPage = await browser.request('GET', '/anmelden');
  const login = /Dein Login lautet „([^“]+)“/.exec(visibleText(loginPage.body))?.[1];
  t.equal(login, 'olga.betrieb', 'the login page shows the new login');

  const signedIn = await browser.request('POST', '/anmelden', { login: login!, password: operator.password });
  t.equal(signedIn.status, 303, 'the operator logs in');
  t.not(signedIn.location, '/anmelden');
  const account = await browser.request('GET', '/konto');
  t.equal(account.status, 200, 'and sees the account page');
  t.match(visibleText(account.body), 'olga.betrieb');
  const loggedOut = await browser.request('POST', '/abmelden', {});
  t.equal(loggedOut.status, 303, 'logs out');
  t.equal((await browser.request('GET', '/konto')).location, '/anmelden', 'and the account page wants a login again');

  first.child.kill('SIGTERM');
  t.equal(await exitWithin(first, 30_000), 0, 'SIGTERM ends the server with exit code 0');
  t.notOk(first.output().includes(operator.password), 'the password never reached the output');

  const second = startServer(t, { ...env });
  await second.waitForOutput(/AgileAS Reseller-Portal läuft/);
  // The old setup link is refused now that an operator exists; this answer also comes after
  // the start-up check for an operator, so its line would have been printed by now.
  const again = await new HttpClient(baseUrl).request('GET', setupUrl!);
  t.equal(again.status, 410, 'the used setup link is refused');
  const relogin = new HttpClient(baseUrl);
  await relogin.request('GET', '/anmelden');
  t.equal((await relogin.request('POST', '/anmelden', { login: login!, password: operator.password })).status, 303, 'the operator (kept in DATA_DIR) logs in after the restart');
  second.child.kill('SIGTERM');
  t.equal(await exitWithin(second, 30_000), 0, 'the second start also ends gracefully');
  t.notMatch(second.output(), /einrichtung\/[A-Za-z0-9_-]{43}/, 'the second start prints no setup link');
  t.notMatch(second.output(), /Einrichtungslink/);
});

const postgresUrl = process.env.DATABASE_URL;

t.test('npm start on PostgreSQL migrates an empty database, prints the setup link and stops gracefully', { skip: postgresUrl ? false : 'runs when DATABASE_URL is set' }, async (t) => {
  const name = `agileas_server_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  t.teardown(async () => {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  });
  const url = new URL(postgresUrl!);
  url.pathname = `/${name}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'agileas-server-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = startServer(t, { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', BASE_URL: baseUrl, DATABASE_URL: url.href });

  await server.waitForOutput(/AgileAS Reseller-Portal läuft: .* \(Datenbank: PostgreSQL\)/);
  const [setupUrl] = await server.waitForOutput(/http:\/\/127\.0\.0\.1:\d+\/einrichtung\/[A-Za-z0-9_-]{43}/);
  t.equal((await new HttpClient(baseUrl).request('GET', setupUrl!)).status, 200, 'the setup page opens');
  server.child.kill('SIGTERM');
  t.equal(await exitWithin(server, 30_000), 0, 'SIGTERM ends it with exit code 0');
  const check = new pg.Client({ connectionString: url.href });
  await check.connect();
  const migrations = await check.query('select count(*)::int as n from kysely_migration');
  const queue = await check.query(`select to_regclass('pgboss.job') is not null as present`);
  await check.end();
  t.ok(migrations.rows[0].n > 0, 'the migrations ran on the empty database');
  t.equal(queue.rows[0].present, true, 'and the job queue set up its tables');
  t.notOk(existsSync(join(dataDir, 'pglite')), 'no embedded database was created');
});
