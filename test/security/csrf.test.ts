import t, { type Test } from 'tap';
import { text } from '../../src/i18n/de.ts';
import { BASE_URL, startTestApp } from '../helpers/app.ts';
import { Browser, type Page, visibleText } from '../helpers/browser.ts';
import { createOperator, signIn } from '../helpers/fixtures.ts';

// Every state-changing request needs the CSRF token of a page of ours, and must not come from a
// foreign origin. Each refusal is a 403 with the German page, and nothing changes.

const newPassword = 'Leuchtturm bei Nebel und Regen 42';

function isCsrfPage(t: Test, page: Page): void {
  t.equal(page.status, 403, '403');
  t.ok(visibleText(page.body).includes(text.pages.csrfTitle), 'the German page "Formular abgelaufen"');
}

t.test('CSRF and origin checks', async (t) => {
  const { app, db } = await startTestApp(t);
  const otto = await createOperator(db);
  const browser = await signIn(app, otto);
  const stillSignedIn = async () => (await browser.get('/konto')).status === 200;
  const passwordHash = async () => (await db.selectFrom('accounts').select('password_hash').where('id', '=', otto.id).executeTakeFirstOrThrow()).password_hash;
  const hashBefore = await passwordHash();

  /** A POST with the browser's cookies and token but headers chosen here (no automatic Origin). */
  const rawPost = async (path: string, headers: Record<string, string>) => {
    await browser.get('/konto');
    const response = await app.inject({
      method: 'POST',
      url: path,
      headers: { host: new URL(BASE_URL).host, cookie: browser.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: new URLSearchParams({ _csrf: browser.csrfToken! }).toString(),
    });
    return { status: response.statusCode, body: response.body, headers: response.headers, location: null } satisfies Page;
  };

  t.test('logout without a CSRF token is refused and the session stays', async (t) => {
    await browser.get('/konto');
    const token = browser.csrfToken;
    browser.csrfToken = null;
    isCsrfPage(t, await browser.post('/abmelden'));
    browser.csrfToken = token;
    t.ok(await stillSignedIn(), 'still signed in');
  });

  t.test('a password change without a CSRF token is refused and not applied', async (t) => {
    await browser.get('/konto');
    const token = browser.csrfToken;
    browser.csrfToken = null;
    isCsrfPage(t, await browser.post('/konto/passwort', { currentPassword: otto.password!, password: newPassword, passwordRepeat: newPassword }));
    browser.csrfToken = token;
    t.equal(await passwordHash(), hashBefore, 'the stored password is unchanged');
    const other = new Browser(app);
    await other.get('/anmelden');
    t.equal((await other.post('/anmelden', { login: otto.login, password: otto.password! })).status, 303, 'the old password still signs in');
  });

  t.test('an empty CSRF token is refused', async (t) => {
    await browser.get('/konto');
    isCsrfPage(t, await browser.post('/abmelden', { _csrf: '' }));
    t.ok(await stillSignedIn());
  });

  t.test('a made-up CSRF token is refused', async (t) => {
    await browser.get('/konto');
    isCsrfPage(t, await browser.post('/abmelden', { _csrf: 'aaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' }));
    t.ok(await stillSignedIn());
  });

  t.test("another browser's valid CSRF token is refused", async (t) => {
    const stranger = new Browser(app);
    await stranger.get('/anmelden');
    await browser.get('/konto');
    isCsrfPage(t, await browser.post('/abmelden', { _csrf: stranger.csrfToken! }));
    t.ok(await stillSignedIn());
  });

  t.test('a valid token without its CSRF cookie is refused', async (t) => {
    await browser.get('/konto');
    const secret = browser.cookies.get('csrf')!;
    browser.cookies.delete('csrf');
    isCsrfPage(t, await browser.post('/abmelden'));
    browser.cookies.set('csrf', secret);
    t.ok(await stillSignedIn());
  });

  t.test('a foreign Origin is refused even with a valid token', async (t) => {
    await browser.get('/konto');
    isCsrfPage(t, await browser.post('/abmelden', {}, { origin: 'https://evil.example' }));
    t.ok(await stillSignedIn());
    await browser.get('/konto');
    isCsrfPage(t, await browser.post('/konto/passwort', { currentPassword: otto.password!, password: newPassword, passwordRepeat: newPassword }, { origin: 'https://evil.example' }));
    t.equal(await passwordHash(), hashBefore, 'the stored password is unchanged');
  });

  // Browsers send Origin "null" from our own no-referrer pages, so "null" alone decides nothing;
  // together with Sec-Fetch-Site it is still caught.
  t.test('Origin "null" from a cross-site page (Sec-Fetch-Site: cross-site) is refused', async (t) => {
    await browser.get('/konto');
    isCsrfPage(t, await browser.post('/abmelden', {}, { origin: 'null', 'sec-fetch-site': 'cross-site' }));
    t.ok(await stillSignedIn());
  });

  t.test('the same host over another scheme is a foreign origin', async (t) => {
    await browser.get('/konto');
    isCsrfPage(t, await browser.post('/abmelden', {}, { origin: 'https://portal.test' }));
    t.ok(await stillSignedIn());
  });

  t.test('Sec-Fetch-Site: cross-site without an Origin header is refused', async (t) => {
    isCsrfPage(t, await rawPost('/abmelden', { 'sec-fetch-site': 'cross-site' }));
    t.ok(await stillSignedIn());
  });

  t.test('the login form needs the CSRF token too (no login CSRF)', async (t) => {
    const visitor = new Browser(app);
    await visitor.get('/anmelden');
    visitor.csrfToken = null;
    isCsrfPage(t, await visitor.post('/anmelden', { login: otto.login, password: otto.password! }));
    t.equal(visitor.cookies.has('sid'), false, 'not signed in');
  });

  t.test('no state change on GET: GET /abmelden is 404 and the session stays', async (t) => {
    const page = await browser.get('/abmelden');
    t.equal(page.status, 404);
    t.ok(visibleText(page.body).includes(text.pages.notFoundTitle));
    t.ok(await stillSignedIn());
  });

  // The control: the same requests pass when they are genuine, so the refusals above are the checks at work.
  t.test('a genuine POST without Origin but with Sec-Fetch-Site: same-origin and a valid token is accepted', async (t) => {
    const page = await rawPost('/abmelden', { 'sec-fetch-site': 'same-origin' });
    t.equal(page.status, 303);
    t.equal(page.headers.location, '/anmelden');
    t.notOk(await stillSignedIn(), 'signed out');
  });
});
