import t, { type Test } from 'tap';
import { LOGIN_CEILING_PER_MINUTE } from '../../src/auth/throttle.ts';
import { text } from '../../src/i18n/de.ts';
import { startTestApp } from '../helpers/app.ts';
import { Browser, type Page, visibleText } from '../helpers/browser.ts';
import { createOperator, signIn } from '../helpers/fixtures.ts';
import { loginAttempts } from '../helpers/login-attempts.ts';

/** The CSP as a map of directive → sources. */
function parseCsp(header: unknown): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const part of String(header ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

function hasSecurityHeaders(t: Test, page: Page, label: string): void {
  const csp = parseCsp(page.headers['content-security-policy']);
  t.same(csp.get('script-src'), ["'none'"], `${label}: script-src 'none'`);
  t.same(csp.get('object-src'), ["'none'"], `${label}: object-src 'none'`);
  t.same(csp.get('base-uri'), ["'none'"], `${label}: base-uri 'none'`);
  t.same(csp.get('frame-ancestors'), ["'none'"], `${label}: frame-ancestors 'none'`);
  t.notMatch(String(page.headers['content-security-policy']), /unsafe-inline|unsafe-eval/, `${label}: nothing unsafe`);
  // same-origin on ordinary pages (with no-referrer, browsers post "Origin: null" and the origin
  // check loses its signal); no-referrer where the URL carries a token.
  t.ok(['same-origin', 'no-referrer'].includes(String(page.headers['referrer-policy'])), `${label}: no referrer to other sites (${page.headers['referrer-policy']})`);
  t.equal(page.headers['x-content-type-options'], 'nosniff', `${label}: nosniff`);
}

t.test('security headers', async (t) => {
  const { app, db, logs } = await startTestApp(t);
  const internals = 'Interna: SELECT password_hash FROM accounts WHERE login = 42';
  // A route that fails the way a bug would, to see the 500 page.
  app.get('/test/kaputt', { config: { public: true } }, async () => {
    throw new Error(internals);
  });
  const otto = await createOperator(db);

  t.test('on a normal page (200)', async (t) => {
    const page = await new Browser(app).get('/anmelden');
    t.equal(page.status, 200);
    hasSecurityHeaders(t, page, '200');
  });

  t.test('on a redirect (303)', async (t) => {
    const page = await new Browser(app).get('/konto');
    t.equal(page.status, 303);
    hasSecurityHeaders(t, page, '303');
  });

  t.test('on the 404 page', async (t) => {
    const page = await new Browser(app).get('/gibt-es-nicht');
    t.equal(page.status, 404);
    hasSecurityHeaders(t, page, '404');
  });

  t.test('on the pages with a token in the URL (410 for a dead one), with Referrer-Policy no-referrer', async (t) => {
    for (const path of [`/passwort-link/${'A'.repeat(43)}`, `/einrichtung/${'A'.repeat(43)}`]) {
      const page = await new Browser(app).get(path);
      t.equal(page.status, 410, path);
      hasSecurityHeaders(t, page, path);
      t.equal(page.headers['referrer-policy'], 'no-referrer', `${path}: no-referrer`);
    }
  });

  t.test('on the CSRF refusal (403)', async (t) => {
    const browser = new Browser(app);
    await browser.get('/anmelden');
    const page = await browser.post('/anmelden', { _csrf: 'falsch', login: 'x', password: 'y' });
    t.equal(page.status, 403);
    hasSecurityHeaders(t, page, '403');
  });

  t.test('on the 500 page, which is German, gives a Fehlernummer and shows no internals', async (t) => {
    const page = await new Browser(app).get('/test/kaputt');
    t.equal(page.status, 500);
    hasSecurityHeaders(t, page, '500');
    const shown = visibleText(page.body);
    t.ok(shown.includes(text.pages.errorTitle), 'the German title');
    t.ok(shown.includes(text.pages.errorText), 'the German explanation');
    const reference = /Fehlernummer für den Support: (\S+)/.exec(shown)?.[1];
    t.ok(reference, 'a Fehlernummer');
    t.notOk(page.body.includes('SELECT'), 'not the error message');
    t.notMatch(page.body, /password_hash|Error|at .*\.ts:\d+|node:internal/, 'no stack, no internals');
    t.match(page.headers['content-type'], /^text\/html/);
    // Support finds the error in the log by that number.
    const logged = logs.map((line) => JSON.parse(line) as { level: number; reqId?: string; err?: { message?: string } })
      .find((entry) => entry.level >= 50 && entry.reqId === reference);
    t.equal(logged?.err?.message, internals, 'the log has the error under that number');
  });

  t.test('on the throttling answer (429 from the login)', async (t) => {
    const attempt = await loginAttempts(app);
    const from = { remoteAddress: '10.7.0.1' };
    // A login nobody has is throttled like any other (no hint whether it exists).
    for (let i = 1; i <= 5; i++) await attempt('niemand.bekannt', `falsches Passwort ${i}`, from);
    const page = await attempt('niemand.bekannt', 'noch ein Versuch', from);
    t.equal(page.status, 429);
    hasSecurityHeaders(t, page, '429 throttle');
  });

  t.test('on the rate limit answer (a login POST above the per-minute ceiling), with a German page', async (t) => {
    const attempt = await loginAttempts(app);
    const from = { remoteAddress: '10.7.0.2' };
    const statuses: number[] = [];
    // Empty fields: each POST counts, but costs no password check.
    for (let i = 1; i <= LOGIN_CEILING_PER_MINUTE + 1; i++) statuses.push((await attempt('', '', from)).status);
    t.same(statuses.slice(0, LOGIN_CEILING_PER_MINUTE).filter((s) => s !== 422), [], 'the posts up to the ceiling are answered normally');
    t.equal(statuses[LOGIN_CEILING_PER_MINUTE], 429, 'the next one is rate-limited');
    const page = await attempt('', '', from);
    t.equal(page.status, 429);
    hasSecurityHeaders(t, page, '429 rate limit');
    t.ok(visibleText(page.body).includes(text.pages.tooManyTitle), 'the German page "Zu viele Anfragen"');
    t.match(String(page.headers['retry-after']), /^[1-9]\d*$/, 'Retry-After in whole seconds');
  });

  t.test('pages behind the login are sent with Cache-Control: no-store', async (t) => {
    const browser = await signIn(app, otto, new Browser(app));
    const page = await browser.get('/konto');
    t.equal(page.status, 200);
    t.match(String(page.headers['cache-control']), /(^|,\s*)no-store(,|$)/);
    hasSecurityHeaders(t, page, '200 behind login');
  });

  t.test('static files may be cached, and carry the headers too', async (t) => {
    const page = await new Browser(app).get('/static/app.css');
    t.equal(page.status, 200);
    t.notMatch(String(page.headers['cache-control']), /no-store/);
    hasSecurityHeaders(t, page, 'static');
  });
});
