import t from 'tap';
import { startTestApp } from '../helpers/app.ts';
import { Browser, visibleText } from '../helpers/browser.ts';
import { createOperator, signIn } from '../helpers/fixtures.ts';
import { linkFromMail } from '../helpers/smtp-peer.ts';

// The source page's steps, exactly as a reseller does them, through the real forms: an operator
// creates the reseller and its staff account, the staff member sets a password from the mail,
// then creates a Mandant and an Anwender and sends the (Ersatz-) Passwort-Link.

function radioValue(html: string, label: string, name: string): string {
  const row = html.split('<tr').find((r) => r.includes(`>${label}</label>`));
  const value = row && new RegExp(`name="${name}" value="([^"]+)"`).exec(row);
  if (!value) throw new Error(`no row for ${label}`);
  return value[1]!;
}

t.test('the source page steps from reseller creation to a working Anwender login', async (t) => {
  const { app, db, smtp } = await startTestApp(t);
  const otto = await createOperator(db);
  const operator = await signIn(app, otto);

  // Operator: Reseller tab → Neu → company data → staff account.
  await operator.get('/reseller/neu');
  let page = await operator.post('/reseller', { name: 'Nord IT GmbH', street: 'Hafenstraße 1', postalCode: '20095', city: 'Hamburg', country: 'DE' });
  t.equal(page.status, 303, 'reseller created');
  const resellerPath = page.location!;
  await operator.get(resellerPath);
  page = await operator.post(`${resellerPath}/mitarbeiter`, { firstName: 'Rita', lastName: 'Nordmann', email: 'rita@nord-it.example' });
  t.equal(page.status, 303);
  page = await operator.follow(page);
  t.match(visibleText(page.body), 'Login: rita.nordmann');

  // Rita follows the invitation, sets her password, logs in.
  const invitation = await smtp.waitForMail((m) => m.to.includes('rita@nord-it.example'));
  const rita = new Browser(app);
  await rita.get(linkFromMail(invitation).path);
  page = await rita.post(linkFromMail(invitation).path, { password: 'Hafenkräne im Nebel 2026', passwordRepeat: 'Hafenkräne im Nebel 2026' });
  t.equal(page.status, 303);
  await rita.get('/anmelden');
  page = await rita.post('/anmelden', { login: 'rita.nordmann', password: 'Hafenkräne im Nebel 2026' });
  t.equal(page.location, '/mandanten', 'a reseller lands on the Mandanten tab');

  // Manual creation of a Mandant: first with missing data — the platform says what it needs.
  await rita.get('/mandanten/neu');
  page = await rita.post('/mandanten', { name: 'Müller Bau GmbH', customerNumber: 'K-1001', street: '', postalCode: '2410', city: 'Kiel', country: 'DE' });
  t.equal(page.status, 422);
  t.match(visibleText(page.body), 'Bitte gib Straße und Hausnummer an.');
  t.match(visibleText(page.body), 'Die PLZ „2410“ passt nicht zu Deutschland (DE); erwartet: 5 Ziffern.');
  t.match(page.body, 'value="Müller Bau GmbH"', 'the rest of the input is kept');
  page = await rita.post('/mandanten', { name: 'Müller Bau GmbH', customerNumber: 'K-1001', street: 'Lindenweg 5', postalCode: '24103', city: 'Kiel', country: 'DE' });
  t.equal(page.status, 303);

  // 1. Mandanten tab. 2. select the Mandant. 3. "Als ausgewählter Mandant arbeiten".
  page = await rita.get('/mandanten');
  t.match(visibleText(page.body), 'Als ausgewählter Mandant arbeiten');
  const tenantId = radioValue(page.body, 'Müller Bau GmbH', 'mandant');
  page = await rita.post('/mandanten/auswahl', { mandant: tenantId, aktion: 'arbeiten' });
  t.equal(page.status, 303);
  page = await rita.follow(page);
  t.match(page.body, new RegExp(`<tr class="selected">\\s*<td><input type="radio" name="mandant" value="${tenantId}"[^>]*checked`), 'the whole row is marked');
  t.match(visibleText(page.body), 'Ausgewählter Mandant: Müller Bau GmbH (K-1001)', 'every page shows the selected Mandant');

  // 4. Anwender tab. 5. Neu: name and e-mail; the login comes from the name.
  page = await rita.get('/anwender');
  t.match(visibleText(page.body), 'Anwender von Müller Bau GmbH');
  await rita.get('/anwender/neu');
  page = await rita.post('/anwender', { firstName: 'Jörg', lastName: 'Müller', email: '' });
  t.equal(page.status, 422);
  t.match(visibleText(page.body), 'Bitte gib die E-Mail-Adresse an.');
  page = await rita.post('/anwender', { firstName: 'Jörg', lastName: 'Müller', email: 'joerg@mueller-bau.example' });
  t.equal(page.status, 303);
  page = await rita.follow(page);
  t.match(visibleText(page.body), 'Login: joerg.mueller');
  const invite = await smtp.waitForMail((m) => m.to.includes('joerg@mueller-bau.example'));
  t.match(invite.text, 'joerg.mueller');

  // 6. select the new user (row marked). 7. "(Ersatz-) Passwort-Link versenden".
  const userId = radioValue(page.body, 'Müller, Jörg', 'anwender');
  page = await rita.post('/anwender/auswahl', { anwender: userId, aktion: 'link' });
  t.equal(page.status, 303);
  page = await rita.follow(page);
  t.match(page.body, new RegExp(`<tr class="selected">\\s*<td class="no-print"><input type="radio" name="anwender" value="${userId}"[^>]*checked`));
  // Jörg has no password yet, so the new link is again an invitation; it is the second mail.
  const replacement = await smtp.waitForMail((m) => m !== invite && m.to.includes('joerg@mueller-bau.example'));
  t.not(linkFromMail(replacement).token, linkFromMail(invite).token);

  // The first link is dead (newest wins); the replacement sets the password; the login works.
  const joerg = new Browser(app);
  page = await joerg.get(linkFromMail(invite).path);
  t.equal(page.status, 410, `the invitation was superseded (got ${page.status}: ${visibleText(page.body).slice(0, 120)})`);
  page = await joerg.get(linkFromMail(replacement).path);
  t.equal(page.status, 200);
  page = await joerg.post(linkFromMail(replacement).path, { password: 'Baustelle am Förde-Ufer', passwordRepeat: 'Baustelle am Förde-Ufer' });
  t.equal(page.status, 303);
  await joerg.get('/anmelden');
  page = await joerg.post('/anmelden', { login: 'joerg.mueller', password: 'Baustelle am Förde-Ufer' });
  t.equal(page.location, '/meine-anwendungen');
  page = await rita.get('/anwender');
  t.match(visibleText(page.body), 'Aktiv');
});
