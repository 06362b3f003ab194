import t, { type Test } from 'tap';
import { text } from '../../src/i18n/de.ts';
import { BASE_URL, startTestApp } from '../helpers/app.ts';
import { Browser, type Page, pageOf, visibleText } from '../helpers/browser.ts';
import { createOperator, createReseller, createResellerStaff, createTenant, createUser, signIn } from '../helpers/fixtures.ts';
import { csv, mandant, multipart, row } from '../imports/helpers.ts';

// Issue 12, findings 7, 8, 9, 11 and 12: what an attacker's run against the portal found, each
// as the request that showed it. Every answer is a German page, never Fastify's JSON or a 500.

const host = new URL(BASE_URL).host;

function isGermanPage(t: Test, page: Page, status: number, label: string): void {
  t.equal(page.status, status, `${label}: ${status}`);
  t.match(String(page.headers['content-type']), /^text\/html/, `${label}: an HTML page, not JSON`);
  t.match(page.body, /<html lang="de"/, `${label}: the German layout`);
}

function stackTraces(logs: string[]): string[] {
  return logs.filter((line) => /"stack"|    at /.test(line) || /"level":50/.test(line));
}

t.test('holes found by the attacker run', async (t) => {
  const { app, db, logs } = await startTestApp(t, {}, { startWorker: false });
  const otto = await createOperator(db);
  const reseller = await createReseller(db);
  const rita = await createResellerStaff(db, reseller.id);
  const tenant = await createTenant(db, reseller.id);
  await createUser(db, tenant);

  // Finding 7: only a path of the app is followed after login, re-serialised; anything else
  // (control characters, U+3000, another host) leads to the start page.
  t.test('finding 7: weiter only ever leads to a page of the app', async (t) => {
    const attempts: [string, string][] = [
      ['/%09/evil.example/', '/reseller'],
      ['/\t/evil.example/', '/reseller'],
      ['/\n/evil.example/', '/reseller'],
      ['/mandanten\r\nSet-Cookie: x=1', '/reseller'],
      ['/\u3000/evil.example/', '/reseller'],
      ['/mandanten\u3000', '/reseller'],
      ['//evil.example/', '/reseller'],
      ['/\\evil.example/', '/reseller'],
      ['https://evil.example/', '/reseller'],
      ['/../evil', '/reseller'],
      ['/mandanten/../../evil.example', '/reseller'],
      ['/anmelden', '/reseller'],
      ['/passwort-link/abc', '/reseller'],
      ['/mandanten?q=M%C3%BCller&seite=2', '/mandanten?q=M%C3%BCller&seite=2'],
      ['/konto', '/konto'],
    ];
    for (const [weiter, expected] of attempts) {
      const browser = new Browser(app);
      const form = await browser.get(`/anmelden?weiter=${encodeURIComponent(weiter)}`);
      t.equal(form.status, 200, `${JSON.stringify(weiter)}: the login form`);
      const answer = await browser.post('/anmelden', { login: otto.login, password: otto.password!, weiter });
      t.equal(answer.status, 303, `${JSON.stringify(weiter)}: signed in`);
      t.equal(answer.headers.location, expected, `${JSON.stringify(weiter)} → ${expected}`);
    }
    // The raw request of the report: weiter in the query, then the form carries it.
    const browser = new Browser(app);
    const form = await browser.get('/anmelden?weiter=/%09/evil.example/');
    t.notMatch(form.body, /evil\.example/, 'the login form does not carry the foreign target');
  });

  // Finding 8: the dead-link page's form action comes from a token of the right shape only.
  t.test('finding 8: the dead-link page never builds a form action from the raw path', async (t) => {
    const visitor = new Browser(app);
    const page = await visitor.get('/passwort-link/..%2F..%2Fabmelden%3F');
    t.equal(page.status, 410);
    t.notMatch(page.body, /action="[^"]*\.\./, 'no form action with ".." in it');
    t.notMatch(page.body, /abmelden\?/, 'the path is not echoed into a form action');
    const shaped = 'A'.repeat(43);
    const dead = await visitor.get(`/passwort-link/${shaped}`);
    t.match(dead.body, new RegExp(`action="/passwort-link/${shaped}/neu"`), 'a well-formed dead token still gets its "Neuen Link anfordern" form');
  });

  t.test('finding 9: input that used to cause a 500 gets a German 4xx page and no stack trace', async (t) => {
    const before = stackTraces(logs).length;
    const operator = await signIn(app, otto);
    const staff = await signIn(app, rita);
    for (const path of ['/mandanten?q=%00', '/anwender?q=%00', '/mandanten?q=a%00b', '/reseller?q=%00', '/protokoll?q=%00']) {
      const browser = path.startsWith('/reseller') || path.startsWith('/protokoll') ? operator : staff;
      const page = await browser.get(path);
      t.ok(page.status < 500, `${path}: ${page.status}, not a 500`);
      t.match(String(page.headers['content-type']), /^text\/html/, `${path}: a page`);
    }

    await staff.get('/import');
    const post = async (body: Buffer | string, type: string, cookie = staff.cookieHeader()) =>
      pageOf(await app.inject({ method: 'POST', url: '/import', payload: body, headers: { 'content-type': type, cookie, origin: BASE_URL, host } }));

    const rows = [row({ ...mandant('K-1', 'Müller Bau GmbH'), vorname: 'Jörg', nachname: 'Müller', email: 'joerg@mueller.example' })];
    const nul = multipart(staff.csrfToken!, 'kunden\u0000.csv', csv(rows));
    const nulAnswer = await post(nul.body, nul.type);
    t.ok(nulAnswer.status === 303 || (nulAnswer.status >= 400 && nulAnswer.status < 500), `NUL in the file name: ${nulAnswer.status}`);
    const runs = await db.selectFrom('import_runs').select('file_name').execute();
    t.notOk(runs.some((r) => r.file_name.includes('\u0000')), 'no NUL stored in a file name');

    await staff.get('/import');
    const noBoundary = multipart(staff.csrfToken!, 'kunden.csv', Buffer.from('a;b\n'));
    isGermanPage(t, await post(noBoundary.body, 'multipart/form-data'), 400, 'multipart without boundary');

    await staff.get('/import');
    const whole = multipart(staff.csrfToken!, 'kunden.csv', Buffer.from('Kundennummer;Firma\nK-1;Müller\n'.repeat(50)));
    const truncated = whole.body.subarray(0, Math.floor(whole.body.length * 0.6));
    isGermanPage(t, await post(truncated, whole.type), 400, 'truncated multipart');

    // Without a login the body is never parsed: the login page, as for any page behind it.
    for (const [label, body, type] of [
      ['no boundary', noBoundary.body, 'multipart/form-data'],
      ['truncated', truncated, whole.type],
    ] as const) {
      const answer = await post(body, type, '');
      t.equal(answer.status, 303, `unauthenticated, ${label}: redirected`);
      t.equal(answer.location, '/anmelden', `unauthenticated, ${label}: to the login page`);
    }
    t.same(stackTraces(logs).slice(before), [], 'no stack trace and no error line in the log');
  });

  t.test("finding 11: a CSRF token works only with the session it was shown in", async (t) => {
    const victim = await signIn(app, otto);
    await victim.get('/konto');
    const stillSignedIn = async () => (await victim.get('/konto')).status === 200;

    // The attacker's own CSRF cookie and token, once anonymous and once from their own session.
    const anonymous = new Browser(app);
    await anonymous.get('/anmelden');
    const attacker = await signIn(app, rita);
    await attacker.get('/konto');
    for (const [label, source] of [['anonymous', anonymous], ['own session', attacker]] as const) {
      const cookie = `sid=${victim.cookies.get('sid')}; csrf=${source.cookies.get('csrf')}`;
      const answer = await app.inject({
        method: 'POST',
        url: '/abmelden',
        headers: { host, origin: BASE_URL, cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: source.csrfToken! }).toString(),
      });
      t.equal(answer.statusCode, 403, `${label}: refused`);
      t.ok(visibleText(answer.body).includes(text.pages.csrfTitle), `${label}: "Formular abgelaufen"`);
      t.ok(await stillSignedIn(), `${label}: the victim is still signed in`);
    }
    // The control: the victim's own token from the victim's page is accepted.
    await victim.get('/konto');
    t.equal((await victim.post('/abmelden')).status, 303, "the victim's own form still works");
  });

  t.test('finding 12: the 404 for broken percent-encoding has the security headers', async (t) => {
    const page = pageOf(await app.inject({ method: 'GET', url: '/mandanten/%E0%A4%A', headers: { host } }));
    isGermanPage(t, page, 404, 'broken percent-encoding');
    t.match(String(page.headers['content-security-policy']), /script-src 'none'/, 'CSP');
    t.equal(page.headers['x-content-type-options'], 'nosniff');
    t.equal(page.headers['x-frame-options'], 'SAMEORIGIN');
    t.ok(page.headers['referrer-policy'], 'a referrer policy');
  });

  t.test('finding 12: changing one’s own password gives the session a new id', async (t) => {
    const anna = await createOperator(db, { firstName: 'Anna', lastName: 'Alt', email: 'anna@agileas.example' });
    const browser = await signIn(app, anna);
    await browser.get('/konto');
    const oldSid = browser.cookies.get('sid')!;
    const newPassword = 'Leuchtturm bei Nebel und Regen 42';
    const answer = await browser.post('/konto/passwort', { currentPassword: anna.password!, password: newPassword, passwordRepeat: newPassword });
    t.equal(answer.status, 303, 'changed');
    const newSid = browser.cookies.get('sid')!;
    t.not(newSid, oldSid, 'a new session cookie');
    t.equal((await browser.get('/konto')).status, 200, 'the new session works');
    const old = await app.inject({ url: '/konto', headers: { host, cookie: `sid=${oldSid}` } });
    t.equal(old.statusCode, 303, 'the old session id is gone');
  });
});

t.test('finding 12: an https instance reached without X-Forwarded-Proto says why no one can sign in', async (t) => {
  const { app, db, logs } = await startTestApp(t, { BASE_URL: 'https://portal.test', TRUST_PROXY: '127.0.0.1' }, { startWorker: false });
  const otto = await createOperator(db);
  const browser = new Browser(app, { origin: 'https://portal.test' });
  await browser.get('/anmelden');
  const answer = await browser.post('/anmelden', { login: otto.login, password: otto.password! });
  t.not(answer.status, 303, 'no silent redirect back to the login page');
  t.ok(answer.status >= 400 && answer.status < 500, `a refusal (${answer.status})`);
  t.ok(visibleText(answer.body).includes(text.login.insecureConnection), 'the page says the connection is not https');
  t.notOk(String(answer.headers['set-cookie'] ?? '').includes('sid='), 'no session cookie');
  t.ok(logs.some((line) => line.includes('X-Forwarded-Proto')), 'the log names X-Forwarded-Proto');
  // The control: with the header it works.
  const proxied = new Browser(app, { 'x-forwarded-proto': 'https', origin: 'https://portal.test' });
  await proxied.get('/anmelden');
  t.equal((await proxied.post('/anmelden', { login: otto.login, password: otto.password! })).status, 303, 'signed in via the proxy');
});
