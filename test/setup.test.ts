import t from 'tap';
import { MINUTE } from '../src/clock.ts';
import type { Db } from '../src/db/database.ts';
import { hashToken } from '../src/tokens.ts';
import { createSetupToken } from '../src/setup/setup.ts';
import { startTestApp } from './helpers/app.ts';
import { Browser, visibleText } from './helpers/browser.ts';
import { createOperator } from './helpers/fixtures.ts';

// The one-time setup link that creates the first operator (issue 2, point 11): valid one hour,
// once, only the newest, only while no operator exists; and its form refuses bad input calmly.

const good = { firstName: 'Olga', lastName: 'Betrieb', email: 'olga.betrieb@okit.example', password: 'Mondlicht über der Förde 2026', passwordRepeat: 'Mondlicht über der Förde 2026' };
const invalidTitle = 'Dieser Einrichtungslink funktioniert nicht mehr';

async function accountCount(db: Db): Promise<number> {
  return (await db.selectFrom('accounts').select('id').execute()).length;
}

/**
 * Opens the form (for its CSRF token) and posts it. A dead link shows no form, so the token
 * comes from the login page first: the refusal must come from the link, not from CSRF.
 */
async function submitSetup(browser: Browser, token: string, form: Record<string, string>) {
  await browser.get('/anmelden');
  await browser.get(`/einrichtung/${token}`);
  return browser.post(`/einrichtung/${token}`, form);
}

function errorAt(body: string, field: string): string | null {
  const match = new RegExp(`<p class="error" id="f-${field}-error">([^<]*)</p>`).exec(body);
  return match ? visibleText(match[1]!) : null;
}

function valueOf(body: string, field: string): string | null {
  const match = new RegExp(`<input id="f-${field}" name="${field}"[^>]* value="([^"]*)"`).exec(body);
  return match ? visibleText(match[1]!) : null;
}

t.test('a setup link is valid for one hour: after 61 minutes it shows the calm invalid page', async (t) => {
  const { app, db, clock } = await startTestApp(t);
  const token = await createSetupToken(db, clock.now());
  const browser = new Browser(app);
  const fresh = await browser.get(`/einrichtung/${token}`);
  t.equal(fresh.status, 200, 'the form opens while the link is fresh');
  t.match(visibleText(fresh.body), 'Ersten Betriebs-Zugang einrichten');

  clock.advance(61 * MINUTE);
  const late = await browser.get(`/einrichtung/${token}`);
  t.equal(late.status, 410);
  t.match(visibleText(late.body), invalidTitle);
  const posted = await browser.post(`/einrichtung/${token}`, good);
  t.equal(posted.status, 410, 'posting the expired link is refused too');
  t.equal(await accountCount(db), 0, 'no account was created');
});

t.test('a setup link works only once, even if no operator exists any more', async (t) => {
  const { app, db, clock } = await startTestApp(t);
  const token = await createSetupToken(db, clock.now());
  const created = await submitSetup(new Browser(app), token, good);
  t.equal(created.status, 303, 'the first use creates the operator');
  t.equal(created.location, '/anmelden');
  const operators = await db.selectFrom('accounts').select(['login', 'role', 'password_hash']).execute();
  t.equal(operators.length, 1);
  t.equal(operators[0]!.role, 'operator');
  t.equal(operators[0]!.login, 'olga.betrieb');
  t.ok(operators[0]!.password_hash?.startsWith('$argon2id$'), 'with the chosen password, hashed');
  const used = await db.selectFrom('setup_tokens').select('used_at').where('token_hash', '=', hashToken(token)).executeTakeFirstOrThrow();
  t.ok(used.used_at, 'the token is marked used');

  // Without an operator the only thing that can stop the link is its single use.
  await db.deleteFrom('accounts').execute();
  const second = await submitSetup(new Browser(app), token, { ...good, firstName: 'Mallory' });
  t.equal(second.status, 410, 'the second use is refused');
  t.equal(await accountCount(db), 0, 'and created nothing');
  const freshToken = await createSetupToken(db, clock.now());
  t.equal((await submitSetup(new Browser(app), freshToken, good)).status, 303, 'while a new setup token still works');
});

t.test('a new setup token invalidates the older one', async (t) => {
  const { app, db, clock } = await startTestApp(t);
  const older = await createSetupToken(db, clock.now());
  const newer = await createSetupToken(db, clock.now());
  const browser = new Browser(app);
  t.equal((await browser.get(`/einrichtung/${older}`)).status, 410, 'the older link is dead');
  t.equal((await browser.get(`/einrichtung/${newer}`)).status, 200, 'the newer one works');
  t.equal((await submitSetup(new Browser(app), older, good)).status, 410, 'posting the older one is refused');
  t.equal(await accountCount(db), 0);
});

t.test('a setup link is refused once an operator exists', async (t) => {
  const { app, db, clock } = await startTestApp(t);
  await createOperator(db);
  const token = await createSetupToken(db, clock.now());
  const page = await new Browser(app).get(`/einrichtung/${token}`);
  t.equal(page.status, 410);
  t.match(visibleText(page.body), invalidTitle);
  t.equal((await submitSetup(new Browser(app), token, good)).status, 410, 'posting is refused');
  t.equal(await accountCount(db), 1, 'still only the existing operator');
});

t.test('the setup form refuses bad input with a German message at the field, keeps the other input and writes nothing', async (t) => {
  const { app, db, clock } = await startTestApp(t);
  const token = await createSetupToken(db, clock.now());
  const cases: { name: string; form: Record<string, string>; field: string; message: string | RegExp; kept: Record<string, string> }[] = [
    { name: 'missing fields', form: { ...good, firstName: '', email: '' }, field: 'firstName', message: 'Bitte gib deinen Vornamen an.', kept: { lastName: 'Betrieb' } },
    { name: 'a 101-character name', form: { ...good, lastName: 'B'.repeat(101) }, field: 'lastName', message: 'Bitte höchstens 100 Zeichen eingeben.', kept: { firstName: 'Olga', email: good.email } },
    { name: 'control characters', form: { ...good, firstName: 'Ol\u0007ga' }, field: 'firstName', message: /Steuerzeichen/, kept: { lastName: 'Betrieb', email: good.email } },
    { name: 'HTML in the name', form: { ...good, firstName: '<script>alert(1)</script>' }, field: 'firstName', message: /Bitte nur Buchstaben/, kept: { lastName: 'Betrieb', firstName: '<script>alert(1)</script>' } },
    { name: 'SQL-looking input', form: { ...good, lastName: "Robert'); DROP TABLE accounts;--" }, field: 'lastName', message: /Bitte nur Buchstaben/, kept: { firstName: 'Olga', lastName: "Robert'); DROP TABLE accounts;--" } },
    { name: 'a bad e-mail address', form: { ...good, email: "olga@'; DROP TABLE accounts;--" }, field: 'email', message: /gültige E-Mail-Adresse/, kept: { firstName: 'Olga', lastName: 'Betrieb' } },
    { name: 'a short password', form: { ...good, password: 'kurz', passwordRepeat: 'kurz' }, field: 'password', message: /zu kurz/, kept: { firstName: 'Olga', email: good.email } },
    { name: 'passwords that differ', form: { ...good, passwordRepeat: `${good.password}!` }, field: 'passwordRepeat', message: /stimmen nicht überein/, kept: { firstName: 'Olga', lastName: 'Betrieb' } },
  ];
  for (const c of cases) {
    const page = await submitSetup(new Browser(app), token, c.form);
    t.equal(page.status, 422, `${c.name}: the form again`);
    t.match(errorAt(page.body, c.field) ?? '', c.message, `${c.name}: the German message at ${c.field}`);
    for (const [field, value] of Object.entries(c.kept)) t.equal(valueOf(page.body, field), value, `${c.name}: ${field} is kept`);
    t.notMatch(page.body, /<script>alert/, `${c.name}: nothing is rendered as markup`);
  }
  const missing = await submitSetup(new Browser(app), token, { firstName: '', lastName: '', email: '', password: '', passwordRepeat: '' });
  t.equal(missing.status, 422, 'an empty form');
  for (const field of ['firstName', 'lastName', 'email', 'password']) t.ok(errorAt(missing.body, field), `an empty form: a message at ${field}`);

  t.equal(await accountCount(db), 0, 'no account was written (and the accounts table is still there)');
  const row = await db.selectFrom('setup_tokens').select('used_at').where('token_hash', '=', hashToken(token)).executeTakeFirstOrThrow();
  t.equal(row.used_at, null, 'the setup link is still unused');
  t.equal((await submitSetup(new Browser(app), token, good)).status, 303, 'and works with good input afterwards');
});

t.test('a non-Latin name is accepted by the setup form; the login falls back to a generic one', async (t) => {
  const { app, db, clock } = await startTestApp(t);
  const token = await createSetupToken(db, clock.now());
  const page = await submitSetup(new Browser(app), token, { ...good, firstName: '伟', lastName: '张' });
  t.equal(page.status, 303, 'accepted');
  const account = await db.selectFrom('accounts').select(['first_name', 'last_name', 'login']).executeTakeFirstOrThrow();
  t.equal(account.first_name, '伟', 'the name is stored as typed');
  t.equal(account.last_name, '张');
  t.equal(account.login, 'anwender', 'the login falls back, as loginBaseFor promises for names without Latin letters');
  const login = await new Browser(app).follow(page);
  t.equal(login.status, 200);
});
