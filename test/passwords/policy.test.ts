import { readFileSync } from 'node:fs';
import * as argon2 from '@node-rs/argon2';
import type { Algorithm } from '@node-rs/argon2';
import t, { type Test } from 'tap';
import { text } from '../../src/i18n/de.ts';
import { checkPasswordPolicy, commonPasswordCount } from '../../src/passwords/policy.ts';
import { startTestApp } from '../helpers/app.ts';
import { Browser, visibleText, type Page } from '../helpers/browser.ts';
import { createReseller, createTenant, createUser } from '../helpers/fixtures.ts';
import { passwordHashOf, postNewPassword, sendLink, tryLogin } from './link-helpers.ts';

// Issue 2 point 6 (NIST SP 800-63B): length 12..256, any Unicode, exactly as typed, no common
// password, not the login or the name, typed twice; argon2id hashes, re-hashed when weaker.
// One app for the whole file: refusals leave the link alive, each acceptance has its own account.

const ctx = await startTestApp(t);
const reseller = await createReseller(ctx.db);
const tenant = await createTenant(ctx.db, reseller.id);
const joerg = await createUser(ctx.db, tenant, { password: null });
const refusalLink = await sendLink(ctx, joerg);

/** A PHC string "$id$v=19$m=…,t=…,p=…$salt$hash" taken apart (argon2 writes the parameters in any order). */
function phc(hash: string) {
  const m = /^\$([a-z0-9-]+)\$v=(\d+)\$([a-z]=\d+(?:,[a-z]=\d+)*)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(hash);
  if (!m) return null;
  const params = Object.fromEntries(m[3]!.split(',').map((pair) => [pair[0], Number(pair.slice(2))]));
  return { id: m[1], version: Number(m[2]), params, saltBytes: Math.floor((m[4]!.length * 6) / 8) };
}
const currentParams = { m: 19456, t: 2, p: 1 };

function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Posts to the live link and checks the refusal: 422, message at the field, nothing echoed. */
async function assertRefused(t: Test, password: string, repeat: string, field: 'password' | 'passwordRepeat', message: string): Promise<Page> {
  const page = await postNewPassword(ctx.app, refusalLink.path, password, repeat);
  t.equal(page.status, 422, 'the form comes back with 422');
  const error = new RegExp(`<p class="error" id="f-${field}-error">([\\s\\S]*?)</p>`).exec(page.body);
  t.equal(error ? visibleText(error[1]!) : null, message, 'the German reason stands at the field');
  const input = new RegExp(`<input id="f-${field}"[^>]*>`).exec(page.body)?.[0] ?? '';
  t.match(input, /aria-invalid="true"/, 'the field is marked invalid');
  t.match(input, new RegExp(`aria-describedby="[^"]*\\bf-${field}-error\\b`), 'the field points at its message');
  for (const typed of new Set([password, repeat].filter(Boolean))) {
    t.notOk(page.body.includes(typed) || page.body.includes(escapeHtml(typed)), 'the typed password is not sent back');
  }
  t.notMatch(page.body, /type="password"[^>]*value=/, 'no password field carries a value');
  return page;
}

/** A person with a fresh link of their own sets the password; it must then log in. */
async function assertAccepted(t: Test, firstName: string, password: string) {
  const person = await createUser(ctx.db, tenant, { password: null, firstName, email: `${firstName.toLowerCase()}@mueller-bau.example` });
  const link = await sendLink(ctx, person);
  const page = await postNewPassword(ctx.app, link.path, password);
  t.equal(page.status, 303, 'the password is accepted');
  t.equal((await tryLogin(ctx.app, person.login, password)).status, 303, 'and logs in');
  return person;
}

t.test('the common-password list shipped with the project has at least 10,000 entries', async (t) => {
  const lines = readFileSync(new URL('../../src/passwords/common-passwords.txt', import.meta.url), 'utf8').split('\n').filter(Boolean);
  t.ok(new Set(lines).size >= 10_000, `the file has ${new Set(lines).size} distinct entries`);
  t.equal(commonPasswordCount(), new Set(lines).size, 'the policy loads all of them');
});

t.test('an empty password is refused', async (t) => {
  await assertRefused(t, '', '', 'password', text.password.required);
});

t.test('a password shorter than 12 characters is refused with the German reason', async (t) => {
  await assertRefused(t, 'Kurz&Gut-11', 'Kurz&Gut-11', 'password', text.password.tooShort(12, 11));
  t.match(text.password.tooShort(12, 11), /zu kurz: mindestens 12 Zeichen, du hast 11 eingegeben/, 'the reason says why');
});

t.test('length is counted in characters, not bytes or code units: eleven emoji are too short', async (t) => {
  await assertRefused(t, '🐳🌊🐙🦀🐚🌴🐠🐬🦑🪸🐡', '🐳🌊🐙🦀🐚🌴🐠🐬🦑🪸🐡', 'password', text.password.tooShort(12, 11));
});

t.test('a password of exactly 12 characters is accepted', async (t) => {
  t.equal([...'Abendrot-See'].length, 12);
  await assertAccepted(t, 'Zora', 'Abendrot-See');
});

t.test('a password longer than 256 characters is refused; 256 is allowed', async (t) => {
  const long = `Ein langer Satz über den Deich. `.repeat(9).slice(0, 257);
  t.equal([...long].length, 257);
  await assertRefused(t, long, long, 'password', text.password.tooLong(256));
  t.equal(checkPasswordPolicy(long.slice(0, 256), { login: joerg.login, firstName: joerg.firstName, lastName: joerg.lastName }), null, '256 characters pass the policy');
});

t.test('any Unicode is accepted: umlauts, emoji and spaces', async (t) => {
  const password = 'Grüße aus Köln 🚲 und ein Äpfelchen';
  const person = await assertAccepted(t, 'Ute', password);
  t.ok(await argon2.verify((await passwordHashOf(ctx.db, person.id))!, password), 'the stored hash is of exactly these characters');
});

t.test('a password is checked and stored exactly as typed: a trailing space counts', async (t) => {
  const password = 'Mondschein über dem Deich ';
  const person = await assertAccepted(t, 'Tina', password);
  t.equal((await tryLogin(ctx.app, person.login, password.trimEnd())).status, 401, 'without the trailing space the login is refused');
  t.equal((await tryLogin(ctx.app, person.login, ` ${password}`)).status, 401, 'with an extra leading space, too');
  t.equal((await tryLogin(ctx.app, person.login, password)).status, 303, 'only the password as typed logs in');
});

t.test('a password on the common-password list is refused, in any letter case', async (t) => {
  const common = readFileSync(new URL('../../src/passwords/common-passwords.txt', import.meta.url), 'utf8')
    .split('\n')
    .find((entry) => [...entry].length >= 12 && /^[a-z0-9]+$/.test(entry));
  t.ok(common, `a long enough entry of the list: ${common}`);
  await assertRefused(t, common!, common!, 'password', text.password.common);
  await assertRefused(t, common!.toUpperCase(), common!.toUpperCase(), 'password', text.password.common);
  t.match(text.password.common, /häufig benutzter Passwörter/, 'the reason says why');
});

t.test('a password containing the login is refused', async (t) => {
  const password = `Mein Zugang ${joerg.login.toUpperCase()} ist sicher`;
  await assertRefused(t, password, password, 'password', text.password.containsLogin);
});

t.test('a password containing the first or last name is refused', async (t) => {
  for (const password of [`Das ist ${joerg.firstName}s Geheimnis`, `Familie ${joerg.lastName.toLowerCase()} am Deich`]) {
    await assertRefused(t, password, password, 'password', text.password.containsName);
  }
});

t.test('the two entries must match', async (t) => {
  await assertRefused(t, 'Leuchtturm im Nebel 2026', 'Leuchtturm im Nebel 2027', 'passwordRepeat', text.password.mismatch);
  const page = await new Browser(ctx.app).get(refusalLink.path);
  t.equal(page.status, 200, 'none of the refusals used up the link');
});

t.test('hashes are argon2id with m=19456, t=2, p=1 in PHC format', async (t) => {
  const person = await assertAccepted(t, 'Vera', 'Ein Hash aus dem Formular');
  const hash = (await passwordHashOf(ctx.db, person.id))!;
  const parts = phc(hash);
  t.ok(parts, `the stored hash is a PHC string: ${hash.split('$').slice(0, 4).join('$')}`);
  t.equal(parts?.id, 'argon2id', 'of argon2id');
  t.equal(parts?.version, 19, 'version 1.3');
  t.same(parts?.params, currentParams, 'with m=19456, t=2, p=1');
  t.ok((parts?.saltBytes ?? 0) >= 16, 'and a salt of at least 16 bytes');
  t.ok(await argon2.verify(hash, 'Ein Hash aus dem Formular'), 'and it verifies the password');
});

t.test('a hash with weaker parameters is re-hashed at the next successful login', async (t) => {
  const password = 'Alte Parameter im Keller';
  const person = await createUser(ctx.db, tenant, { password: null, firstName: 'Hanna', email: 'hanna@mueller-bau.example' });
  const weak = await argon2.hash(password, { algorithm: 2 as Algorithm.Argon2id, memoryCost: 19456, timeCost: 1, parallelism: 1 });
  t.same(phc(weak)?.params, { ...currentParams, t: 1 }, 'setup: the stored hash is made with one pass');
  await ctx.db.updateTable('accounts').set({ password_hash: weak }).where('id', '=', person.id).execute();

  t.equal((await tryLogin(ctx.app, person.login, 'falsches Passwort hier')).status, 401, 'a failed login is refused');
  t.equal(await passwordHashOf(ctx.db, person.id), weak, 'and leaves the hash alone');

  t.equal((await tryLogin(ctx.app, person.login, password)).status, 303, 'the login with the weak hash succeeds');
  const rehashed = (await passwordHashOf(ctx.db, person.id))!;
  t.not(rehashed, weak, 'the stored hash was replaced');
  t.equal(phc(rehashed)?.id, 'argon2id');
  t.same(phc(rehashed)?.params, currentParams, 'by one with the current parameters');
  t.equal((await tryLogin(ctx.app, person.login, password)).status, 303, 'the same password still logs in');
});
