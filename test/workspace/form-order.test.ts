import t from 'tap';
import { startTestApp } from '../helpers/app.ts';
import { visibleText } from '../helpers/browser.ts';
import { createOperator, createReseller, createResellerStaff, createTenant, signIn } from '../helpers/fixtures.ts';
import { companyForm, formularOf, workAs } from './helpers.ts';

// A refused form (no JavaScript): the error summary lists the fields in the order of the form,
// and the first wrong field carries `autofocus`, so the cursor is where the fixing starts.

/** The ids the error summary links to, in its order. */
function summaryTargets(html: string): string[] {
  const summary = /<div class="error-summary"[\s\S]*?<\/div>/.exec(html)?.[0] ?? '';
  return [...summary.matchAll(/href="#f-([^"]+)"/g)].map((m) => m[1]!);
}

/** The ids of the form controls that carry `autofocus`. */
function autofocused(html: string): string[] {
  return [...html.matchAll(/<(?:input|select|textarea)\b[^>]*>/g)].filter((m) => /\sautofocus[\s>]/.test(m[0])).map((m) => /id="f-([^"]+)"/.exec(m[0])?.[1] ?? '?');
}

t.test('Mandant form: summary in form order (PLZ before Ort), autofocus on the first wrong field', async (t) => {
  const { app, db } = await startTestApp(t);
  const reseller = await createReseller(db);
  const staff = await signIn(app, await createResellerStaff(db, reseller.id));

  let page = await staff.get('/mandanten/neu');
  t.same(autofocused(page.body), ['name'], 'a fresh form starts at Firma');

  page = await staff.post('/mandanten', companyForm({ formular: formularOf(page.body), street: '', postalCode: '1234', city: '', phone: 'abc' }));
  t.equal(page.status, 422);
  t.same(summaryTargets(page.body), ['street', 'postalCode', 'city', 'phone'], 'Straße, PLZ, Ort, Telefon: the order of the form, whatever order they were checked in');
  t.same(autofocused(page.body), ['street'], 'the cursor starts at the first wrong field, not at Firma');

  page = await staff.post('/mandanten', companyForm({ formular: formularOf(page.body), city: '' }));
  t.same(summaryTargets(page.body), ['city'], 'only Ort is wrong');
  t.same(autofocused(page.body), ['city'], 'and Ort has the focus');
  t.match(visibleText(page.body), 'Bitte prüfe deine Eingaben:');
});

t.test('Anwender form: only the e-mail wrong → the e-mail field has the focus, not Vorname', async (t) => {
  const { app, db } = await startTestApp(t);
  const reseller = await createReseller(db);
  const tenant = await createTenant(db, reseller.id);
  const staff = await signIn(app, await createResellerStaff(db, reseller.id));
  await workAs(staff, tenant.id);
  let page = await staff.get('/anwender/neu');
  t.same(autofocused(page.body), ['firstName'], 'a fresh form starts at Vorname');
  page = await staff.post('/anwender', { formular: formularOf(page.body), firstName: 'Jörg', lastName: '', email: 'joerg@' });
  t.equal(page.status, 422);
  t.same(summaryTargets(page.body), ['lastName', 'email']);
  t.same(autofocused(page.body), ['lastName'], 'the first wrong field');
  page = await staff.post('/anwender', { formular: formularOf(page.body), firstName: 'Jörg', lastName: 'Müller', email: 'joerg@' });
  t.same(autofocused(page.body), ['email'], 'only the e-mail is wrong');
});

t.test('reseller page: the staff form and the company form focus their own first wrong field', async (t) => {
  const { app, db } = await startTestApp(t);
  const reseller = await createReseller(db);
  const operator = await signIn(app, await createOperator(db));
  await operator.get(`/reseller/${reseller.id}`);
  let page = await operator.post(`/reseller/${reseller.id}/mitarbeiter`, { firstName: 'Rita', lastName: '', email: '' });
  t.equal(page.status, 422);
  t.same(summaryTargets(page.body), ['staff-lastName', 'staff-email']);
  t.same(autofocused(page.body), ['staff-lastName'], 'the staff form’s first wrong field, nothing in the company form');
  page = await operator.post(`/reseller/${reseller.id}`, companyForm({ postalCode: '', city: '' }));
  t.equal(page.status, 422);
  t.same(summaryTargets(page.body), ['postalCode', 'city']);
  t.same(autofocused(page.body), ['postalCode']);
});
