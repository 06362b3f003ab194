import t from 'tap';
import { startPathFor } from '../../src/auth/login.ts';
import { MINUTE } from '../../src/clock.ts';
import { text } from '../../src/i18n/de.ts';
import { hashToken } from '../../src/tokens.ts';
import { startTestApp } from '../helpers/app.ts';
import { Browser, visibleText } from '../helpers/browser.ts';
import { createOperator, createReseller, createResellerStaff, signIn } from '../helpers/fixtures.ts';
import { concretePath, listRoutes } from '../helpers/routes.ts';

/** The sessions row of a cookie: the store keys rows by the SHA-256 of the unsigned session id. */
function idHashOf(cookieValue: string): string {
  const signed = decodeURIComponent(cookieValue);
  return hashToken(signed.slice(0, signed.lastIndexOf('.')));
}

function setCookieHeaders(headers: Record<string, unknown>): string[] {
  const raw = headers['set-cookie'];
  return Array.isArray(raw) ? raw.map(String) : raw === undefined ? [] : [String(raw)];
}

t.test('sessions', async (t) => {
  const { app, db, clock } = await startTestApp(t);
  const otto = await createOperator(db);
  const reseller = await createReseller(db);
  const rita = await createResellerStaff(db, reseller.id);
  const sessionRows = () => db.selectFrom('sessions').select(['id_hash', 'account_id']).execute();

  t.test('pages without a login store no session (saveUninitialized is off)', async (t) => {
    const before = await sessionRows();
    const browser = new Browser(app);
    for (const path of ['/anmelden', '/impressum', '/hilfe', '/passwort-vergessen', '/konto']) await browser.get(path);
    await browser.get('/anmelden');
    await browser.post('/anmelden', { login: otto.login, password: 'nicht das richtige Passwort' });
    t.same(await sessionRows(), before, 'no new row in the sessions table');
    t.equal(browser.cookies.has('sid'), false, 'no session cookie');
  });

  t.test('logging in over an existing session gives a new session id and deletes the old row', async (t) => {
    // Someone signs in and plants that session cookie in another person's browser (fixation).
    const planted = await signIn(app, rita);
    const oldCookie = planted.cookies.get('sid')!;
    t.ok((await sessionRows()).some((row) => row.id_hash === idHashOf(oldCookie) && row.account_id === rita.id), 'the planted session exists');

    const victim = new Browser(app);
    victim.cookies.set('sid', oldCookie);
    await victim.get('/konto');
    const answer = await victim.post('/anmelden', { login: otto.login, password: otto.password! });
    t.equal(answer.status, 303);
    const newCookie = victim.cookies.get('sid')!;
    t.not(newCookie, oldCookie, 'a new session id');

    const rows = await sessionRows();
    t.notOk(rows.some((row) => row.id_hash === idHashOf(oldCookie)), 'the old row is gone');
    t.ok(rows.some((row) => row.id_hash === idHashOf(newCookie) && row.account_id === otto.id), 'the new row belongs to the person who logged in');
    const replay = await planted.get('/konto');
    t.equal(replay.status, 303, 'the old cookie no longer opens anything');
    t.equal(replay.location, '/anmelden?weiter=%2Fkonto');
  });

  t.test('the session cookie is HttpOnly, SameSite=Lax, Path=/ and not Secure over http', async (t) => {
    const browser = new Browser(app);
    await browser.get('/anmelden');
    const answer = await browser.post('/anmelden', { login: otto.login, password: otto.password! });
    const cookie = setCookieHeaders(answer.headers).find((c) => c.startsWith('sid='));
    t.ok(cookie, 'a sid cookie is set at login');
    t.match(cookie, /; HttpOnly(;|$)/);
    t.match(cookie, /; SameSite=Lax(;|$)/);
    t.match(cookie, /; Path=\/(;|$)/);
    t.notMatch(cookie, /Secure/i);
    t.notMatch(cookie, /Max-Age|Expires/i, 'a browser-session cookie; the server decides when it ends');
  });

  t.test('idle timeout: a request after 29 quiet minutes still finds the session, and it counts as activity', async (t) => {
    const browser = await signIn(app, otto);
    clock.advance(29 * MINUTE);
    t.equal((await browser.get('/konto')).status, 200, '29 minutes after login');
    clock.advance(29 * MINUTE);
    t.equal((await browser.get('/konto')).status, 200, '58 minutes after login, 29 after the last request');
  });

  t.test('idle timeout: after 31 quiet minutes the session has ended, with the German notice', async (t) => {
    const browser = await signIn(app, otto);
    const cookie = browser.cookies.get('sid')!;
    clock.advance(29 * MINUTE);
    t.equal((await browser.get('/konto')).status, 200, 'still signed in after 29 minutes');
    clock.advance(31 * MINUTE);
    const page = await browser.get('/konto');
    t.equal(page.status, 303);
    t.equal(page.location, '/anmelden?weiter=%2Fkonto');
    const login = await browser.follow(page);
    t.ok(visibleText(login.body).includes(text.session.expired), 'the login page says the session has expired');
    t.match(text.session.expired, /Sitzung ist abgelaufen/);
    t.notOk((await sessionRows()).some((row) => row.id_hash === idHashOf(cookie)), 'the row is deleted');
  });

  t.test('absolute timeout: the session ends after 12 hours even with a request every 20 minutes', async (t) => {
    const browser = await signIn(app, otto);
    const statuses: number[] = [];
    for (let i = 1; i <= 35; i++) {
      clock.advance(20 * MINUTE);
      statuses.push((await browser.get('/konto')).status);
    }
    t.same(new Set(statuses), new Set([200]), 'signed in for 11 h 40 min with steady activity');
    clock.advance(21 * MINUTE);
    const page = await browser.get('/konto');
    t.equal(page.status, 303, '12 h 01 min after login the session is over');
    t.equal(page.location, '/anmelden?weiter=%2Fkonto');
    t.ok(visibleText((await browser.follow(page)).body).includes(text.session.expired));
  });

  t.test('logout deletes the session row, and replaying the old cookie afterwards gives no access', async (t) => {
    const browser = await signIn(app, otto);
    const cookie = browser.cookies.get('sid')!;
    await browser.get('/konto');
    const answer = await browser.post('/abmelden');
    t.equal(answer.status, 303);
    t.equal(answer.location, '/anmelden');
    t.ok(visibleText((await browser.follow(answer)).body).includes(text.logout.done), 'the login page says so');
    t.notOk((await sessionRows()).some((row) => row.id_hash === idHashOf(cookie)), 'the row is deleted');

    const replay = new Browser(app);
    replay.cookies.set('sid', cookie);
    const page = await replay.get('/konto');
    t.equal(page.status, 303, 'the old cookie opens nothing');
    t.equal(page.location, '/anmelden?weiter=%2Fkonto');
  });

  t.test('a page behind the login without a session redirects to /anmelden?weiter=…', async (t) => {
    const browser = new Browser(app);
    const page = await browser.get('/konto');
    t.equal(page.status, 303);
    t.equal(page.location, '/anmelden?weiter=%2Fkonto');
    t.ok(visibleText((await browser.follow(page)).body).includes(text.session.required), 'the login page asks to sign in');
  });

  t.test('every route but login, the link pages, Impressum and Hilfe needs a session', async (t) => {
    const publicPaths = [/^\/$/, /^\/anmelden$/, /^\/passwort-vergessen$/, /^\/passwort-link\//, /^\/einrichtung\//, /^\/impressum$/, /^\/hilfe$/, /^\/static\//, /^\/\*$/, /^\/(healthz|readyz|metrics)$/];
    const routes = await listRoutes(app);
    t.ok(routes.length >= 10, 'the route table was read');
    const anonymous = new Browser(app);
    await anonymous.get('/anmelden'); // for the CSRF token: a POST must reach the guard, not stop at CSRF
    for (const { method, path } of routes) {
      if (method !== 'GET' && method !== 'POST') continue;
      if (publicPaths.some((pattern) => pattern.test(path))) continue;
      const page = method === 'GET' ? await anonymous.get(concretePath(path)) : await anonymous.post(concretePath(path), {});
      t.equal(page.status, 303, `${method} ${path}: redirected`);
      t.match(page.location ?? '', /^\/anmelden(\?|$)/, `${method} ${path}: to the login page`);
    }
    for (const path of ['/anmelden', '/passwort-vergessen', '/impressum', '/hilfe', '/passwort-link/abc', '/einrichtung/abc']) {
      const page = await anonymous.get(path);
      t.notOk(page.location?.startsWith('/anmelden'), `GET ${path} opens without a session (${page.status})`);
    }
  });

  t.test('a signed-in person sees the start page at /', async (t) => {
    const browser = await signIn(app, rita);
    const page = await browser.get('/');
    t.equal(page.location, startPathFor('reseller'));
  });
});
