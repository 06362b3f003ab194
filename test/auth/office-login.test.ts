import t from 'tap';
import { LOGIN_CEILING_PER_MINUTE } from '../../src/auth/throttle.ts';
import { hashPassword } from '../../src/passwords/hashing.ts';
import { startTestApp } from '../helpers/app.ts';
import { visibleText } from '../helpers/browser.ts';
import { createReseller, createTenant } from '../helpers/fixtures.ts';
import { loginAttempts } from '../helpers/login-attempts.ts';

// Issue 16: the morning after an Umzug a whole office signs in from one NAT address. Successful
// logins from one address do not count towards its limit; failures still do.

const office = { remoteAddress: '198.51.100.50' };
const password = 'Erster Arbeitstag im neuen Portal';
const people = 300;

t.test('an office of 300 behind one address', async (t) => {
  const { app, db, clock } = await startTestApp(t);
  const reseller = await createReseller(db);
  const tenant = await createTenant(db, reseller.id);
  // One hash for all: the test is about the logins, not about 300 times hashing while seeding.
  const hash = await hashPassword(password);
  await db
    .insertInto('accounts')
    .values(Array.from({ length: people }, (_, i) => ({
      role: 'user' as const,
      reseller_id: reseller.id,
      tenant_id: tenant.id,
      login: `kollege.${i + 1}`,
      first_name: 'Kollege',
      last_name: `Nummer ${i + 1}`,
      email: `kollege.${i + 1}@mueller-bau.example`,
      password_hash: hash,
    })))
    .execute();
  t.ok(people < LOGIN_CEILING_PER_MINUTE, 'the office stays below the ceiling even if all sign in within one real minute');
  const attempt = await loginAttempts(app);

  t.test('300 different accounts sign in correctly from one address within two minutes: all succeed', async (t) => {
    const statuses: number[] = [];
    // Ten at a time, as people arrive; the test clock moves 2 minutes over the whole morning rush.
    for (let first = 1; first <= people; first += 10) {
      const batch = await Promise.all(Array.from({ length: 10 }, (_, i) => attempt(`kollege.${first + i}`, password, office)));
      statuses.push(...batch.map((page) => page.status));
      clock.advance(120_000 / (people / 10));
    }
    t.equal(statuses.length, people);
    t.same(statuses.filter((s) => s !== 303), [], 'every login succeeds (303 to the start page)');
    const signedIn = await db.selectFrom('accounts').select((eb) => eb.fn.countAll<number>().as('n')).where('last_login_at', 'is not', null).executeTakeFirstOrThrow();
    t.equal(Number(signedIn.n), people, 'all 300 accounts have their login recorded');
    const throttled = await db.selectFrom('audit_events').select('id').where('action', '=', 'login.throttled').execute();
    t.equal(throttled.length, 0, 'nothing was throttled');
  });

  t.test('the successes did not use up the address: its failures are still counted from zero', async (t) => {
    const failures: number[] = [];
    for (let i = 1; i <= 31; i++) failures.push((await attempt(`kollege.${i}`, `vertippt ${i}`, office)).status);
    t.same(failures, Array(31).fill(401), '31 wrong passwords for different accounts are each checked and refused');
    const refused = await attempt('kollege.299', password, office);
    t.equal(refused.status, 429, 'after the 31st failure the address is throttled, even for a right password');
    t.ok(visibleText(refused.body).includes('Zu viele fehlgeschlagene Anmeldeversuche'));
    t.equal((await attempt('kollege.299', password, { remoteAddress: '198.51.100.51' })).status, 303, 'another address is not affected');
  });
});
