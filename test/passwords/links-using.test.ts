import t from 'tap';
import { HOUR, MINUTE } from '../../src/clock.ts';
import { text } from '../../src/i18n/de.ts';
import { generateToken, hashToken } from '../../src/tokens.ts';
import { startTestApp } from '../helpers/app.ts';
import { Browser, visibleText } from '../helpers/browser.ts';
import { createReseller, createTenant, createUser, signIn } from '../helpers/fixtures.ts';
import { linkRow, passwordHashOf, postNewPassword, sendLink, tryLogin } from './link-helpers.ts';

// DESIGN 1.3 / issue 2 point 7: using a link, racing for it, losing it to a login, and its lifetime.

async function setUp(t: Parameters<typeof startTestApp>[0], env: Record<string, string> = {}) {
  const ctx = await startTestApp(t, env);
  const reseller = await createReseller(ctx.db);
  const tenant = await createTenant(ctx.db, reseller.id);
  return { ctx, tenant };
}

t.test('using a link sets the password, marks the link used, revokes every other link, ends all sessions, sends "Dein Passwort wurde geändert" and does not log the user in', async (t) => {
  const { ctx, tenant } = await setUp(t);
  const joerg = await createUser(ctx.db, tenant);
  // Two sessions of the account, e.g. office and laptop (signing in comes first: it kills links).
  const office = await signIn(ctx.app, joerg);
  const laptop = await signIn(ctx.app, joerg);
  t.equal((await office.get('/konto')).status, 200, 'the first session is live');
  t.equal((await laptop.get('/konto')).status, 200, 'the second session is live');

  const link = await sendLink(ctx, joerg);
  // Another outstanding link of the account, stored as the portal stores links (hash only).
  const otherToken = generateToken();
  const other = await ctx.db
    .insertInto('password_links')
    .values({ account_id: joerg.id, kind: 'reset', token_hash: hashToken(otherToken), created_at: ctx.clock.now(), expires_at: new Date(ctx.clock.now().getTime() + 24 * HOUR) })
    .returning('id')
    .executeTakeFirstOrThrow();
  t.equal((await new Browser(ctx.app).get(`/passwort-link/${otherToken}`)).status, 200, 'the other link is live before');

  const before = ctx.smtp.received.length;
  const browser = new Browser(ctx.app);
  const done = await postNewPassword(ctx.app, link.path, 'Neues Passwort nach dem Urlaub', undefined, browser);
  t.equal(done.status, 303, 'the new password is accepted');
  t.equal(done.location, '/anmelden', 'and the person is sent to the login page');

  const used = await linkRow(ctx.db, link.linkId);
  t.ok(used.used_at, 'the link is marked used');
  t.equal(used.revoked_at, null, 'used, not revoked');
  t.ok((await linkRow(ctx.db, other.id)).revoked_at, 'the other link is revoked');
  t.equal((await new Browser(ctx.app).get(`/passwort-link/${otherToken}`)).status, 410, 'the other link shows the dead-link page');
  t.equal((await new Browser(ctx.app).get(link.path)).status, 410, 'the used link shows the dead-link page');

  const sessions = await ctx.db.selectFrom('sessions').select('id_hash').where('account_id', '=', joerg.id).execute();
  t.equal(sessions.length, 0, 'no session of the account is left in the store');
  for (const [name, session] of [['first', office], ['second', laptop]] as const) {
    const page = await session.get('/konto');
    t.equal(page.status, 303, `the ${name} session is ended`);
    t.match(page.location, /^\/anmelden/, `the ${name} session is sent to the login page`);
  }

  const landing = await browser.follow(done);
  t.match(visibleText(landing.body), text.link.done(joerg.login), 'the login page says the password is saved');
  const afterUse = await browser.get('/konto');
  t.equal(afterUse.status, 303, 'the browser that used the link is not logged in');
  t.match(afterUse.location, /^\/anmelden/);

  const mail = await ctx.smtp.waitForMail((m) => ctx.smtp.received.indexOf(m) >= before && m.subject === 'Dein Passwort wurde geändert');
  t.same(mail.to, [joerg.email], 'the "Dein Passwort wurde geändert" mail goes to the account');

  t.equal((await tryLogin(ctx.app, joerg.login, joerg.password!)).status, 401, 'the old password is refused');
  t.equal((await tryLogin(ctx.app, joerg.login, 'Neues Passwort nach dem Urlaub')).status, 303, 'the new password logs in');
});

t.test('two browsers posting the same link at once: exactly one wins', async (t) => {
  const { ctx, tenant } = await setUp(t);
  const joerg = await createUser(ctx.db, tenant, { password: null });
  const link = await sendLink(ctx, joerg);
  const passwords = ['Erstes Fenster gewinnt vielleicht', 'Zweites Fenster gewinnt vielleicht'];
  const browsers = [new Browser(ctx.app), new Browser(ctx.app)];
  for (const browser of browsers) t.equal((await browser.get(link.path)).status, 200, 'both browsers have the form open');

  const pages = await Promise.all(browsers.map((browser, i) => browser.post(link.path, { password: passwords[i]!, passwordRepeat: passwords[i]! })));
  const statuses = pages.map((p) => p.status).sort();
  t.same(statuses, [303, 410], 'one post is accepted, the other gets the dead-link page');
  const loser = pages.find((p) => p.status === 410);
  t.match(visibleText(loser?.body ?? ''), text.link.invalidTitle, 'the loser sees the calm dead-link page');

  const results = [];
  for (const password of passwords) results.push((await tryLogin(ctx.app, joerg.login, password)).status);
  t.equal(results.filter((s) => s === 303).length, 1, 'exactly one of the two passwords works');
  const winner = pages.findIndex((p) => p.status === 303);
  t.equal(results[winner], 303, 'and it is the password of the accepted post');
});

t.test('a successful login with the old password revokes every outstanding link', async (t) => {
  const { ctx, tenant } = await setUp(t);
  const joerg = await createUser(ctx.db, tenant);
  const link = await sendLink(ctx, joerg);
  const hashBefore = await passwordHashOf(ctx.db, joerg.id);

  t.equal((await tryLogin(ctx.app, joerg.login, 'das ist nicht mein Passwort')).status, 401, 'a wrong password is refused');
  t.equal((await new Browser(ctx.app).get(link.path)).status, 200, 'a failed login leaves the link alive');

  t.equal((await tryLogin(ctx.app, joerg.login, joerg.password!)).status, 303, 'the old password logs in');
  t.ok((await linkRow(ctx.db, link.linkId)).revoked_at, 'the link is marked revoked');
  const page = await new Browser(ctx.app).get(link.path);
  t.equal(page.status, 410, 'the link now shows the dead-link page');
  t.match(visibleText(page.body), text.link.invalidTitle);
  t.equal(await passwordHashOf(ctx.db, joerg.id), hashBefore, 'the password is unchanged');
  t.equal((await postNewPassword(ctx.app, link.path, 'Zu spät für diesen Link')).status, 410, 'the link cannot set a password any more');
});

/** Moves the clock to `offsetMs` from the link's expiry and reports what its page answers. */
async function statusAround(ctx: Awaited<ReturnType<typeof setUp>>['ctx'], path: string, expiresAt: Date, offsetMs: number): Promise<number> {
  ctx.clock.advance(expiresAt.getTime() + offsetMs - ctx.clock.now().getTime());
  return (await new Browser(ctx.app).get(path)).status;
}

t.test('lifetimes: an invitation is valid 72 hours, a replacement link 24 hours', async (t) => {
  const { ctx, tenant } = await setUp(t);
  const invited = await createUser(ctx.db, tenant, { password: null, firstName: 'Ina', email: 'ina.mueller@mueller-bau.example' });
  const existing = await createUser(ctx.db, tenant, { firstName: 'Paul', email: 'paul.mueller@mueller-bau.example' });
  const [invitation, reset] = await Promise.all([sendLink(ctx, invited), sendLink(ctx, existing)]);
  const invitationRow = await linkRow(ctx.db, invitation.linkId);
  const resetRow = await linkRow(ctx.db, reset.linkId);
  t.equal(invitationRow.kind, 'invitation');
  t.equal(invitationRow.expires_at.getTime() - invitationRow.created_at.getTime(), 72 * HOUR, 'the invitation expires 72 hours after issue');
  t.equal(resetRow.kind, 'reset');
  t.equal(resetRow.expires_at.getTime() - resetRow.created_at.getTime(), 24 * HOUR, 'the replacement link expires 24 hours after issue');

  t.equal(await statusAround(ctx, reset.path, resetRow.expires_at, -MINUTE), 200, 'the replacement link works a minute before 24 hours');
  t.equal(await statusAround(ctx, reset.path, resetRow.expires_at, MINUTE), 410, 'the replacement link is dead a minute after 24 hours');
  t.equal((await postNewPassword(ctx.app, reset.path, 'Zu spät abgeschickt leider')).status, 410, 'an expired link cannot set a password');
  t.equal((await new Browser(ctx.app).get(invitation.path)).status, 200, 'the invitation still works after 24 hours');
  t.equal(await statusAround(ctx, invitation.path, invitationRow.expires_at, -MINUTE), 200, 'the invitation works a minute before 72 hours');
  t.equal(await statusAround(ctx, invitation.path, invitationRow.expires_at, MINUTE), 410, 'the invitation is dead a minute after 72 hours');
});

t.test('lifetimes are configurable with INVITATION_LINK_HOURS and RESET_LINK_HOURS', async (t) => {
  const { ctx, tenant } = await setUp(t, { INVITATION_LINK_HOURS: '5', RESET_LINK_HOURS: '2' });
  const invited = await createUser(ctx.db, tenant, { password: null, firstName: 'Ina', email: 'ina.mueller@mueller-bau.example' });
  const existing = await createUser(ctx.db, tenant, { firstName: 'Paul', email: 'paul.mueller@mueller-bau.example' });
  const [invitation, reset] = await Promise.all([sendLink(ctx, invited), sendLink(ctx, existing)]);
  t.match(invitation.mail.text, 'Der Link ist 5 Stunden gültig', 'the invitation mail names the configured lifetime');
  t.match(reset.mail.text, 'Der Link ist 2 Stunden gültig', 'the replacement mail names the configured lifetime');
  const invitationRow = await linkRow(ctx.db, invitation.linkId);
  const resetRow = await linkRow(ctx.db, reset.linkId);
  t.equal(invitationRow.expires_at.getTime() - invitationRow.created_at.getTime(), 5 * HOUR);
  t.equal(resetRow.expires_at.getTime() - resetRow.created_at.getTime(), 2 * HOUR);

  t.equal(await statusAround(ctx, reset.path, resetRow.expires_at, -MINUTE), 200, 'the replacement link works a minute before 2 hours');
  t.equal(await statusAround(ctx, reset.path, resetRow.expires_at, MINUTE), 410, 'the replacement link is dead a minute after 2 hours');
  t.equal(await statusAround(ctx, invitation.path, invitationRow.expires_at, -MINUTE), 200, 'the invitation works a minute before 5 hours');
  t.equal(await statusAround(ctx, invitation.path, invitationRow.expires_at, MINUTE), 410, 'the invitation is dead a minute after 5 hours');
});
