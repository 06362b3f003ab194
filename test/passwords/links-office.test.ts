import t from 'tap';
import { MINUTE } from '../../src/clock.ts';
import { text } from '../../src/i18n/de.ts';
import { deadLinkPolicy } from '../../src/auth/throttle.ts';
import { generateToken, hashToken } from '../../src/tokens.ts';
import { BASE_URL, startTestApp } from '../helpers/app.ts';
import { Browser, pageOf, visibleText } from '../helpers/browser.ts';
import { createReseller, createTenant } from '../helpers/fixtures.ts';

// Issue 10: the morning after an Umzug an office opens its people's set-password links from one
// address. Valid links are not limited per address; dead or unknown tokens are, and every
// token has its own limit.

const links = 1000;
// 1,000 argon2 hashes at the production cost (hashing.ts) take a while on a busy machine.
t.setTimeout(600_000);

t.test('an office opens and uses 1,000 links from one address', async (t) => {
  // The mail worker stays off: 1,000 "Dein Passwort wurde geändert" mails are queued, not sent.
  const { app, db, clock } = await startTestApp(t, {}, { startWorker: false });
  const reseller = await createReseller(db);
  const tenant = await createTenant(db, reseller.id);
  const accounts = await db
    .insertInto('accounts')
    .values(Array.from({ length: links }, (_, i) => ({
      role: 'user' as const,
      reseller_id: reseller.id,
      tenant_id: tenant.id,
      login: `kollegin.${i + 1}`,
      first_name: 'Kollegin',
      last_name: `Nummer ${i + 1}`,
      email: `kollegin.${i + 1}@mueller-bau.example`,
      password_hash: null,
    })))
    .returning('id')
    .execute();
  // Stored as the portal stores links: only the token's hash.
  const tokens = accounts.map(() => generateToken());
  const issuedAt = clock.now();
  await db
    .insertInto('password_links')
    .values(accounts.map((account, i) => ({ account_id: account.id, kind: 'invitation' as const, token_hash: hashToken(tokens[i]!), created_at: issuedAt, expires_at: new Date(issuedAt.getTime() + 72 * 60 * MINUTE) })))
    .execute();

  t.test('1,000 different valid links opened and used from one address within 10 minutes: all work', async (t) => {
    const opened: number[] = [];
    const used: number[] = [];
    // Twenty people at a time; the test clock moves 10 minutes over the whole run.
    for (let first = 0; first < links; first += 20) {
      const batch = await Promise.all(
        tokens.slice(first, first + 20).map(async (token, i) => {
          const browser = new Browser(app); // every request from inject's one address, 127.0.0.1
          const form = await browser.get(`/passwort-link/${token}`);
          const done = await browser.post(`/passwort-link/${token}`, { password: `Frühling im Büro ${first + i} beginnt`, passwordRepeat: `Frühling im Büro ${first + i} beginnt` });
          return [form.status, done.status] as const;
        }),
      );
      opened.push(...batch.map(([form]) => form));
      used.push(...batch.map(([, done]) => done));
      clock.advance((10 * MINUTE) / (links / 20) - 1);
    }
    t.equal(opened.length, links);
    t.same(opened.filter((s) => s !== 200), [], 'every link opens its form (200)');
    t.same(used.filter((s) => s !== 303), [], 'every link sets its password (303 to the login page)');
    const withPassword = await db.selectFrom('accounts').select('id').where('tenant_id', '=', tenant.id).where('password_hash', 'is not', null).execute();
    t.equal(withPassword.length, links, 'all 1,000 accounts have a password now');
    const usedLinks = await db.selectFrom('password_links').select('id').where('used_at', 'is not', null).execute();
    t.equal(usedLinks.length, links, 'all 1,000 links are marked used');
  });

  t.test('dead or unknown tokens still count per address: after the free ones the address waits', async (t) => {
    const scanner = '203.0.113.9';
    const open = async (token: string, remoteAddress: string) =>
      pageOf(await app.inject({ method: 'GET', url: `/passwort-link/${token}`, remoteAddress, headers: { host: new URL(BASE_URL).host } }));
    const answers: number[] = [];
    for (let i = 0; i <= deadLinkPolicy.freeFailures; i++) answers.push((await open(generateToken(), scanner)).status);
    t.same(answers, Array(deadLinkPolicy.freeFailures + 1).fill(410), `${deadLinkPolicy.freeFailures + 1} unknown tokens each get the dead-link page`);
    const refused = await open(generateToken(), scanner);
    t.equal(refused.status, 429, 'then the address is refused');
    t.ok(visibleText(refused.body).includes(text.pages.tooManyTitle), 'with the German page "Zu viele Anfragen"');
    t.match(String(refused.headers['retry-after']), /^[1-9]\d*$/, 'and Retry-After');
    t.equal((await open(tokens[0]!, scanner)).status, 429, 'a blocked address is refused on a valid token too (no "valid or dead" answer)');
    t.equal((await open(generateToken(), '203.0.113.10')).status, 410, 'another address is not affected');
    clock.advance(deadLinkPolicy.firstDelayMs + 1000);
    t.equal((await open(generateToken(), scanner)).status, 410, 'the block ends after its delay');
  });

  t.test('each token has its own limit, whatever the address', async (t) => {
    const token = generateToken();
    const account = await db.insertInto('accounts').values({ role: 'user', reseller_id: reseller.id, tenant_id: tenant.id, login: 'einzeln.eine', first_name: 'Einzeln', last_name: 'Eine', email: 'einzeln@mueller-bau.example', password_hash: null }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('password_links').values({ account_id: account.id, kind: 'invitation', token_hash: hashToken(token), created_at: clock.now(), expires_at: new Date(clock.now().getTime() + 72 * 60 * MINUTE) }).execute();
    const statuses: number[] = [];
    for (let i = 1; i <= 21; i++) {
      const answer = await app.inject({ method: 'GET', url: `/passwort-link/${token}`, remoteAddress: `198.51.100.${i}`, headers: { host: new URL(BASE_URL).host } });
      statuses.push(answer.statusCode);
    }
    t.same(statuses.slice(0, 20), Array(20).fill(200), '20 openings within a minute, each from another address, are answered');
    t.equal(statuses[20], 429, 'the 21st within the minute is refused, though it comes from a new address');
    const other = await app.inject({ method: 'GET', url: `/passwort-link/${tokens[1]}`, remoteAddress: '198.51.100.21', headers: { host: new URL(BASE_URL).host } });
    t.equal(other.statusCode, 410, 'another token from that address is answered (here: already used, so the dead-link page)');
  });
});
