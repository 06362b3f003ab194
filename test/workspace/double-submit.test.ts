import t from 'tap';
import { startTestApp } from '../helpers/app.ts';
import { createReseller, createResellerStaff, createTenant, signIn } from '../helpers/fixtures.ts';
import { formularOf, workAs } from './helpers.ts';

// Back button and send again, a reload after the post, a double click: the form's one-time id
// makes the second post land on the first result instead of creating a second Anwender.

t.test('sending the same "Neu" form twice creates one Anwender', async (t) => {
  const { app, db } = await startTestApp(t);
  const reseller = await createReseller(db);
  const tenant = await createTenant(db, reseller.id);
  const browser = await signIn(app, await createResellerStaff(db, reseller.id));
  await workAs(browser, tenant.id);

  const form = await browser.get('/anwender/neu');
  const values = { firstName: 'Jörg', lastName: 'Müller', email: 'joerg@mueller.example', formular: formularOf(form.body) };
  const first = await browser.post('/anwender', values);
  const second = await browser.post('/anwender', values);
  t.equal(first.status, 303);
  t.equal(second.status, 303);
  t.equal(second.location, first.location, 'the repeat shows the first result');
  const accounts = await db.selectFrom('accounts').select('login').where('tenant_id', '=', tenant.id).execute();
  t.same(accounts.map((a) => a.login), ['joerg.mueller']);
});

t.test('a double click (two posts at the same moment) creates one Anwender and sends one link', async (t) => {
  const { app, db } = await startTestApp(t, {}, { startWorker: false });
  const reseller = await createReseller(db);
  const tenant = await createTenant(db, reseller.id);
  const browser = await signIn(app, await createResellerStaff(db, reseller.id));
  await workAs(browser, tenant.id);

  const form = await browser.get('/anwender/neu');
  const values = { firstName: 'Anna', lastName: 'Schmidt', email: 'anna@schmidt.example', formular: formularOf(form.body) };
  const answers = await Promise.all([browser.post('/anwender', values), browser.post('/anwender', values)]);
  t.same(answers.map((a) => a.status), [303, 303]);
  t.equal((await db.selectFrom('accounts').select('id').where('tenant_id', '=', tenant.id).execute()).length, 1);
  t.equal((await db.selectFrom('password_links').select('id').execute()).length, 1);

  const list = await browser.get('/anwender');
  const user = await db.selectFrom('accounts').select('id').where('tenant_id', '=', tenant.id).executeTakeFirstOrThrow();
  const link = { anwender: user.id, aktion: 'link', formular: formularOf(list.body) };
  await Promise.all([browser.post('/anwender/auswahl', link), browser.post('/anwender/auswahl', link)]);
  t.equal((await db.selectFrom('password_links').select('id').execute()).length, 2, 'the invitation and exactly one replacement link');
});
