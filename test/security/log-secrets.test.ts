import t from 'tap';
import { issuePasswordLink } from '../../src/passwords/links.ts';
import { startTestApp } from '../helpers/app.ts';
import { Browser } from '../helpers/browser.ts';
import { createReseller, createResellerStaff } from '../helpers/fixtures.ts';
import { linkFromMail } from '../helpers/smtp-peer.ts';

// A full flow with every kind of secret, then a grep of everything the app logged: no password,
// no link token, no session cookie and no CSRF token or cookie may be in it, in any spelling.

t.test('no password, link token, session cookie or CSRF value reaches the log', async (t) => {
  // The most talkative level: what is safe at trace is safe at info.
  const { app, db, smtp, clock, logs } = await startTestApp(t, { LOG_LEVEL: 'trace' });
  app.get('/test/kaputt', { config: { public: true } }, async () => {
    throw new Error('kaputt');
  });
  const reseller = await createReseller(db);
  const rita = await createResellerStaff(db, reseller.id, { password: null });

  const secrets = new Map<string, string>();
  const remember = (label: string, value: string | null | undefined) => {
    if (value) secrets.set(value, label);
  };
  const harvest = (label: string, browser: Browser) => {
    for (const [name, value] of browser.cookies) remember(`${label}: cookie ${name}`, value);
    remember(`${label}: CSRF token`, browser.csrfToken);
  };

  const passwords = {
    first: 'Wolken über dem Deich am Abend',
    tooShort: 'Kurz#Geheim7',
    wrong: 'Falsch geraten am Dienstag 99',
    typedIntoLogin: 'Versehen im Loginfeld 2718',
    changed: 'Möwen kreischen laut am Hafen 31',
    second: 'Ebbe und Flut im Wattenmeer 2',
  };
  for (const [label, value] of Object.entries(passwords)) remember(`password ${label}`, value);

  // An invitation link, issued the way the screens do, and used.
  await db.transaction().execute((trx) =>
    issuePasswordLink(trx, app.outbox, { invitationHours: 72, resetHours: 24 }, { accountId: rita.id, actorId: null, at: clock.now() }),
  );
  const invitation = linkFromMail(await smtp.waitForMail((m) => m.to.includes(rita.email)));
  remember('invitation token', invitation.token);
  const linkBrowser = new Browser(app);
  t.equal((await linkBrowser.get(invitation.path)).status, 200, 'the link page opens');
  t.equal((await linkBrowser.post(invitation.path, { password: 'kurz', passwordRepeat: 'kurz' })).status, 422);
  t.equal((await linkBrowser.post(invitation.path, { password: passwords.first, passwordRepeat: passwords.first })).status, 303, 'password set');
  harvest('link browser', linkBrowser);
  t.equal((await linkBrowser.get(invitation.path)).status, 410, 'the used link is dead');

  // Logins: failed ones (one with the password typed into the login field), then a good one.
  const browser = new Browser(app);
  await browser.get('/anmelden');
  harvest('browser', browser);
  t.equal((await browser.post('/anmelden', { login: rita.login, password: passwords.wrong })).status, 401);
  t.equal((await browser.post('/anmelden', { login: passwords.typedIntoLogin, password: passwords.wrong })).status, 401);
  t.equal((await browser.post('/anmelden', { login: rita.login, password: passwords.first })).status, 303, 'signed in');
  harvest('browser after login', browser);

  // Mein Konto: a refused and a successful password change.
  await browser.get('/konto');
  harvest('browser on Mein Konto', browser);
  t.equal((await browser.post('/konto/passwort', { currentPassword: passwords.wrong, password: passwords.tooShort, passwordRepeat: passwords.tooShort })).status, 422);
  t.equal((await browser.post('/konto/passwort', { currentPassword: passwords.first, password: passwords.changed, passwordRepeat: passwords.changed })).status, 303);
  harvest('browser after the change', browser);

  // A replacement link requested by the person, sent by the worker, and used.
  clock.advance(6 * 60_000); // past the self-service cooldown after the invitation
  const forgot = new Browser(app);
  await forgot.get('/passwort-vergessen');
  t.equal((await forgot.post('/passwort-vergessen', { identifier: rita.email })).status, 303);
  harvest('forgot browser', forgot);
  const replacement = linkFromMail(await smtp.waitForMail((m) => m.to.includes(rita.email) && m.text.includes('/passwort-link/') && !m.text.includes(invitation.token)));
  remember('replacement token', replacement.token);
  const replacementBrowser = new Browser(app);
  await replacementBrowser.get(replacement.path);
  t.equal((await replacementBrowser.post(replacement.path, { password: passwords.second, passwordRepeat: passwords.second })).status, 303);
  harvest('replacement browser', replacementBrowser);

  // A failure with a secret in the query string, then logout.
  t.equal((await browser.get(`/test/kaputt?token=${replacement.token}`)).status, 500);
  const again = new Browser(app);
  await again.get('/anmelden');
  await again.post('/anmelden', { login: rita.login, password: passwords.second });
  harvest('second login', again);
  await again.get('/konto');
  t.equal((await again.post('/abmelden')).status, 303, 'signed out');

  // Every mail delivered (invitation, replacement, three confirmations: the welcome after the
  // first password, two changes) before the log is read, so that the worker's lines are in it
  // and no delivery is still running when the app closes.
  const confirmations = ['Willkommen bei AgileAS: dein Passwort ist gespeichert', 'Dein Passwort wurde geändert'];
  await smtp.waitForMail(() => smtp.received.filter((m) => confirmations.includes(m.subject)).length === 3);
  const delivered = () => logs.filter((line) => line.includes('"msg":"Mail versendet"')).length;
  for (let i = 0; i < 100 && delivered() < 5; i++) await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(delivered(), 5, 'the worker logged five deliveries');
  const log = logs.join('\n');
  t.ok(log.includes('/passwort-link/[verborgen]'), 'the link requests were logged, with the token cut out');
  t.ok(log.includes('/anmelden'), 'the login requests were logged');
  t.ok(logs.some((line) => line.includes('"level":50')), 'the 500 was logged');

  t.ok(secrets.size >= 12, `${secrets.size} secrets to look for`);
  for (const [secret, label] of secrets) {
    const spellings = new Set([secret, encodeURIComponent(secret), new URLSearchParams({ x: secret }).toString().slice(2), JSON.stringify(secret).slice(1, -1)]);
    if (secret.includes('.')) spellings.add(decodeURIComponent(secret).slice(0, decodeURIComponent(secret).lastIndexOf('.'))); // an unsigned cookie value
    const leaked = [...spellings].filter((spelling) => spelling.length >= 8 && log.includes(spelling));
    t.same(leaked, [], `${label} is not in the log`);
  }
});
