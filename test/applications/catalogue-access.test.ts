import t from 'tap';
import { startTestApp } from '../helpers/app.ts';
import { createOperator, createReseller, createResellerStaff, createTenant, createUser, signIn } from '../helpers/fixtures.ts';
import { applicationTables, auditEvents, insertApplication, validApplication } from './helpers.ts';

// The catalogue is the operator's alone: every other role gets 403; an unknown id is a 404.

t.test('a reseller and an Anwender get 403 on every catalogue route, and nothing is written', async (t) => {
  const { app, db } = await startTestApp(t);
  const reseller = await createReseller(db);
  const tenant = await createTenant(db, reseller.id);
  const crm = await insertApplication(db, 'crm', 'CRM');
  const before = await applicationTables(db);
  for (const who of [await createResellerStaff(db, reseller.id), await createUser(db, tenant)]) {
    const browser = await signIn(app, who);
    await browser.get('/konto');
    for (const path of ['/anwendungen', '/anwendungen/neu', `/anwendungen/${crm.id}/bearbeiten`]) {
      const page = await browser.get(path);
      t.equal(page.status, 403, `${who.role} GET ${path}`);
    }
    let page = await browser.post('/anwendungen', validApplication);
    t.equal(page.status, 403, `${who.role} POST /anwendungen`);
    page = await browser.post(`/anwendungen/${crm.id}`, { ...validApplication, code: 'crm' });
    t.equal(page.status, 403, `${who.role} POST /anwendungen/:id`);
    page = await browser.get('/konto');
    t.notMatch(page.body, 'href="/anwendungen"', `${who.role} has no Anwendungen tab`);
  }
  t.same(await applicationTables(db), before, 'nothing written');
});

t.test('an application id that does not exist answers 404 and is audited', async (t) => {
  const { app, db } = await startTestApp(t);
  const otto = await createOperator(db);
  const operator = await signIn(app, otto);
  for (const id of ['00000000-0000-4000-8000-000000000000', 'kein-uuid']) {
    let page = await operator.get(`/anwendungen/${id}/bearbeiten`);
    t.equal(page.status, 404);
    page = await operator.post(`/anwendungen/${id}`, validApplication);
    t.equal(page.status, 404);
  }
  const denied = await auditEvents(db, 'access.denied');
  t.equal(denied.length, 4);
  t.ok(denied.every((event) => event.actor_account_id === otto.id && event.details.kind === 'application'));
  t.equal(await db.selectFrom('applications').select('id').executeTakeFirst(), undefined, 'nothing written');
});
