import t from 'tap';
import { createOperator, createReseller, createResellerStaff, createTenant } from '../helpers/fixtures.ts';
import { backgroundOf, clickThrough, cssVariable, field, linkIn, logIn, noChromium, nthMailTo, SELECTED_BLUE, setPasswordThroughLink, sharedWorld } from './helpers.ts';

// A real browser and server per file: allow more than the suite's 120 s per file on a loaded machine.
t.setTimeout(240_000);

// Flows 2 and 3: the operator brings a reseller onto the platform, and a reseller does the
// source page's seven steps, in Chromium with JavaScript off, clicking the labels people read.

const world = sharedWorld(t);

t.test('the operator creates a reseller and its staff account; the staff member sets a password from the mail and logs in', { skip: noChromium }, async (t) => {
  const { portal, audit, visitor } = await world();
  const otto = await createOperator(portal.db);
  const operator = await visitor();
  await logIn(operator, otto.login, otto.password!);

  // Reseller tab → Neu → company data → Speichern.
  await clickThrough(operator, operator.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Reseller' }));
  await clickThrough(operator, operator.getByRole('link', { name: 'Neu', exact: true }));
  t.equal(await operator.getByRole('heading', { level: 1 }).textContent(), 'Neuen Reseller anlegen');
  await field(operator, 'Firma').fill('Nord IT GmbH');
  await field(operator, 'Straße und Hausnummer').fill('Hafenstraße 1');
  await field(operator, 'PLZ').fill('20095');
  await field(operator, 'Ort').fill('Hamburg');
  await clickThrough(operator, operator.getByRole('button', { name: 'Speichern' }));
  t.equal(await operator.getByRole('heading', { level: 1 }).textContent(), 'Nord IT GmbH', 'the new reseller’s page');
  t.match(await operator.getByRole('status').textContent(), 'Reseller „Nord IT GmbH“ angelegt.');

  // The staff account: Vorname, Nachname, E-Mail → "Zugang anlegen".
  const staffForm = operator.locator('form', { has: operator.getByRole('button', { name: 'Zugang anlegen' }) });
  await field(staffForm, 'Vorname').fill('Rita');
  await field(staffForm, 'Nachname').fill('Nordmann');
  await field(staffForm, 'E-Mail-Adresse').fill('rita@nord-it.example');
  await clickThrough(operator, staffForm.getByRole('button', { name: 'Zugang anlegen' }));
  t.match(await operator.getByRole('status').textContent(), 'Zugang angelegt. Login: rita.nordmann. Die Einladung geht an rita@nord-it.example.');
  t.ok(await operator.getByRole('cell', { name: 'rita.nordmann' }).isVisible(), 'the staff table lists the login');

  // Rita opens the link from her mail, sets a password and logs in.
  const invitation = await nthMailTo(portal.smtp, 'rita@nord-it.example', 1);
  t.equal(invitation.subject, 'Dein Zugang zum AgileAS Reseller-Portal: bitte Passwort festlegen', 'reseller staff are invited to the Reseller-Portal');
  const rita = await visitor();
  await rita.goto(linkIn(invitation));
  t.match(await rita.locator('main').textContent(), 'Hier legst du das Passwort für deinen Login „rita.nordmann“ fest.');
  await setPasswordThroughLink(rita, linkIn(invitation), 'Hafenkräne im Nebel 2026');
  t.match(await rita.getByRole('status').textContent(), 'Dein Passwort ist gespeichert.');
  await logIn(rita, 'rita.nordmann', 'Hafenkräne im Nebel 2026');
  t.equal(new URL(rita.url()).pathname, '/mandanten', 'a reseller lands on the Mandanten tab');
  t.match(await rita.locator('header').textContent(), 'Angemeldet als Rita Nordmann (rita.nordmann) · Reseller');

  await audit.check(t);
});

t.test('the source page’s seven steps: select (blue row), work as the Mandant, Neu, select, (Ersatz-) Passwort-Link; the Anwender logs in to Meine Anwendungen', { skip: noChromium }, async (t) => {
  const { portal, audit, visitor } = await world();
  const reseller = await createReseller(portal.db, 'Hanse IT GmbH');
  const staff = await createResellerStaff(portal.db, reseller.id, { firstName: 'Hanna', lastName: 'Hansen', email: 'hanna@hanse-it.example' });
  await createTenant(portal.db, reseller.id, 'Müller Bau GmbH', 'K-1001');
  await createTenant(portal.db, reseller.id, 'Bäckerei Schröder KG', 'K-1002');
  const page = await visitor();
  await logIn(page, staff.login, staff.password!);

  // 1. The Mandanten tab.
  await clickThrough(page, page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Mandanten' }));
  t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Mandanten');

  t.equal(await cssVariable(page, '--selected'), '#d3e3fd', 'the style sheet’s selection blue, which the browser paints as ' + SELECTED_BLUE);

  // 2. Select the Mandant: its whole row turns blue at once, by CSS :has, before any round trip.
  const tenantRow = page.getByRole('row').filter({ has: page.getByRole('radio', { name: 'Müller Bau GmbH' }) });
  const otherRow = page.getByRole('row').filter({ has: page.getByRole('radio', { name: 'Bäckerei Schröder KG' }) });
  t.not(await backgroundOf(tenantRow), SELECTED_BLUE, 'not blue before the selection');
  await page.getByRole('radio', { name: 'Müller Bau GmbH' }).check();
  t.equal(await backgroundOf(tenantRow), SELECTED_BLUE, 'the selected row is the style sheet’s blue before submitting (:has)');
  t.not(await backgroundOf(otherRow), SELECTED_BLUE, 'the other row stays white');
  t.notOk(await tenantRow.evaluate((row) => row.classList.contains('selected')), 'no server mark yet: the blue comes from :has alone');

  // 3. "Als ausgewählter Mandant arbeiten": the server renders the row blue and names the Mandant.
  await clickThrough(page, page.getByRole('button', { name: 'Als ausgewählter Mandant arbeiten' }));
  t.ok(await tenantRow.evaluate((row) => row.classList.contains('selected')), 'the server marks the row as selected');
  t.ok(await page.getByRole('radio', { name: 'Müller Bau GmbH' }).isChecked(), 'and checks its radio');
  t.equal(await backgroundOf(tenantRow), SELECTED_BLUE, 'the server-rendered row is blue after the round trip');
  t.match(await page.locator('header').textContent(), /Ausgewählter Mandant:\s*Müller Bau GmbH \(K-1001\)/, '"Ausgewählter Mandant:" shows on the page');

  // 4. The Anwender tab.
  await clickThrough(page, page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Anwender' }));
  t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Anwender von Müller Bau GmbH');

  // 5. Neu: Vorname, Nachname, E-Mail → Speichern; the login comes from the name.
  await clickThrough(page, page.getByRole('link', { name: 'Neu', exact: true }));
  await field(page, 'Vorname').fill('Jörg');
  await field(page, 'Nachname').fill('Müller');
  await field(page, 'E-Mail-Adresse').fill('joerg@mueller-bau.example');
  await clickThrough(page, page.getByRole('button', { name: 'Speichern' }));
  t.match(await page.getByRole('status').textContent(), 'Anwender angelegt. Login: joerg.mueller.');
  const invitation = await nthMailTo(portal.smtp, 'joerg@mueller-bau.example', 1);

  // 6. Select the new Anwender: blue row at once.
  const userRow = page.getByRole('row').filter({ has: page.getByRole('radio', { name: 'Müller, Jörg' }) });
  await page.getByRole('radio', { name: 'Müller, Jörg' }).check();
  t.equal(await backgroundOf(userRow), SELECTED_BLUE, 'the selected Anwender row is blue before submitting');

  // 7. "(Ersatz-) Passwort-Link versenden".
  await clickThrough(page, page.getByRole('button', { name: '(Ersatz-) Passwort-Link versenden' }));
  t.match(
    await page.getByRole('status').textContent(),
    'Die Einladung für Jörg Müller ist noch einmal an joerg@mueller-bau.example unterwegs, mit einem neuen Link zum Festlegen des Passworts. Der Link der früheren Einladung gilt nicht mehr.',
    'he has no password yet: the invitation again, not a replacement link',
  );
  t.equal(await backgroundOf(userRow), SELECTED_BLUE, 'the Anwender row is still marked after the round trip');

  // Jörg follows the newest link, sets a password, logs in and sees "Meine Anwendungen".
  const replacement = await nthMailTo(portal.smtp, 'joerg@mueller-bau.example', 2);
  t.not(linkIn(replacement), linkIn(invitation), 'a new link, not the old one again');
  const joerg = await visitor();
  await setPasswordThroughLink(joerg, linkIn(replacement), 'Baustelle am Förde-Ufer');
  t.match(await joerg.getByRole('status').textContent(), 'Dein Passwort ist gespeichert. Melde dich jetzt mit deinem Login „joerg.mueller“ an.');
  await logIn(joerg, 'joerg.mueller', 'Baustelle am Förde-Ufer');
  t.equal(await joerg.getByRole('heading', { level: 1 }).textContent(), 'Meine Anwendungen');
  t.equal(new URL(joerg.url()).pathname, '/meine-anwendungen');

  await audit.check(t);
});
