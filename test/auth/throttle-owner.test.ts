import t from 'tap';
import { accountKey, forgetOldKnownAddresses, liftThrottle, listBlocked } from '../../src/auth/throttle.ts';
import { startTestApp } from '../helpers/app.ts';
import { createReseller, createResellerStaff } from '../helpers/fixtures.ts';
import { loginAttempts } from '../helpers/login-attempts.ts';

// Issue 12, finding 1: a stranger who knows a login must not lock its owner out. Per account
// and address four failures are free; over all addresses 50 are (the ceiling); the owner's
// correct password from an address she signed in from before passes the ceiling; operators
// see and lift blocks (here the functions; the command line in throttle-unlock.test.ts).

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
