import t from 'tap';
import { AxeAudit, clickThrough, field, launchBrowser, logOut, newVisitor, noChromium, spawnPortal } from './helpers.ts';

// A first start initialises an empty embedded database (~25 s here): more than the suite's 120 s per file may pass under load.
t.setTimeout(300_000);

// Flow 1: the very first start. `node src/server.ts` on an empty database prints a one-time
// setup link; the first operator opens it, enters name, e-mail and a password twice, and logs in
// with the login the portal shows.

t.test('first start: the setup link from the console creates the first operator, who logs in and out', { skip: noChromium }, async (t) => {
  const portal = await spawnPortal(t);
  t.match(portal.stdout(), `AgileAS Reseller-Portal läuft: ${portal.base}/`, 'the console says the portal runs and where');
  t.match(portal.stdout(), process.env.DATABASE_URL ? '(Datenbank: PostgreSQL)' : '(Datenbank: eingebettet in', 'on the database this run is for');
  t.match(portal.setupLink, `${portal.base}/einrichtung/`, 'the setup link points at BASE_URL');

  const browser = await launchBrowser(t);
  const audit = new AxeAudit(browser);
  const page = await newVisitor(browser, portal.base, audit);

  await page.goto(portal.setupLink);
  t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Ersten Betriebs-Zugang einrichten');
  await field(page, 'Vorname').fill('Erika');
  await field(page, 'Nachname').fill('Muster');
  await field(page, 'E-Mail-Adresse').fill('erika.muster@okit.example');
  await field(page, 'Neues Passwort').fill('Leuchtturm am Deich 2026');
  await field(page, 'Neues Passwort wiederholen').fill('Leuchtturm am Deich 2026');
  await clickThrough(page, page.getByRole('button', { name: 'Zugang anlegen' }));

  t.equal(new URL(page.url()).pathname, '/anmelden', 'after setup the login page');
  const flash = (await page.getByRole('status').textContent()) ?? '';
  const login = /Dein Login lautet „([^“]+)“/.exec(flash)?.[1];
  t.equal(login, 'erika.muster', `the flash shows the login (${flash})`);

  await field(page, 'Login').fill(login ?? '');
  await field(page, 'Passwort').fill('Leuchtturm am Deich 2026');
  await clickThrough(page, page.getByRole('button', { name: 'Anmelden' }));
  t.match(await page.locator('header').textContent(), 'Angemeldet als Erika Muster (erika.muster) · Betrieb (Support)', 'logged in as the new operator');
  t.ok(await page.getByRole('navigation', { name: 'Hauptnavigation' }).getByRole('link', { name: 'Reseller' }).isVisible(), 'the operator sees the Reseller tab');

  await logOut(page);
  t.equal(new URL(page.url()).pathname, '/anmelden');
  t.equal(await page.getByRole('status').textContent(), 'Du bist abgemeldet.');

  // The setup link is one-time: a second visit finds it dead.
  await page.goto(portal.setupLink);
  t.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Dieser Einrichtungslink funktioniert nicht mehr');

  await audit.check(t);
});
