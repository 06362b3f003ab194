import t from 'tap';
import { startPathFor } from '../../src/auth/login.ts';
import { text } from '../../src/i18n/de.ts';
import { startTestApp } from '../helpers/app.ts';
import { Browser, visibleText } from '../helpers/browser.ts';
import { createOperator, createReseller, createResellerStaff, createTenant, createUser, signIn } from '../helpers/fixtures.ts';

/** The message shown at one form field (views/partials/field.eta). */
function fieldError(html: string, field: string): string | null {
  const match = new RegExp(`<p class="error" id="f-${field}-error">([^<]*)</p>`).exec(html);
  return match ? match[1]! : null;
}

t.test('login', async (t) => {
  const { app, db } = await startTestApp(t);
  const reseller = await createReseller(db);
  const tenant = await createTenant(db, reseller.id);
  const otto = await createOperator(db);
  const rita = await createResellerStaff(db, reseller.id);
  const joerg = await createUser(db, tenant);

  t.test('each role lands on its start page', async (t) => {
    t.equal(startPathFor('user'), '/meine-anwendungen', 'an Anwender starts at Meine Anwendungen');
    t.equal(new Set([startPathFor('operator'), startPathFor('reseller'), startPathFor('user')]).size, 3, 'every role has a start page of its own');
    for (const person of [otto, rita, joerg]) {
      const browser = new Browser(app);
      await browser.get('/anmelden');
      const answer = await browser.post('/anmelden', { login: person.login, password: person.password! });
      t.equal(answer.status, 303, `${person.role}: redirected after login`);
      t.equal(answer.location, startPathFor(person.role), `${person.role}: to ${startPathFor(person.role)}`);
      const account = await browser.get('/konto');
      t.equal(account.status, 200, `${person.role}: signed in`);
      t.ok(visibleText(account.body).includes(text.nav.loggedInAs(`${person.firstName} ${person.lastName}`, person.login)), `${person.role}: the page says who is logged in`);
    }
  });

  t.test('the login name is matched without regard to case or surrounding spaces', async (t) => {
    const browser = new Browser(app);
    await browser.get('/anmelden');
    const answer = await browser.post('/anmelden', { login: `  ${otto.login.toUpperCase()} `, password: otto.password! });
    t.equal(answer.status, 303);
    t.equal(answer.location, startPathFor('operator'));
  });

  // Four refusals, each its own test, then the proof that they cannot be told apart.
  const disabled = await createResellerStaff(db, reseller.id, { firstName: 'Dora', lastName: 'Deaktiviert', email: 'dora@nord-it.example' });
  await db.updateTable('accounts').set({ status: 'disabled' }).where('id', '=', disabled.id).execute();
  const invited = await createUser(db, tenant, { firstName: 'Ines', lastName: 'Eingeladen', email: 'ines@mueller-bau.example', password: null });
  const refusals = [
    { name: 'a wrong password', login: otto.login, password: 'Das ist nicht das Passwort' },
    { name: 'an unknown login', login: 'niemand.bekannt', password: 'Das ist nicht das Passwort' },
    { name: 'a disabled account, even with its correct password', login: disabled.login, password: disabled.password! },
    { name: 'an account without a password yet', login: invited.login, password: 'Irgendein langes Passwort' },
  ];
  const refusalPages: string[] = [];
  for (const refusal of refusals) {
    t.test(`${refusal.name} is refused with 401 and the one generic German message`, async (t) => {
      const before = await db.selectFrom('sessions').select('id_hash').execute();
      const browser = new Browser(app);
      await browser.get('/anmelden');
      const page = await browser.post('/anmelden', { login: refusal.login, password: refusal.password });
      t.equal(page.status, 401);
      t.ok(visibleText(page.body).includes(text.login.failed), text.login.failed);
      t.equal(browser.cookies.has('sid'), false, 'no session cookie');
      t.equal((await db.selectFrom('sessions').select('id_hash').execute()).length, before.length, 'no session row');
      // Apart from the typed login, which is shown again, the pages must read exactly alike.
      refusalPages.push(visibleText(page.body).replaceAll(refusal.login, '«LOGIN»'));
    });
  }

  t.test('the four refusals cannot be told apart (no account enumeration)', async (t) => {
    t.equal(refusalPages.length, 4);
    t.equal(new Set(refusalPages).size, 1, 'the four pages are identical');
  });

  t.test('missing login and password: 422 with a message at each field', async (t) => {
    const browser = new Browser(app);
    await browser.get('/anmelden');
    const page = await browser.post('/anmelden', { login: '', password: '' });
    t.equal(page.status, 422);
    t.equal(fieldError(page.body, 'login'), text.login.missingLogin);
    t.equal(fieldError(page.body, 'password'), text.login.missingPassword);
  });

  t.test('missing password: 422 at the password field and the login kept', async (t) => {
    const browser = new Browser(app);
    await browser.get('/anmelden');
    const page = await browser.post('/anmelden', { login: otto.login, password: '' });
    t.equal(page.status, 422);
    t.equal(fieldError(page.body, 'password'), text.login.missingPassword);
    t.equal(fieldError(page.body, 'login'), null, 'no message at the login field');
    t.match(page.body, new RegExp(`name="login" type="text" value="${otto.login.replaceAll('.', '\\.')}"`), 'the login is filled in again');
    t.notMatch(page.body, /name="password"[^>]*value=/, 'the password field is never filled in');
  });

  t.test('missing login: 422 at the login field', async (t) => {
    const browser = new Browser(app);
    await browser.get('/anmelden');
    const page = await browser.post('/anmelden', { login: '   ', password: 'irgendein Passwort' });
    t.equal(page.status, 422);
    t.equal(fieldError(page.body, 'login'), text.login.missingLogin);
  });

  t.test('weiter: a local path is followed after login', async (t) => {
    const browser = new Browser(app);
    const guarded = await browser.get('/konto');
    t.equal(guarded.location, '/anmelden?weiter=%2Fkonto');
    const form = await browser.follow(guarded);
    t.match(form.body, /<input type="hidden" name="weiter" value="\/konto">/, 'the form carries the path on');
    // Jörg's own start page is /meine-anwendungen, so landing on /konto proves weiter was used.
    const answer = await browser.post('/anmelden', { login: joerg.login, password: joerg.password!, weiter: '/konto' });
    t.equal(answer.status, 303);
    t.equal(answer.location, '/konto');
  });

  for (const target of ['https://evil.example/konto', '//evil.example/konto', '/\\evil.example/konto', 'javascript:alert(1)']) {
    t.test(`weiter: "${target}" is not a local path and is ignored`, async (t) => {
      const browser = new Browser(app);
      const form = await browser.get(`/anmelden?weiter=${encodeURIComponent(target)}`);
      t.notMatch(form.body, /name="weiter"/, 'the form does not carry it');
      const answer = await browser.post('/anmelden', { login: joerg.login, password: joerg.password!, weiter: target });
      t.equal(answer.status, 303);
      t.equal(answer.location, '/meine-anwendungen', 'the start page instead');
      t.notMatch(String(answer.headers.location), /evil/);
    });
  }

  t.test('a signed-in person opening the login page goes to the start page', async (t) => {
    const browser = await signIn(app, rita);
    const page = await browser.get('/anmelden');
    t.equal(page.status, 303);
    t.equal(page.location, startPathFor('reseller'));
  });
});
