import t from 'tap';
import { deadLinkPolicy } from '../../src/auth/throttle.ts';
import { HOUR, MINUTE } from '../../src/clock.ts';
import { text } from '../../src/i18n/de.ts';
import { generateToken } from '../../src/tokens.ts';
import { BASE_URL, startTestApp, type TestApp } from '../helpers/app.ts';
import { Browser, visibleText, type Page } from '../helpers/browser.ts';
import { createReseller, createTenant, createUser } from '../helpers/fixtures.ts';
import { nextLinkMail, postNewPassword, sendLink, tryLogin } from './link-helpers.ts';

// DESIGN 1.3 / issue 2 point 7: what a dead link looks like, how it is renewed, and what pages
// with a token in their URL give away to other hosts (nothing).

async function setUp(t: Parameters<typeof startTestApp>[0]) {
  const ctx = await startTestApp(t);
  const reseller = await createReseller(ctx.db);
  const tenant = await createTenant(ctx.db, reseller.id);
  const person = (firstName: string, password?: null) =>
    createUser(ctx.db, tenant, { firstName, email: `${firstName.toLowerCase()}.mueller@mueller-bau.example`, ...(password === null ? { password } : {}) });
  return { ctx, person };
}

/**
 * One link in each dead state: used, expired (the clock moved past 24 hours), revoked (by a
 * newer link, still within its lifetime), and an unknown token that was never issued. At the
 * end the clock is past the cool-down that keeps self-service requests from flooding a mailbox.
 */
async function deadLinks(ctx: TestApp, person: (firstName: string) => ReturnType<typeof createUser>) {
  const [usedBy, revokedFor, expiredFor] = await Promise.all([person('Ulla'), person('Rolf'), person('Emil')]);
  const [used, expired] = await Promise.all([sendLink(ctx, usedBy), sendLink(ctx, expiredFor)]);
  const before = ctx.smtp.received.length;
  const done = await postNewPassword(ctx.app, used.path, 'Ihr Passwort ist jetzt gesetzt');
  if (done.status !== 303) throw new Error(`setup: using a link answered ${done.status}`);
  await ctx.smtp.waitForMail((m) => ctx.smtp.received.indexOf(m) >= before && m.to.includes(usedBy.email));
  ctx.clock.advance(24 * HOUR + MINUTE);
  const revoked = await sendLink(ctx, revokedFor);
  await sendLink(ctx, revokedFor); // the newer link revokes the older one
  ctx.clock.advance(6 * MINUTE);
  return { used, revoked, expired, unknown: { path: `/passwort-link/${generateToken()}` }, people: { usedBy, revokedFor, expiredFor } };
}

t.test('an unknown, used, revoked or expired link shows one calm German page that does not say which it was, with a way to a fresh link and the support contact', async (t) => {
  const { ctx, person } = await setUp(t);
  const links = await deadLinks(ctx, person);
  const cases: [string, string][] = [
    ['unknown', links.unknown.path],
    ['used', links.used.path],
    ['revoked', links.revoked.path],
    ['expired', links.expired.path],
    ['malformed', '/passwort-link/nicht-einmal-ein-token'],
  ];
  const seen: { name: string; page: Page; text: string }[] = [];
  for (const [name, path] of cases) {
    const page = await new Browser(ctx.app).get(path);
    seen.push({ name, page, text: visibleText(page.body) });
    t.equal(page.status, 410, `the ${name} link answers 410 Gone`);
    t.match(page.body, /<html lang="de">/, `the ${name} link's page is German`);
    if (name === 'malformed') {
      // Issue 12, finding 8: a form action is built from a token of the right shape only, never
      // from the raw path; something that is not even a token gets no "Neuen Link anfordern".
      t.notMatch(page.body, '/neu"', `the ${name} link's page builds no form action from the path`);
    } else {
      t.match(page.body, `<form method="post" action="${path}/neu">`, `the ${name} link's page offers a fresh link for this token`);
    }
  }
  const reference = seen[0]!;
  for (const { name, text: shown } of seen.slice(1).filter((s) => s.name !== 'malformed')) t.equal(shown, reference.text, `the ${name} link's page reads exactly like the unknown link's`);

  t.match(reference.text, text.link.invalidTitle, 'the page says the link does not work any more');
  t.match(reference.text, text.link.requestSubmit, 'with a button for a fresh link');
  t.match(reference.text, text.link.supportHint(ctx.config.supportEmail), 'and the support contact');
  t.match(reference.page.body, `href="mailto:${ctx.config.supportEmail}"`, 'the support address is a mail link');
  for (const word of ['abgelaufen', 'benutzt', 'neuerer Link']) {
    t.match(reference.text, word, `the page lists every possible reason alike (${word}), not the actual one`);
  }
});

/** Opens the dead link in a fresh browser and presses its "Neuen Link anfordern" button. */
async function pressRenew(ctx: TestApp, path: string): Promise<{ response: Page; landing: string }> {
  const browser = new Browser(ctx.app);
  const dead = await browser.get(path);
  const action = /<form method="post" action="([^"]+)">/.exec(dead.body)?.[1];
  if (!action) throw new Error(`no renew form on ${dead.status} page`);
  const response = await browser.post(action);
  return { response, landing: visibleText((await browser.follow(response)).body) };
}

async function storedCounts(ctx: TestApp) {
  const links = await ctx.db.selectFrom('password_links').select('id').execute();
  const mails = await ctx.db.selectFrom('mail_deliveries').select('id').execute();
  return { links: links.length, mails: mails.length };
}

t.test('renewing a genuine expired or revoked link sends a fresh link to the address on file; an unknown or used one sends nothing; the answer is the same', async (t) => {
  const { ctx, person } = await setUp(t);
  const links = await deadLinks(ctx, person);
  const { usedBy, revokedFor, expiredFor } = links.people;

  const answers: { name: string; response: Page; landing: string }[] = [];
  for (const [name, path, who] of [
    ['expired', links.expired.path, expiredFor],
    ['revoked', links.revoked.path, revokedFor],
  ] as const) {
    const before = ctx.smtp.received.length;
    const answer = await pressRenew(ctx, path);
    answers.push({ name, ...answer });
    const mail = await nextLinkMail(ctx, who.email, before);
    t.same(mail.to, [who.email], `the ${name} link's renewal mails the address on file`);
    const fresh = /\/passwort-link\/[A-Za-z0-9_-]{43}/.exec(mail.text)![0];
    t.not(fresh, path, 'with a new link');
    t.equal((await new Browser(ctx.app).get(fresh)).status, 200, `the fresh link for the ${name} one works`);
  }

  for (const [name, path] of [
    ['unknown', links.unknown.path],
    ['used', links.used.path],
  ] as const) {
    const before = ctx.smtp.received.length;
    const stored = await storedCounts(ctx);
    answers.push({ name, ...(await pressRenew(ctx, path)) });
    // A renewal issues its link and queues its mail in the request's own transaction, so once
    // the answer is there, the database shows whether anything is coming.
    t.same(await storedCounts(ctx), stored, `the ${name} link's renewal issues no link and queues no mail`);
    t.equal(ctx.smtp.received.length, before, `no mail went out for the ${name} link`);
  }
  t.equal((await tryLogin(ctx.app, usedBy.login, 'Ihr Passwort ist jetzt gesetzt')).status, 303, 'the used link\'s password is untouched');

  const [first, ...rest] = answers;
  t.equal(first!.response.status, 303);
  t.equal(first!.response.location, '/anmelden');
  t.match(first!.landing, text.link.requested, 'the answer says a link is on its way if the link can be renewed');
  for (const { name, response, landing } of rest) {
    t.equal(response.status, first!.response.status, `the ${name} link's renewal answers with the same status`);
    t.equal(response.location, first!.response.location, `the ${name} link's renewal leads to the same page`);
    t.equal(landing, first!.landing, `the ${name} link's renewal shows the same text`);
  }
});

const pageRefs = /\b(?:src|href|action|srcset|poster|data)\s*=\s*["']?([^"'\s>]+)/gi;

/** Every URL the page references that is not on our own origin (mail links open no connection). */
function foreignReferences(html: string): string[] {
  return [...html.matchAll(pageRefs)]
    .map((m) => m[1]!)
    .filter((ref) => {
      const url = new URL(ref, BASE_URL);
      return url.protocol !== 'mailto:' && url.origin !== new URL(BASE_URL).origin;
    });
}

/** CSP sources that name a host or scheme other than our own origin and inline images. */
function foreignCspSources(csp: string): string[] {
  return csp
    .split(';')
    .flatMap((directive) => directive.trim().split(/\s+/).slice(1))
    .filter((source) => !/^'[a-z-]+'$/.test(source) && source !== 'data:');
}

t.test('pages with a token in the URL send Referrer-Policy: no-referrer and load nothing from elsewhere', async (t) => {
  const { ctx, person } = await setUp(t);
  const joerg = await person('Joerg', null);
  const link = await sendLink(ctx, joerg);
  const browser = new Browser(ctx.app);
  const dead = `/passwort-link/${generateToken()}`;
  const pages: [string, Page][] = [
    ['the set-password form', await browser.get(link.path)],
    ['the form with a refusal', await browser.post(link.path, { password: 'kurz', passwordRepeat: 'kurz' })],
    ['the dead-link page', await browser.get(dead)],
    ['the renewal answer', await browser.post(`${dead}/neu`)],
    ['the refusal of a form without its CSRF token', await new Browser(ctx.app).post(link.path, { password: 'Ohne Formular-Token gesendet' })],
  ];
  // The link pages' limit on dead tokens per address answers with an error page, still under the token's URL.
  let limited: Page | undefined;
  for (let i = 0; i <= deadLinkPolicy.freeFailures + 1 && limited?.status !== 429; i++) limited = await new Browser(ctx.app).get(dead);
  pages.push(['the too-many-requests page', limited!]);
  t.same(pages.map(([, p]) => p.status), [200, 422, 410, 303, 403, 429], 'each page was reached');
  for (const [name, page] of pages) {
    t.equal(page.headers['referrer-policy'], 'no-referrer', `${name} sends Referrer-Policy: no-referrer`);
    const csp = String(page.headers['content-security-policy'] ?? '');
    t.match(csp, /default-src 'self'/, `${name} has a CSP`);
    t.same(foreignCspSources(csp), [], `${name}'s CSP allows no other host`);
    t.same(foreignReferences(page.body), [], `${name} references nothing from another host`);
  }
  t.ok([...pages[0]![1].body.matchAll(pageRefs)].length > 0, 'the reference check does see the page\'s own links');
});
