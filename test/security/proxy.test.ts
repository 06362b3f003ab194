import t from 'tap';
import { LOGIN_CEILING_PER_MINUTE } from '../../src/auth/throttle.ts';
import { startTestApp } from '../helpers/app.ts';
import { Browser } from '../helpers/browser.ts';
import { createOperator } from '../helpers/fixtures.ts';
import { loginAttempts } from '../helpers/login-attempts.ts';

// Production: a reverse proxy terminates TLS and forwards to the portal. BASE_URL is https, and
// TRUST_PROXY names the proxy's address (here 127.0.0.1, where inject's requests come from).

const proxied = { 'x-forwarded-proto': 'https', origin: 'https://portal.test' };

function setCookieHeaders(headers: Record<string, unknown>): string[] {
  const raw = headers['set-cookie'];
  return Array.isArray(raw) ? raw.map(String) : raw === undefined ? [] : [String(raw)];
}

t.test('behind a TLS-terminating proxy', async (t) => {
  const { app, db } = await startTestApp(t, { BASE_URL: 'https://portal.test', TRUST_PROXY: '127.0.0.1' });
  const otto = await createOperator(db);

  t.test('the session cookie is __Host-sid, Secure, HttpOnly, SameSite=Lax, Path=/ and without Domain', async (t) => {
    const browser = new Browser(app, proxied);
    await browser.get('/anmelden');
    const answer = await browser.post('/anmelden', { login: otto.login, password: otto.password! });
    t.equal(answer.status, 303);
    const cookies = setCookieHeaders(answer.headers);
    const cookie = cookies.find((c) => c.startsWith('__Host-sid='));
    t.ok(cookie, 'the session cookie has the __Host- prefix');
    t.notOk(cookies.some((c) => c.startsWith('sid=')), 'no plain sid cookie');
    t.match(cookie, /; Secure(;|$)/);
    t.match(cookie, /; HttpOnly(;|$)/);
    t.match(cookie, /; SameSite=Lax(;|$)/);
    t.match(cookie, /; Path=\/(;|$)/, '__Host- requires Path=/');
    t.notMatch(cookie, /Domain=/i, '__Host- forbids a Domain');
    t.equal((await browser.get('/konto')).status, 200, 'the session works');
  });

  t.test('a forged X-Forwarded-For entry does not make a new address for the rate limit', async (t) => {
    const attempt = await loginAttempts(app);
    // The client forges the first entry; the proxy appends the address it really saw.
    const viaProxy = (forged: string) => ({ remoteAddress: '127.0.0.1', headers: { ...proxied, 'x-forwarded-for': `${forged}, 198.51.100.7` } });
    const statuses: number[] = [];
    for (let i = 1; i <= LOGIN_CEILING_PER_MINUTE + 1; i++) statuses.push((await attempt('', '', viaProxy(`203.0.${i % 250}.${i % 200}`))).status);
    t.same(statuses.slice(0, LOGIN_CEILING_PER_MINUTE).filter((s) => s !== 422), [], 'the posts up to the per-minute ceiling are answered');
    t.equal(statuses[LOGIN_CEILING_PER_MINUTE], 429, 'the next one within the minute is refused: all came from 198.51.100.7');
    const neighbour = await attempt('', '', { remoteAddress: '127.0.0.1', headers: { ...proxied, 'x-forwarded-for': '198.51.100.8' } });
    t.equal(neighbour.status, 422, 'another client behind the same proxy is not affected');
  });
});
