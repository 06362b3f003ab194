import t from 'tap';
import { visibleText } from '../helpers/browser.ts';
import { createReseller, createTenant } from '../helpers/fixtures.ts';
import { auditEvents, fieldValue, insertApplication, insertBooking, startOperatorSession, validApplication } from './helpers.ts';

// The operator's catalogue: the tab, the list, creating and editing (refusals and access are in
// catalogue-refusals.test.ts and catalogue-access.test.ts).

t.test('the operator has an "Anwendungen" tab right after "Reseller"', async (t) => {
  const { operator } = await startOperatorSession(t);
  const page = await operator.get('/reseller');
  const tabs = [...page.body.matchAll(/<nav class="tabs"[\s\S]*?<\/nav>/g)][0]![0];
  const labels = [...tabs.matchAll(/<a href="([^"]+)"/g)].map((m) => m[1]);
  t.same(labels.slice(0, 2), ['/reseller', '/anwendungen']);
});

t.test('the operator creates an application; the catalogue lists code, name, description, roles and the number of bookings', async (t) => {
  const { db, operator, otto } = await startOperatorSession(t);
  await operator.get('/anwendungen/neu');
  let page = await operator.post('/anwendungen', validApplication);
  t.equal(page.status, 303);
  t.equal(page.location, '/anwendungen');
  page = await operator.follow(page);
  const shown = visibleText(page.body);
  t.match(shown, 'Anwendung „Buchhaltung“ angelegt.');
  t.match(shown, 'buchhaltung Buchhaltung Belege, Konten und Auswertungen nutzer, admin 0');

  const stored = await db.selectFrom('applications').selectAll().executeTakeFirstOrThrow();
  t.same(
    { code: stored.code, name: stored.name, description: stored.description, launch_url: stored.launch_url, roles: stored.roles },
    { code: 'buchhaltung', name: 'Buchhaltung', description: 'Belege, Konten und Auswertungen', launch_url: 'https://buchhaltung.agileas.example/', roles: ['nutzer', 'admin'] },
  );
  const [event] = await auditEvents(db, 'application.created');
  t.equal(event?.actor_account_id, otto.id);
  t.match(event?.details, { code: 'buchhaltung', roles: ['nutzer', 'admin'] });

  // The booking count comes from the Mandanten that booked it.
  const reseller = await createReseller(db);
  await insertBooking(db, (await createTenant(db, reseller.id, 'Müller Bau GmbH', 'K-1')).id, stored.id);
  await insertBooking(db, (await createTenant(db, reseller.id, 'Schulz Elektro GmbH', 'K-2')).id, stored.id);
  page = await operator.get('/anwendungen');
  t.match(visibleText(page.body), 'nutzer, admin 2');
});

t.test('the operator edits an application; the form shows the stored values and the change is audited', async (t) => {
  const { db, operator } = await startOperatorSession(t);
  const app = await insertApplication(db, 'crm', 'Kundenverwaltung', ['nutzer']);
  let page = await operator.get(`/anwendungen/${app.id}/bearbeiten`);
  t.equal(page.status, 200);
  t.equal(fieldValue(page.body, 'code'), 'crm');
  t.equal(fieldValue(page.body, 'roles'), 'nutzer');
  page = await operator.post(`/anwendungen/${app.id}`, { code: 'crm', name: 'Kundenverwaltung Plus', description: '', launchUrl: 'http://crm.intern.example/app', roles: 'nutzer,admin,leser' });
  t.equal(page.status, 303);
  page = await operator.follow(page);
  t.match(visibleText(page.body), 'Anwendung „Kundenverwaltung Plus“ gespeichert.');
  const stored = await db.selectFrom('applications').selectAll().where('id', '=', app.id).executeTakeFirstOrThrow();
  t.same([stored.name, stored.description, stored.launch_url, stored.roles], ['Kundenverwaltung Plus', '', 'http://crm.intern.example/app', ['nutzer', 'admin', 'leser']]);
  const [event] = await auditEvents(db, 'application.updated');
  t.match(event?.details, { code: 'crm', changed: ['name', 'description', 'launch_url', 'roles'], rolesAdded: ['admin', 'leser'], rolesRemoved: [] });
});

t.test('the operator removes a role nobody has', async (t) => {
  const { db, operator } = await startOperatorSession(t);
  const app = await insertApplication(db, 'crm', 'CRM', ['nutzer', 'admin']);
  await operator.get(`/anwendungen/${app.id}/bearbeiten`);
  const page = await operator.post(`/anwendungen/${app.id}`, { code: 'crm', name: 'CRM', launchUrl: app.launchUrl, roles: 'nutzer' });
  t.equal(page.status, 303);
  const stored = await db.selectFrom('applications').select('roles').where('id', '=', app.id).executeTakeFirstOrThrow();
  t.same(stored.roles, ['nutzer']);
});
