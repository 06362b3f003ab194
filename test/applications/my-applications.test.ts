import t, { type Test } from 'tap';
import { startTestApp } from '../helpers/app.ts';
import { Browser, visibleText } from '../helpers/browser.ts';
import { createReseller, createTenant, createUser, signIn } from '../helpers/fixtures.ts';
import { fieldError, insertApplication, insertBooking, insertRight, unescapeHtml } from './helpers.ts';

// "Meine Anwendungen": the applications the signed-in Anwender has a right in and whose booking
// still exists, with role and launch link; and the own password change, which returns there.

async function setup(t: Test) {
  const env = await startTestApp(t);
  const { db } = env;
  const reseller = await createReseller(db);
  const tenant = await createTenant(db, reseller.id, 'Müller Bau GmbH', 'K-1001');
  const joerg = await createUser(db, tenant, { firstName: 'Jörg', lastName: 'Müller', email: 'joerg@example.com' });
  return { ...env, reseller, tenant, joerg };
}

/** The rows of the applications table: [name, description, role, link text, link target]. */
function applicationRows(html: string): string[][] {
  const body = /<table class="app-list[^"]*">[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html)?.[1] ?? '';
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) => {
    const cells = [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => cell[1]!);
    const link = /<a href="([^"]+)"[^>]*>([^<]*)<\/a>/.exec(cells[3] ?? '');
    return [...cells.slice(0, 3).map(unescapeHtml), unescapeHtml(link?.[2] ?? ''), unescapeHtml(link?.[1] ?? '')];
  });
}

t.test('Meine Anwendungen lists exactly the applications with a right and a booking, with role and launch link', async (t) => {
  const { app, db, reseller, tenant, joerg } = await setup(t);
  const buchhaltung = await insertApplication(db, 'buchhaltung', 'Buchhaltung', ['nutzer', 'admin'], 'https://buchhaltung.agileas.example/start?mandant=k-1001&x=1');
  const crm = await insertApplication(db, 'crm', 'CRM');
  const lohn = await insertApplication(db, 'lohn', 'Lohn');
  const zeit = await insertApplication(db, 'zeit', 'Zeiterfassung');
  // Buchhaltung: booked, right → shown. CRM: booked, no right → not shown.
  // Lohn: right, but the booking is gone (written directly, as a stale row) → not shown.
  // Zeiterfassung: right and booking, but for another Mandant's Anwender → not shown.
  await insertBooking(db, tenant.id, buchhaltung.id);
  await insertBooking(db, tenant.id, crm.id);
  await insertRight(db, joerg.id, buchhaltung.id, 'admin');
  await insertRight(db, joerg.id, lohn.id, 'nutzer');
  const other = await createTenant(db, reseller.id, 'Schulz Elektro GmbH', 'K-2002');
  await insertBooking(db, other.id, zeit.id);
  await insertRight(db, (await createUser(db, other, { firstName: 'Sven', lastName: 'Schulz', email: 'sven@example.com' })).id, zeit.id, 'nutzer');

  const browser = await signIn(app, joerg);
  const page = await browser.get('/meine-anwendungen');
  t.equal(page.status, 200);
  t.same(applicationRows(page.body), [
    ['Buchhaltung', 'Buchhaltung für kleine Firmen', 'admin', 'Buchhaltung öffnen', 'https://buchhaltung.agileas.example/start?mandant=k-1001&x=1'],
  ]);

  // Booking Lohn again makes the kept right count again.
  await insertBooking(db, tenant.id, lohn.id);
  t.same(
    applicationRows((await browser.get('/meine-anwendungen')).body).map((row) => [row[0], row[2], row[4]]),
    [
      ['Buchhaltung', 'admin', 'https://buchhaltung.agileas.example/start?mandant=k-1001&x=1'],
      ['Lohn', 'nutzer', lohn.launchUrl],
    ],
  );
});

t.test('without any right the page says so', async (t) => {
  const { app, joerg } = await setup(t);
  const browser = await signIn(app, joerg);
  const page = await browser.get('/meine-anwendungen');
  t.match(visibleText(page.body), 'Für dich sind noch keine Anwendungen freigeschaltet.');
  t.same(applicationRows(page.body), []);
});

t.test('the password change from Meine Anwendungen returns to it, and the new password works', async (t) => {
  const { app, joerg } = await setup(t);
  const browser = await signIn(app, joerg);
  let page = await browser.get('/meine-anwendungen');
  t.match(visibleText(page.body), 'Passwort ändern');
  t.match(page.body, '<input type="hidden" name="zurueck" value="/meine-anwendungen">');
  page = await browser.post('/konto/passwort', {
    zurueck: '/meine-anwendungen',
    currentPassword: joerg.password!,
    password: 'Förde Wellen rauschen laut',
    passwordRepeat: 'Förde Wellen rauschen laut',
  });
  t.equal(page.status, 303);
  t.equal(page.location, '/meine-anwendungen');
  page = await browser.follow(page);
  t.match(visibleText(page.body), 'Dein Passwort ist geändert.');
  t.match(visibleText(page.body), 'Meine Anwendungen');

  const fresh = new Browser(app);
  await fresh.get('/anmelden');
  page = await fresh.post('/anmelden', { login: joerg.login, password: 'Förde Wellen rauschen laut' });
  t.equal(page.status, 303, 'the new password signs in');
});

t.test('a refused password change from Meine Anwendungen stays there with the messages at the fields', async (t) => {
  const { app, db, tenant, joerg } = await setup(t);
  const crm = await insertApplication(db, 'crm', 'CRM');
  await insertBooking(db, tenant.id, crm.id);
  await insertRight(db, joerg.id, crm.id, 'nutzer');
  const browser = await signIn(app, joerg);
  await browser.get('/meine-anwendungen');
  const page = await browser.post('/konto/passwort', { zurueck: '/meine-anwendungen', currentPassword: 'falsch falsch falsch', password: 'kurz', passwordRepeat: 'kurz' });
  t.equal(page.status, 422);
  t.equal(fieldError(page.body, 'currentPassword'), 'Das aktuelle Passwort stimmt nicht.');
  t.match(fieldError(page.body, 'password') ?? '', 'Das Passwort ist zu kurz');
  t.match(page.body, '<h1>Meine Anwendungen</h1>');
  t.same(applicationRows(page.body).map((row) => row[0]), ['CRM'], 'the applications are still listed');
  t.match(page.body, 'name="zurueck" value="/meine-anwendungen"');
});

t.test('the password change from Mein Konto, or with any other zurueck value, returns to Mein Konto', async (t) => {
  const { app, joerg } = await setup(t);
  const browser = await signIn(app, joerg);
  await browser.get('/konto');
  let page = await browser.post('/konto/passwort', { currentPassword: joerg.password!, password: 'Förde Wellen rauschen laut', passwordRepeat: 'Förde Wellen rauschen laut' });
  t.equal(page.location, '/konto');
  // The change gives the session a new id, and form tokens are bound to it: the next form is the
  // one on the page the browser lands on (as a browser does).
  await browser.follow(page);
  page = await browser.post('/konto/passwort', {
    zurueck: 'https://evil.example/',
    currentPassword: 'Förde Wellen rauschen laut',
    password: 'Möwen über dem Hafenbecken',
    passwordRepeat: 'Möwen über dem Hafenbecken',
  });
  t.equal(page.location, '/konto');
  await browser.follow(page);
  page = await browser.post('/konto/passwort', { zurueck: '/meine-anwendungen', currentPassword: 'falsch', password: '', passwordRepeat: '' });
  t.equal(page.status, 422);
  t.match(page.body, '<h1>Meine Anwendungen</h1>');
  page = await browser.post('/konto/passwort', { zurueck: '/konto', currentPassword: 'falsch', password: '', passwordRepeat: '' });
  t.equal(page.status, 422);
  t.match(page.body, '<h1>Mein Konto</h1>');
});
