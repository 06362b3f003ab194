import t from 'tap';
import { startTestApp } from '../helpers/app.ts';
import { visibleText } from '../helpers/browser.ts';
import { createOperator } from '../helpers/fixtures.ts';
import { loginAttempts } from '../helpers/login-attempts.ts';

// Per address: 30 failures (over any logins) are free, the 31st blocks the address. Successful
// logins do not count (office-login.test.ts); the form's per-minute ceiling is far above this.

const throttledMessage = 'Zu viele fehlgeschlagene Anmeldeversuche';

t.test('login throttling per address', async (t) => {
  const { app, db, clock } = await startTestApp(t);
  const otto = await createOperator(db);
  const attempt = await loginAttempts(app);
  const plain = { remoteAddress: '192.0.2.10' };
  // Without TRUST_PROXY the header is the client's word; a new one on every request.
  let forged = 0;
  const forging = () => ({ remoteAddress: '192.0.2.20', headers: { 'x-forwarded-for': `198.51.100.${++forged % 250}` } });

  const first: { plain: number[]; forging: number[] } = { plain: [], forging: [] };
  for (let i = 1; i <= 30; i++) {
    first.plain.push((await attempt(`gast.${i}`, 'Sommer im Garten 2024', plain)).status);
    first.forging.push((await attempt(`besuch.${i}`, 'Sommer im Garten 2024', forging())).status);
  }

  t.test('30 failures over many logins are free; after the 31st the address is blocked, even for a right password', async (t) => {
    t.same(first.plain, Array(30).fill(401), 'the first 30 failures are all checked');
    t.equal((await attempt('gast.31', 'Sommer im Garten 2024', plain)).status, 401, 'the 31st failure is checked');
    const refused = await attempt(otto.login, otto.password!, plain);
    t.equal(refused.status, 429, 'then even a right password from this address is refused');
    t.ok(visibleText(refused.body).includes(throttledMessage));
    t.equal((await attempt(otto.login, otto.password!, { remoteAddress: '192.0.2.30' })).status, 303, 'the same account from another address signs in');
  });

  t.test('a forged X-Forwarded-For (new on every request) does not evade the per-address throttle', async (t) => {
    t.same(first.forging, Array(30).fill(401));
    t.equal((await attempt('besuch.31', 'Sommer im Garten 2024', forging())).status, 401);
    const refused = await attempt(otto.login, otto.password!, forging());
    t.equal(refused.status, 429, 'the forged header does not make a new address');
    t.ok(visibleText(refused.body).includes(throttledMessage));
  });

  t.test('the address block ends after its delay: no lockout for good', async (t) => {
    clock.advance(16_000);
    t.equal((await attempt(otto.login, otto.password!, plain)).status, 303);
  });
});
