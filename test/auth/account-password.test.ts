import t from 'tap';
import { text } from '../../src/i18n/de.ts';
import { startTestApp } from '../helpers/app.ts';
import { Browser, visibleText } from '../helpers/browser.ts';
import { createOperator, signIn } from '../helpers/fixtures.ts';

// Mein Konto → Passwort ändern (/konto/passwort).

function fieldError(html: string, field: string): string | null {
  const match = new RegExp(`<p class="error" id="f-${field}-error">([^<]*)</p>`).exec(html);
  return match ? match[1]! : null;
}

const newPassword = 'Leuchtturm bei Nebel und Regen 42';

t.test('changing the own password', async (t) => {
  const { app, db, smtp } = await startTestApp(t);
  const otto = await createOperator(db);
  const storedHash = async () => (await db.selectFrom('accounts').select('password_hash').where('id', '=', otto.id).executeTakeFirstOrThrow()).password_hash;
  const hashBefore = await storedHash();
  const browser = await signIn(app, otto);

  t.test('a wrong current password: 422 with the message at that field, nothing changed', async (t) => {
    await browser.get('/konto');
    const page = await browser.post('/konto/passwort', { currentPassword: 'Das ist es nicht, oder?', password: newPassword, passwordRepeat: newPassword });
    t.equal(page.status, 422);
    t.equal(fieldError(page.body, 'currentPassword'), text.password.currentWrong);
    t.notMatch(page.body, /type="password"[^>]*value=/, 'no password is sent back into the page');
    t.equal(await storedHash(), hashBefore, 'the password is unchanged');
  });

  t.test('a missing current password: 422 at that field', async (t) => {
    await browser.get('/konto');
    const page = await browser.post('/konto/passwort', { currentPassword: '', password: newPassword, passwordRepeat: newPassword });
    t.equal(page.status, 422);
    t.equal(fieldError(page.body, 'currentPassword'), text.login.missingPassword);
    t.equal(await storedHash(), hashBefore);
  });

  t.test('a new password against the policy: 422 at the new-password field', async (t) => {
    await browser.get('/konto');
    const page = await browser.post('/konto/passwort', { currentPassword: otto.password!, password: 'zu kurz', passwordRepeat: 'zu kurz' });
    t.equal(page.status, 422);
    t.equal(fieldError(page.body, 'password'), text.password.tooShort(12, 7));
    t.equal(await storedHash(), hashBefore);
  });

  t.test('a repeat that differs: 422 at the repeat field', async (t) => {
    await browser.get('/konto');
    const page = await browser.post('/konto/passwort', { currentPassword: otto.password!, password: newPassword, passwordRepeat: `${newPassword}!` });
    t.equal(page.status, 422);
    t.equal(fieldError(page.body, 'passwordRepeat'), text.password.mismatch);
    t.equal(await storedHash(), hashBefore);
  });

  t.test('success: other sessions end, this one stays, the old password is refused, and the mail arrives', async (t) => {
    const elsewhere = await signIn(app, otto, new Browser(app));
    t.equal((await elsewhere.get('/konto')).status, 200, 'a second browser is signed in');

    await browser.get('/konto');
    const answer = await browser.post('/konto/passwort', { currentPassword: otto.password!, password: newPassword, passwordRepeat: newPassword });
    t.equal(answer.status, 303);
    t.equal(answer.location, '/konto');
    const page = await browser.follow(answer);
    t.equal(page.status, 200, 'the current session is kept');
    t.ok(visibleText(page.body).includes(text.account.passwordChanged), 'with the German confirmation');

    const other = await elsewhere.get('/konto');
    t.equal(other.status, 303, 'the second browser is signed out');
    t.equal(other.location, '/anmelden?weiter=%2Fkonto');
    const rows = await db.selectFrom('sessions').select('id_hash').where('account_id', '=', otto.id).execute();
    t.equal(rows.length, 1, 'one session of the account is left: this one');

    const withOld = new Browser(app);
    await withOld.get('/anmelden');
    const refused = await withOld.post('/anmelden', { login: otto.login, password: otto.password! });
    t.equal(refused.status, 401, 'the old password is refused');
    const withNew = new Browser(app);
    await withNew.get('/anmelden');
    t.equal((await withNew.post('/anmelden', { login: otto.login, password: newPassword })).status, 303, 'the new one signs in');

    const mail = await smtp.waitForMail((m) => m.to.includes(otto.email) && m.subject === 'Dein Passwort wurde geändert');
    t.ok(mail.text.includes(otto.login), 'the mail names the login');
    t.notOk(mail.text.includes(newPassword), 'and never the password');
  });
});
