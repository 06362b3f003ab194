import t from 'tap';
import { startTestApp } from '../helpers/app.ts';
import { visibleText } from '../helpers/browser.ts';
import { createReseller, createResellerStaff, signIn } from '../helpers/fixtures.ts';

// The Mandant form offers every country of ISO 3166-1 by its German name, Deutschland first and
// the others in German alphabetical order, and checks PLZ and USt-IdNr by that country's rules.

t.test('the Mandant form and every country', async (t) => {
  const { app, db } = await startTestApp(t);
  const reseller = await createReseller(db);
  const rita = await signIn(app, await createResellerStaff(db, reseller.id));

  const form = await rita.get('/mandanten/neu');
  const select = /<select id="f-country"[\s\S]*?<\/select>/.exec(form.body)?.[0] ?? '';
  const options: [string, string][] = [...select.matchAll(/<option value="([A-Z]{2})"[^>]*>([^<]*)<\/option>/g)].map((m) => [m[1]!, m[2]!]);
  t.equal(options.length, 250, 'all 250 countries of ISO 3166-1');
  t.same(options[0], ['DE', 'Deutschland'], 'Deutschland first');
  const rest = options.slice(1).map(([, name]) => name);
  t.same(rest, [...rest].sort((a, b) => a.localeCompare(b, 'de')), 'the others sorted by their German names');
  t.ok(options.some(([code, name]) => code === 'GB' && name === 'Vereinigtes Königreich'));
  t.match(select, '<option value="DE" selected>', 'Deutschland preselected');

  const company = { name: 'London Tea Ltd', customerNumber: 'GB-1', street: '10 Downing Street', city: 'London', country: 'GB' };
  let page = await rita.post('/mandanten', { ...company, postalCode: '24103', vatId: 'DE123456789' });
  t.equal(page.status, 422);
  const shown = visibleText(page.body);
  t.match(shown, 'Die PLZ „24103“ passt nicht zu Vereinigtes Königreich (GB); erwartet: z. B. SW1A 1AA.');
  t.match(shown, 'Die USt-IdNr. „DE123456789“ passt nicht zu Vereinigtes Königreich (GB); erwartet: z. B. GB123456789.');
  t.match(page.body, '<option value="GB" selected>', 'the chosen country is kept');

  page = await rita.post('/mandanten', { ...company, postalCode: 'sw1a 2aa', vatId: 'GB 123 4567 89' });
  t.equal(page.status, 303, 'a British Mandant is saved');
  const stored = await db.selectFrom('tenants').select(['country', 'postal_code', 'vat_id']).where('customer_number', '=', 'GB-1').executeTakeFirstOrThrow();
  t.same(stored, { country: 'GB', postal_code: 'SW1A 2AA', vat_id: 'GB123456789' }, 'PLZ in capitals, USt-IdNr without spaces');

  page = await rita.post('/mandanten', { ...company, customerNumber: 'AQ-1', country: 'AQ', postalCode: 'BIQQ 1ZZ' });
  t.equal(page.status, 303, 'a country without a known PLZ rule: a plausible PLZ is accepted');
  page = await rita.post('/mandanten', { ...company, customerNumber: 'AQ-2', country: 'AQ', postalCode: '#!' });
  t.equal(page.status, 422);
  t.match(visibleText(page.body), 'Die PLZ „#!“ sieht nicht wie eine Postleitzahl aus');
});
