import t from 'tap';
import type { Page } from 'playwright-core';
import { HOUR } from '../../src/clock.ts';
import { createReseller, createTenant, createUser, type Person } from '../helpers/fixtures.ts';
import { clickThrough, field, linkIn, logIn, logOut, noChromium, nthMailTo, setPasswordThroughLink, sharedWorld } from './helpers.ts';

// A real browser and server per file: allow more than the suite's 120 s per file on a loaded machine.
t.setTimeout(240_000);

// Flow 4: what a set-password link does, seen in the browser: logging in with the old password
// kills it, a used link is refused, an expired one offers a fresh link that works.

const world = sharedWorld(t);
let tenant: Promise<{ id: string; resellerId: string }> | null = null;

async function anwender(values: { firstName: string; lastName: string; email: string }): Promise<Person> {
  const { portal } = await world();
  tenant ??= createReseller(portal.db).then((reseller) => createTenant(portal.db, reseller.id));
  return createUser(portal.db, await tenant, values);
}

/** "Passwort vergessen?" on the login page: the person asks for a link themselves. */
async function requestLink(page: Page, login: string): Promise<void> {
  await page.goto('/anmelden');
  await clickThrough(page, page.getByRole('link', { name: 'Passwort vergessen?' }));
  await field(page, 'Login oder E-Mail-Adresse').fill(login);
  await clickThrough(page, page.getByRole('button', { name: 'Link anfordern' }));
}

async function heading(page: Page): Promise<string | null> {
  return page.getByRole('heading', { level: 1 }).textContent();
}

t.test('logging in with the old password kills an outstanding link', { skip: noChromium }, async (t) => {
  const { portal, audit, visitor } = await world();
  const jana = await anwender({ firstName: 'Jana', lastName: 'Alt', email: 'jana@alt.example' });
  const page = await visitor();
  await requestLink(page, jana.login);
  t.match(await page.getByRole('status').textContent(), 'ist ein Link an die hinterlegte E-Mail-Adresse unterwegs');
  const mail = await nthMailTo(portal.smtp, 'jana@alt.example', 1);
  t.equal(mail.subject, 'AgileAS: Link für ein neues Passwort');

  await page.goto(linkIn(mail));
  t.equal(await heading(page), 'Passwort festlegen', 'the link works while nobody has logged in');
  await logIn(page, jana.login, jana.password!);
  t.equal(await heading(page), 'Meine Anwendungen', 'the old password still logs in');
  await logOut(page);

  await page.goto(linkIn(mail));
  t.equal(await heading(page), 'Dieser Link funktioniert nicht mehr', 'after the login with the old password the link is dead');
  t.notOk(await field(page, 'Neues Passwort').count(), 'no password form on the dead-link page');

  await audit.check(t);
});

t.test('a used link is refused', { skip: noChromium }, async (t) => {
  const { portal, audit, visitor } = await world();
  const ben = await anwender({ firstName: 'Ben', lastName: 'Benutzt', email: 'ben@benutzt.example' });
  const page = await visitor();
  await requestLink(page, ben.email);
  const link = linkIn(await nthMailTo(portal.smtp, 'ben@benutzt.example', 1));

  await setPasswordThroughLink(page, link, 'Regenbogen über der Elbe');
  t.match(await page.getByRole('status').textContent(), 'Dein Passwort ist gespeichert.');
  await page.goto(link);
  t.equal(await heading(page), 'Dieser Link funktioniert nicht mehr', 'the second visit of a used link shows the dead-link page');
  t.notOk(await field(page, 'Neues Passwort').count(), 'no password form on the dead-link page');

  await logIn(page, ben.login, 'Regenbogen über der Elbe');
  t.equal(await heading(page), 'Meine Anwendungen', 'the password set with the link works');

  await audit.check(t);
});

t.test('an expired link shows the dead-link page whose "Neuen Link anfordern" sends a fresh link that works', { skip: noChromium }, async (t) => {
  const { portal, audit, visitor } = await world();
  const eva = await anwender({ firstName: 'Eva', lastName: 'Abgelaufen', email: 'eva@abgelaufen.example' });
  const page = await visitor();
  await requestLink(page, eva.login);
  const old = await nthMailTo(portal.smtp, 'eva@abgelaufen.example', 1);

  // Let the link age: issued four days ago, expired an hour ago (no waiting, no clock tricks).
  const now = Date.now();
  await portal.db
    .updateTable('password_links')
    .set({ created_at: new Date(now - 96 * HOUR), expires_at: new Date(now - HOUR) })
    .where('account_id', '=', eva.id)
    .execute();

  await page.goto(linkIn(old));
  t.equal(await heading(page), 'Dieser Link funktioniert nicht mehr', 'the expired link shows the dead-link page');
  await clickThrough(page, page.getByRole('button', { name: 'Neuen Link anfordern' }));
  t.match(await page.getByRole('status').textContent(), 'ist ein neuer Link an die hinterlegte E-Mail-Adresse unterwegs');

  const fresh = await nthMailTo(portal.smtp, 'eva@abgelaufen.example', 2);
  t.not(linkIn(fresh), linkIn(old), 'a different link');
  await setPasswordThroughLink(page, linkIn(fresh), 'Sonnenaufgang am Strand');
  t.match(await page.getByRole('status').textContent(), 'Dein Passwort ist gespeichert.');
  await logIn(page, eva.login, 'Sonnenaufgang am Strand');
  t.equal(await heading(page), 'Meine Anwendungen', 'the fresh link set a password that logs in');

  await audit.check(t);
});
