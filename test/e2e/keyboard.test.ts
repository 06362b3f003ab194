import t from 'tap';
import { createReseller, createResellerStaff, createTenant } from '../helpers/fixtures.ts';
import { field, navigating, noChromium, sharedWorld, tabTo } from './helpers.ts';

// A real browser and server per file: allow more than the suite's 120 s per file on a loaded machine.
t.setTimeout(240_000);

// Flow 6: keyboard only. The login form and the Anwender "Neu" form are reached, filled and
// sent with Tab, Space and Enter alone; the mouse is never used.

const world = sharedWorld(t);

t.test('keyboard only: the login form and the Anwender "Neu" form are filled and sent with Tab and Enter', { skip: noChromium }, async (t) => {
  const { portal, audit, visitor } = await world();
  const reseller = await createReseller(portal.db);
  const rita = await createResellerStaff(portal.db, reseller.id);
  await createTenant(portal.db, reseller.id, 'Müller Bau GmbH', 'K-1001');
  const page = await visitor();
  const press = (key: string) => navigating(page, () => page.keyboard.press(key));

  // The login form: Tab to the fields, type, Enter sends it.
  await page.goto('/anmelden');
  await tabTo(page, field(page, 'Login'));
  await page.keyboard.type(rita.login);
  await tabTo(page, field(page, 'Passwort'));
  await page.keyboard.type(rita.password!);
  await press('Enter');
  t.equal(new URL(page.url()).pathname, '/mandanten', 'Enter in the password field logs in');

  // Select the Mandant with Space, then Tab to "Als ausgewählter Mandant arbeiten" and press Enter.
  await tabTo(page, page.getByRole('radio', { name: 'Müller Bau GmbH' }));
  await page.keyboard.press('Space');
  t.ok(await page.getByRole('radio', { name: 'Müller Bau GmbH' }).isChecked(), 'Space selects the Mandant');
  await tabTo(page, page.getByRole('button', { name: 'Als ausgewählter Mandant arbeiten' }));
  await press('Enter');
  t.match(await page.locator('header').textContent(), /Ausgewählter Mandant:\s*Müller Bau GmbH/);

  // The Anwender tab and "Neu", both by Tab and Enter.
  await tabTo(page, page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Anwender' }));
  await press('Enter');
  await tabTo(page, page.getByRole('link', { name: 'Neu', exact: true }));
  await press('Enter');
  t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Neuen Anwender für Müller Bau GmbH anlegen');

  // The form: Vorname, Nachname, E-Mail by Tab; Enter sends it.
  await tabTo(page, field(page, 'Vorname'));
  await page.keyboard.type('Zoë');
  await tabTo(page, field(page, 'Nachname'));
  await page.keyboard.type('Ødegård');
  await tabTo(page, field(page, 'E-Mail-Adresse'));
  await page.keyboard.type('zoe@mueller-bau.example');
  await press('Enter');
  t.match(await page.getByRole('status').textContent(), 'Anwender angelegt. Login: zoe.odegard.', 'Enter in the last field creates the Anwender');
  t.ok(await page.getByRole('radio', { name: 'Ødegård, Zoë' }).isVisible(), 'the new Anwender is in the list');

  await audit.check(t);
});
