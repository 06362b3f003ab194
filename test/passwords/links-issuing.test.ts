import { createHash } from 'node:crypto';
import t from 'tap';
import { text } from '../../src/i18n/de.ts';
import { BASE_URL, startTestApp } from '../helpers/app.ts';
import { Browser, visibleText } from '../helpers/browser.ts';
import { createReseller, createTenant, createUser } from '../helpers/fixtures.ts';
import { dumpDatabase, linkRow, passwordHashOf, postNewPassword, sendLink, tryLogin } from './link-helpers.ts';

// DESIGN 1.3 / issue 2 point 7: what issuing a link does, and what it must not do.

async function setUp(t: Parameters<typeof startTestApp>[0]) {
  const ctx = await startTestApp(t);
  const reseller = await createReseller(ctx.db);
  const tenant = await createTenant(ctx.db, reseller.id);
  return { ctx, tenant };
}

t.test('a link is a random token of at least 128 bits in a URL under BASE_URL; only its SHA-256 hash is stored, and the token is in no table, queue payload or log line', async (t) => {
  const { ctx, tenant } = await setUp(t);
  const joerg = await createUser(ctx.db, tenant, { password: null });

  const first = await sendLink(ctx, joerg);
  t.ok(first.url.startsWith(`${BASE_URL}/passwort-link/`), `the link lives under BASE_URL: ${first.url}`);
  t.equal(new URL(first.url).origin, ctx.config.baseUrl.origin, 'the link is built from BASE_URL');
  t.match(first.token, /^[A-Za-z0-9_-]+$/, 'the token is URL-safe');
  t.ok(first.token.length * 6 >= 128, `the token carries at least 128 bits (${first.token.length} base64url characters)`);

  const row = await linkRow(ctx.db, first.linkId);
  const sha256 = createHash('sha256').update(first.token, 'utf8').digest('hex');
  t.equal(row.token_hash, sha256, 'the stored value is the SHA-256 of the token');

  // A second link for the same account gets a token of its own: nothing is derived or reused.
  const second = await sendLink(ctx, joerg);
  t.not(second.token, first.token, 'every link gets a fresh random token');

  // A full flow: open the link, set the password, then look everywhere for the plaintext.
  const browser = new Browser(ctx.app);
  t.equal((await browser.get(second.path)).status, 200);
  t.equal((await browser.post(second.path, { password: 'Sonnenblumen im Garten 2026', passwordRepeat: 'Sonnenblumen im Garten 2026' })).status, 303);

  const dump = await dumpDatabase(ctx.db);
  t.ok(dump.tables['public.password_links']?.includes(sha256), 'the dump does contain the link rows (their hashes)');
  const delivery = await ctx.db.selectFrom('mail_deliveries').select('id').where('link_id', '=', first.linkId).executeTakeFirstOrThrow();
  t.ok(dump.tables['pgboss.job']?.includes(delivery.id), 'the dump does contain the queue\'s job payloads (they carry the delivery id)');
  for (const token of [first.token, second.token]) {
    t.notOk(dump.text.includes(token), 'the plaintext token is stored nowhere in the database');
    t.notOk(ctx.logs.some((line) => line.includes(token)), 'the plaintext token is in no log line');
  }
});

t.test('issuing a link changes nothing about the password: the old one still works', async (t) => {
  const { ctx, tenant } = await setUp(t);
  const joerg = await createUser(ctx.db, tenant);
  const before = await ctx.db.selectFrom('accounts').select(['password_hash', 'password_changed_at']).where('id', '=', joerg.id).executeTakeFirstOrThrow();
  t.ok(before.password_hash, 'the account has a password to begin with');

  const link = await sendLink(ctx, joerg);
  t.equal((await linkRow(ctx.db, link.linkId)).kind, 'reset', 'an account with a password gets a replacement link');
  t.equal((await new Browser(ctx.app).get(link.path)).status, 200, 'the link is live');

  const after = await ctx.db.selectFrom('accounts').select(['password_hash', 'password_changed_at']).where('id', '=', joerg.id).executeTakeFirstOrThrow();
  t.equal(after.password_hash, before.password_hash, 'the stored password hash is untouched');
  t.same(after.password_changed_at, before.password_changed_at, 'the password change time is untouched');
  const login = await tryLogin(ctx.app, joerg.login, joerg.password!);
  t.equal(login.status, 303, 'the old password still logs in');
});

t.test('issuing a link revokes the account\'s earlier unused links: the newest link wins', async (t) => {
  const { ctx, tenant } = await setUp(t);
  const joerg = await createUser(ctx.db, tenant);
  const older = await sendLink(ctx, joerg);
  t.equal((await new Browser(ctx.app).get(older.path)).status, 200, 'the first link works while it is the newest');

  const newer = await sendLink(ctx, joerg);
  t.ok((await linkRow(ctx.db, older.linkId)).revoked_at, 'the first link is marked revoked');
  t.notOk((await linkRow(ctx.db, newer.linkId)).revoked_at, 'the second link is not');

  const olderPage = await new Browser(ctx.app).get(older.path);
  t.equal(olderPage.status, 410, 'the first link answers with the dead-link page');
  t.match(visibleText(olderPage.body), text.link.invalidTitle);
  const refused = await postNewPassword(ctx.app, older.path, 'Mit dem alten Link gesetzt 1');
  t.equal(refused.status, 410, 'posting a password to the first link is refused');
  t.equal((await tryLogin(ctx.app, joerg.login, 'Mit dem alten Link gesetzt 1')).status, 401, 'and that password was not set');

  const used = await postNewPassword(ctx.app, newer.path, 'Mit dem neuen Link gesetzt 2');
  t.equal(used.status, 303, 'the second link sets the password');
  t.equal((await tryLogin(ctx.app, joerg.login, 'Mit dem neuen Link gesetzt 2')).status, 303, 'the password of the newest link logs in');
});

t.test('a GET on the link only shows the form and does not use it up', async (t) => {
  const { ctx, tenant } = await setUp(t);
  const joerg = await createUser(ctx.db, tenant, { password: null });
  const link = await sendLink(ctx, joerg);

  // A mail scanner, then the person: both GETs show the form.
  for (const who of ['mail scanner', 'person']) {
    const page = await new Browser(ctx.app).get(link.path);
    t.equal(page.status, 200, `the ${who}'s GET shows the form`);
    t.match(page.body, `action="${link.path}"`, 'with the form posting back to the link');
  }
  const row = await linkRow(ctx.db, link.linkId);
  t.equal(row.used_at, null, 'the link is not marked used by a GET');
  t.equal(row.revoked_at, null, 'nor revoked');
  t.equal(await passwordHashOf(ctx.db, joerg.id), null, 'and no password was set');

  const done = await postNewPassword(ctx.app, link.path, 'Mein erstes eigenes Passwort');
  t.equal(done.status, 303, 'the POST after two GETs still sets the password');
  t.equal((await tryLogin(ctx.app, joerg.login, 'Mein erstes eigenes Passwort')).status, 303, 'and it logs in');
});

// "28.11.2026 14:00", worked out here with the platform's own Intl rather than the app's helper.
function berlinDateTime(date: Date): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.day}.${parts.month}.${parts.year} ${parts.hour}:${parts.minute}`;
}

t.test('the invitation mail is German, in text and HTML, with greeting, login, link, validity, support contact and the never-ask sentence', async (t) => {
  const { ctx, tenant } = await setUp(t);
  const joerg = await createUser(ctx.db, tenant, { password: null });
  const link = await sendLink(ctx, joerg);
  const { mail } = link;
  const row = await linkRow(ctx.db, link.linkId);
  t.equal(row.kind, 'invitation');
  t.equal(row.expires_at.getTime() - row.created_at.getTime(), 72 * 3_600_000, 'the invitation is valid 72 hours');

  t.same(mail.to, [joerg.email], 'the mail goes to the address on file');
  t.equal(mail.subject, text.mail.invitationSubject.user);
  t.match(mail.subject, /Passwort festlegen/, 'the subject is German');
  t.ok(mail.text.trim(), 'there is a text part');
  t.ok(mail.html.trim(), 'there is an HTML part');

  const html = visibleText(mail.html);
  const until = berlinDateTime(row.expires_at);
  const expected: [string, string][] = [
    ['greeting', `Hallo ${joerg.firstName},`],
    ['login name', `Dein Login: ${joerg.login}`],
    ['link', link.url],
    ['validity in days', '3 Tage'],
    ['valid-until date', `bis ${until} Uhr`],
    ['single use', 'funktioniert nur einmal'],
    ['support contact', ctx.config.supportEmail],
    ['never-ask sentence', text.mail.neverAsk.user],
    ['never-ask wording', 'wird dich jemals nach deinem Passwort fragen'],
  ];
  for (const [what, needle] of expected) {
    t.ok(mail.text.includes(needle), `text part has the ${what}: ${needle}`);
    t.ok(html.includes(needle), `HTML part has the ${what}: ${needle}`);
  }
  t.match(mail.html, `href="${link.url}"`, 'the HTML part links to the same URL');
  t.match(mail.html, /<html lang="de">/, 'the HTML part declares German');
});
