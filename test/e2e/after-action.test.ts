import t from 'tap';
import type { Page } from 'playwright-core';
import { createReseller, createResellerStaff, createTenant, createUser } from '../helpers/fixtures.ts';
import { clickThrough, field, linkIn, logIn, noChromium, nthMailTo, SELECTED_BLUE, backgroundOf, setPasswordThroughLink, sharedWorld } from './helpers.ts';

// A real browser and server per file: allow more than the suite's 120 s per file on a loaded machine.
t.setTimeout(240_000);

// What a newcomer sees after an action: the normal list at the page that holds the row, the row
// marked, a message that says what happened; the status buttons that say what they do; and the
// calm mail after the first password. In Chromium with JavaScript off.

const world = sharedWorld(t);

/** The rows' labels (the names next to the radios) on the page, in order. */
function rowNames(page: Page): Promise<string[]> {
  return page.locator('tbody tr td label').allTextContents();
}

t.test('after Neu → Speichern the Mandanten list opens at the page holding the new row, marked, with the whole list around it', { skip: noChromium }, async (t) => {
  const { portal, audit, visitor } = await world();
  const reseller = await createReseller(portal.db, 'Listen IT GmbH');
  const staff = await createResellerStaff(portal.db, reseller.id, { firstName: 'Lisa', lastName: 'Liste', email: 'lisa@listen-it.example' });
  // 55 Mandanten "Firma 01" … "Firma 55": more than one page of 50.
  for (let i = 1; i <= 55; i++) await createTenant(portal.db, reseller.id, `Firma ${String(i).padStart(2, '0')}`, `K-${2000 + i}`);
  const page = await visitor();
  await logIn(page, staff.login, staff.password!);

  await clickThrough(page, page.getByRole('link', { name: 'Neu', exact: true }));
  await field(page, 'Firma').fill('Firma 53a');
  await field(page, 'Straße und Hausnummer').fill('Listenweg 1');
  await field(page, 'PLZ').fill('24103');
  await field(page, 'Ort').fill('Kiel');
  await clickThrough(page, page.getByRole('button', { name: 'Speichern' }));

  t.equal(
    await page.getByRole('status').textContent(),
    'Mandant „Firma 53a“ angelegt und in der Liste markiert. Um seine Anwender anzulegen, klicke auf „Als ausgewählter Mandant arbeiten“.',
    'the message says what happened and what comes next, not "Wähle ihn aus"',
  );
  t.equal(await page.getByRole('searchbox').inputValue(), '', 'no search is filled in');
  t.match(await page.locator('.count').textContent(), '56 Einträge', 'the count is the whole list, not "1 Treffer"');
  t.match(await page.getByRole('navigation', { name: 'Seiten' }).textContent(), 'Seite 2 von 2', 'the list opens at page 2, where the row sorts');
  t.same(await rowNames(page), ['Firma 51', 'Firma 52', 'Firma 53', 'Firma 53a', 'Firma 54', 'Firma 55'], 'the neighbours are there too');
  const row = page.getByRole('row').filter({ has: page.getByRole('radio', { name: 'Firma 53a' }) });
  t.ok(await page.getByRole('radio', { name: 'Firma 53a' }).isChecked(), 'its radio is checked: the next button acts on it');
  t.equal(await backgroundOf(row), SELECTED_BLUE, 'its row is marked blue');

  // "Bearbeiten" → "Speichern": back at the same page, the row still marked.
  await clickThrough(page, page.getByRole('button', { name: 'Bearbeiten' }));
  await clickThrough(page, page.getByRole('button', { name: 'Speichern' }));
  t.equal(await page.getByRole('status').textContent(), 'Mandant „Firma 53a“ gespeichert.');
  t.ok(await page.getByRole('radio', { name: 'Firma 53a' }).isChecked(), 'after saving, the row is marked again');
  t.equal((await rowNames(page)).length, 6, 'on the page that holds it');

  await audit.check(t);
});

t.test('Anwender: link sent (invitation again, replacement link), status buttons that say what they do, the not-applicable one explained', { skip: noChromium }, async (t) => {
  const { portal, audit, visitor } = await world();
  const reseller = await createReseller(portal.db, 'Status IT GmbH');
  const staff = await createResellerStaff(portal.db, reseller.id, { firstName: 'Sina', lastName: 'Status', email: 'sina@status-it.example' });
  const tenant = await createTenant(portal.db, reseller.id, 'Werft Jensen KG', 'K-3001');
  await createUser(portal.db, tenant, { firstName: 'Anna', lastName: 'Aktiv', email: 'anna@werft.example' });
  await createUser(portal.db, tenant, { firstName: 'Nils', lastName: 'Neu', email: 'nils@werft.example', password: null });
  await createUser(portal.db, tenant, { firstName: 'Zoe', lastName: 'Zuletzt', email: 'zoe@werft.example' });
  const page = await visitor();
  await logIn(page, staff.login, staff.password!);
  await page.getByRole('radio', { name: 'Werft Jensen KG' }).check();
  await clickThrough(page, page.getByRole('button', { name: 'Als ausgewählter Mandant arbeiten' }));
  await clickThrough(page, page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Anwender' }));

  // Nils has no password yet: the link is his invitation again.
  await page.getByRole('radio', { name: 'Neu, Nils' }).check();
  await clickThrough(page, page.getByRole('button', { name: '(Ersatz-) Passwort-Link versenden' }));
  const invitationAgain = (await page.getByRole('status').textContent()) ?? '';
  t.match(invitationAgain, 'Die Einladung für Nils Neu ist noch einmal an nils@werft.example unterwegs');
  t.notMatch(invitationAgain, 'bisherige Passwort', 'no word of a password he does not have');
  t.same(await rowNames(page), ['Aktiv, Anna', 'Neu, Nils', 'Zuletzt, Zoe'], 'the whole list, not a search result');
  t.ok(await page.getByRole('radio', { name: 'Neu, Nils' }).isChecked(), 'his row stays marked');
  t.match(await page.locator('.count').textContent(), '3 Einträge');

  // Anna has a password: a replacement link, and her password keeps working.
  await page.getByRole('radio', { name: 'Aktiv, Anna' }).check();
  await clickThrough(page, page.getByRole('button', { name: '(Ersatz-) Passwort-Link versenden' }));
  t.equal(await page.getByRole('status').textContent(), 'Ein Ersatz-Link für Anna Aktiv ist an anna@werft.example unterwegs. Das bisherige Passwort gilt weiter, bis der Link benutzt wird.');

  // The buttons say what they do; the status column says which applies.
  t.ok(await page.getByRole('button', { name: 'Deaktivieren (Anmeldung sperren)' }).isVisible());
  t.ok(await page.getByRole('button', { name: 'Aktivieren (Anmeldung wieder erlauben)' }).isVisible());
  const zoeRow = page.getByRole('row').filter({ has: page.getByRole('radio', { name: 'Zuletzt, Zoe' }) });
  await page.getByRole('radio', { name: 'Zuletzt, Zoe' }).check();
  await clickThrough(page, page.getByRole('button', { name: 'Deaktivieren (Anmeldung sperren)' }));
  t.match(await page.getByRole('status').textContent(), 'Zoe Zuletzt ist deaktiviert');
  t.match(await zoeRow.textContent(), 'Deaktiviert – Anmeldung gesperrt', 'the status column says it');

  // Choosing the one that does not apply: a clear message, nothing changed, the row still marked.
  await clickThrough(page, page.getByRole('button', { name: 'Deaktivieren (Anmeldung sperren)' }));
  t.equal(
    (await page.getByRole('alert').textContent())?.trim(),
    'Zoe Zuletzt ist bereits deaktiviert: Es hat sich nichts geändert. Um die Anmeldung wieder zu erlauben, wähle „Aktivieren (Anmeldung wieder erlauben)“.',
  );
  t.ok(await page.getByRole('radio', { name: 'Zuletzt, Zoe' }).isChecked(), 'her row stays marked');
  await clickThrough(page, page.getByRole('button', { name: 'Aktivieren (Anmeldung wieder erlauben)' }));
  t.match(await page.getByRole('status').textContent(), 'Zoe Zuletzt ist wieder aktiv.');

  await audit.check(t);
});

t.test('the first password gets a calm welcome mail; a real change later gets the alarm', { skip: noChromium }, async (t) => {
  const { portal, audit, visitor } = await world();
  const reseller = await createReseller(portal.db, 'Mail IT GmbH');
  const staff = await createResellerStaff(portal.db, reseller.id, { firstName: 'Mia', lastName: 'Mail', email: 'mia@mail-it.example' });
  const tenant = await createTenant(portal.db, reseller.id, 'Hafenbäckerei GmbH', 'K-4001');
  const page = await visitor();
  await logIn(page, staff.login, staff.password!);
  await page.getByRole('radio', { name: 'Hafenbäckerei GmbH' }).check();
  await clickThrough(page, page.getByRole('button', { name: 'Als ausgewählter Mandant arbeiten' }));
  await clickThrough(page, page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Anwender' }));
  await clickThrough(page, page.getByRole('link', { name: 'Neu', exact: true }));
  await field(page, 'Vorname').fill('Paul');
  await field(page, 'Nachname').fill('Petersen');
  await field(page, 'E-Mail-Adresse').fill('paul@hafenbaeckerei.example');
  await clickThrough(page, page.getByRole('button', { name: 'Speichern' }));
  t.ok(await page.getByRole('radio', { name: 'Petersen, Paul' }).isChecked(), 'the new Anwender is marked in the list');
  t.equal(tenant.name, 'Hafenbäckerei GmbH');

  const invitation = await nthMailTo(portal.smtp, 'paul@hafenbaeckerei.example', 1);
  t.match(invitation.text, /^Hallo Paul,\n/, 'greeted by first name');
  t.match(invitation.text, 'Dein Login: paul.petersen', '"Dein Login" starts with a capital');
  t.match(invitation.text, 'Viele Grüße\nDein AgileAS-Team');

  const paul = await visitor();
  await setPasswordThroughLink(paul, linkIn(invitation), 'Krabbenbrötchen am Kai');
  const welcome = await nthMailTo(portal.smtp, 'paul@hafenbaeckerei.example', 2);
  t.equal(welcome.subject, 'Willkommen bei AgileAS: dein Passwort ist gespeichert', 'the first password: a welcome');
  t.notMatch(welcome.text, 'Warst du das nicht', 'no alarm for the first password');
  t.notMatch(welcome.text, 'sofort', 'nothing urgent');
  t.match(welcome.text, 'Dein Login: paul.petersen');

  // A real change on "Mein Konto": the alarm wording stays.
  await logIn(paul, 'paul.petersen', 'Krabbenbrötchen am Kai');
  await paul.goto('/meine-anwendungen');
  await field(paul, 'Aktuelles Passwort').fill('Krabbenbrötchen am Kai');
  await field(paul, 'Neues Passwort').fill('Fischbrötchen an der Förde');
  await field(paul, 'Neues Passwort wiederholen').fill('Fischbrötchen an der Förde');
  await clickThrough(paul, paul.getByRole('button', { name: 'Passwort ändern' }));
  const changed = await nthMailTo(portal.smtp, 'paul@hafenbaeckerei.example', 3);
  t.equal(changed.subject, 'Dein Passwort wurde geändert');
  t.match(changed.text, 'Warst du das nicht? Dann wende dich bitte sofort an den Support');

  await audit.check(t);
});
