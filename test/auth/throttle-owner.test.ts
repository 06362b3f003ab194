import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { accountKey, forgetOldKnownAddresses, liftThrottle, listBlocked } from '../../src/auth/throttle.ts';
import { openDatabase } from '../../src/db/database.ts';
import { startTestApp } from '../helpers/app.ts';
import { createReseller, createResellerStaff } from '../helpers/fixtures.ts';
import { loginAttempts } from '../helpers/login-attempts.ts';

// Issue 12, finding 1: a stranger who knows a login must not lock its owner out. Per account
// and address four failures are free; over all addresses 50 are (the ceiling); the owner's
// correct password from an address she signed in from before passes the ceiling; operators
// see and lift blocks (npm run admin -- sperren / entsperren), audited.

t.test('the account-wide ceiling and the owner\'s known address', async (t) => {
  const { app, db, clock } = await startTestApp(t);
  const reseller = await createReseller(db);
  const ida = await createResellerStaff(db, reseller.id, { firstName: 'Ida', lastName: 'Eigen', email: 'ida@nord-it.example' });
  const attempt = await loginAttempts(app);
  const office = { remoteAddress: '10.9.0.1' };
  t.equal((await attempt(ida.login, ida.password!, office)).status, 303, 'Ida signs in at the office once: the address becomes known');

  // A guesser spread over many addresses, four tries each (never blocked per pair): 52 failures.
  let failures = 0;
  for (let i = 0; failures < 52; i++) {
    const answer = await attempt(ida.login, `Rateversuch ${i}`, { remoteAddress: `10.9.${1 + (i >> 2)}.${i & 3}` });
    if (answer.status === 401) failures++;
    else break;
  }
  t.ok(failures > 50, `the ceiling lets the first 50 failures through (${failures})`);
  const stranger = await attempt(ida.login, 'noch ein Versuch', { remoteAddress: '10.9.200.1' });
  t.equal(stranger.status, 429, 'past the ceiling a new address is refused unchecked');
  t.equal((await attempt(ida.login, ida.password!, { remoteAddress: '10.9.200.2' })).status, 429, 'even a right password from an address Ida never used');
  t.equal((await attempt(ida.login, ida.password!, office)).status, 303, 'Ida\'s right password from her office passes');

  const blocked = await listBlocked(db, clock.now());
  t.ok(blocked.some((entry) => entry.key === accountKey(ida.login)), 'operators see the account-wide block');
  const lifted = await liftThrottle(db, { login: ida.login });
  t.ok(lifted.includes(accountKey(ida.login)), 'and lift it');
  t.equal((await attempt(ida.login, ida.password!, { remoteAddress: '10.9.200.2' })).status, 303, 'then a new address signs in too');

  t.test('a wrong password from the known address still counts for that address', async (t) => {
    for (let i = 1; i <= 5; i++) t.equal((await attempt(ida.login, `Büro-Versuch ${i}`, office)).status, 401);
    t.equal((await attempt(ida.login, ida.password!, office)).status, 429, 'the pair limit holds at a known address too');
  });

  t.test('an address unused for 90 days is forgotten', async (t) => {
    t.equal(await forgetOldKnownAddresses(db, clock.now()), 0, 'recent addresses stay');
    clock.advance(91 * 24 * 60 * 60_000);
    t.ok((await forgetOldKnownAddresses(db, clock.now())) >= 1, 'after 91 days they go');
    t.equal(await db.selectFrom('login_known_addresses').select('ip').where('account_id', '=', ida.id).execute().then((rows) => rows.length), 0);
  });
});

const run = promisify(execFile);
const cli = new URL('../../src/admin-cli.ts', import.meta.url).pathname;

async function admin(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

t.test('npm run admin -- sperren lists blocks, entsperren lifts them with an audit event', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'agileas-unlock-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const created = await admin(['create-operator', '--first-name', 'Olga', '--last-name', 'Offen', '--email', 'olga@okit.example'], { DATA_DIR: dataDir });
  t.equal(created.code, 0, created.stderr);
  {
    const handle = await openDatabase({ databaseUrl: null, pgliteDir: join(dataDir, 'pglite') });
    const until = new Date(Date.now() + 10 * 60_000);
    await handle.db.insertInto('login_throttle').values([
      { key: 'login:olga.offen', failures: 60, window_started_at: new Date(), blocked_until: until },
      { key: 'login:olga.offen|ip:203.0.113.9', failures: 6, window_started_at: new Date(), blocked_until: until },
      { key: 'ip:198.51.100.7', failures: 40, window_started_at: new Date(), blocked_until: until },
    ]).execute();
    await handle.close();
  }
  const list = await admin(['sperren'], { DATA_DIR: dataDir });
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, 'login:olga.offen\t');
  t.match(list.stdout, 'ip:198.51.100.7');

  const missing = await admin(['entsperren'], { DATA_DIR: dataDir });
  t.equal(missing.code, 1, 'entsperren without a target is refused');
  t.match(missing.stderr + missing.stdout, 'entsperren braucht --login oder --address');

  const lifted = await admin(['entsperren', '--login', 'Olga.Offen'], { DATA_DIR: dataDir });
  t.equal(lifted.code, 0, lifted.stderr);
  t.match(lifted.stdout, 'login:olga.offen');
  const after = await admin(['sperren'], { DATA_DIR: dataDir });
  t.notMatch(after.stdout, 'olga.offen', 'both of Olga\'s blocks are gone');
  t.match(after.stdout, 'ip:198.51.100.7', 'the address block stays');

  const handle = await openDatabase({ databaseUrl: null, pgliteDir: join(dataDir, 'pglite') });
  t.teardown(() => handle.close());
  const olga = await handle.db.selectFrom('accounts').select('id').where('login', '=', 'olga.offen').executeTakeFirstOrThrow();
  const events = await handle.db.selectFrom('audit_events').select(['action', 'details']).where('subject_account_id', '=', olga.id).where('action', '=', 'login.unlocked').execute();
  t.equal(events.length, 1, 'the unlock is audited against Olga\'s account');
});
