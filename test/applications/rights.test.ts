import t from 'tap';
import { visibleText } from '../helpers/browser.ts';
import { applicationTables, auditEvents, fieldError, insertRight, rightSelects, rightsOf, startRightsWorld } from './helpers.ts';

// Rights per Anwender: a select per booked application on the Anwender's edit page; only booked
// applications and known roles are accepted (the scope is in rights-scope.test.ts).

const field = (applicationId: string) => `recht-${applicationId}`;

t.test('the Anwender edit page shows a select per booked application with "kein Zugriff" and its roles', async (t) => {
  const { db, joerg, buchhaltung, crm, browser } = await startRightsWorld(t);
  await insertRight(db, joerg.id, crm.id, 'admin');
  const page = await browser.get(`/anwender/${joerg.id}/bearbeiten`);
  t.equal(page.status, 200);
  t.match(visibleText(page.body), 'Zugriffsrechte');
  t.same(rightSelects(page.body), {
    [field(buchhaltung.id)]: { options: ['', 'nutzer', 'pruefer', 'admin'], selected: '' },
    [field(crm.id)]: { options: ['', 'nutzer', 'admin'], selected: 'admin' },
  }, 'Lohn is not booked and has no select');
  t.match(page.body, '<option value="" selected>kein Zugriff</option>');
  t.match(page.body, `action="/anwender/${joerg.id}/zugriffsrechte"`);
});

t.test('without bookings the section says how to book first', async (t) => {
  const { db, tenant, joerg, buchhaltung, crm, browser } = await startRightsWorld(t);
  await db.deleteFrom('tenant_applications').where('tenant_id', '=', tenant.id).where('application_id', 'in', [buchhaltung.id, crm.id]).execute();
  const page = await browser.get(`/anwender/${joerg.id}/bearbeiten`);
  t.match(visibleText(page.body), 'Dieser Mandant hat noch keine Anwendungen gebucht.');
  t.same(rightSelects(page.body), {});
});

t.test('saving sets and removes rights; rights.changed lists code → role with the Anwender as subject', async (t) => {
  const { db, rita, reseller, tenant, joerg, buchhaltung, crm, browser } = await startRightsWorld(t);
  await insertRight(db, joerg.id, crm.id, 'admin');
  await browser.get(`/anwender/${joerg.id}/bearbeiten`);
  let page = await browser.post(`/anwender/${joerg.id}/zugriffsrechte`, { [field(buchhaltung.id)]: 'pruefer', [field(crm.id)]: '' });
  t.equal(page.status, 303);
  t.equal(page.location, `/anwender/${joerg.id}/bearbeiten`);
  t.same(await rightsOf(db, joerg.id), { buchhaltung: 'pruefer' });
  page = await browser.follow(page);
  t.match(visibleText(page.body), 'Zugriffsrechte von Jörg Müller gespeichert.');
  t.same(rightSelects(page.body)[field(buchhaltung.id)]?.selected, 'pruefer');
  t.same(rightSelects(page.body)[field(crm.id)]?.selected, '');

  const [event] = await auditEvents(db, 'rights.changed');
  t.same(
    [event?.subject_account_id, event?.actor_account_id, event?.reseller_id, event?.tenant_id, event?.details],
    [joerg.id, rita.id, reseller.id, tenant.id, { rights: { buchhaltung: 'pruefer', crm: null }, support: false }],
  );

  // The same choice again: nothing changes, no event.
  page = await browser.post(`/anwender/${joerg.id}/zugriffsrechte`, { [field(buchhaltung.id)]: 'pruefer', [field(crm.id)]: '' });
  t.equal(page.status, 303);
  t.equal((await auditEvents(db, 'rights.changed')).length, 1);
  t.match(visibleText((await browser.follow(page)).body), 'Zugriffsrechte von Jörg Müller unverändert.');

  // A role change within one application.
  page = await browser.post(`/anwender/${joerg.id}/zugriffsrechte`, { [field(buchhaltung.id)]: 'admin', [field(crm.id)]: 'nutzer' });
  t.same(await rightsOf(db, joerg.id), { buchhaltung: 'admin', crm: 'nutzer' });
  t.same((await auditEvents(db, 'rights.changed'))[1]?.details.rights, { buchhaltung: 'admin', crm: 'nutzer' });
});

t.test('a role in an application that is not booked is refused at its select; nothing written', async (t) => {
  const { db, joerg, buchhaltung, lohn, browser } = await startRightsWorld(t);
  const before = await applicationTables(db);
  await browser.get(`/anwender/${joerg.id}/bearbeiten`);
  const page = await browser.post(`/anwender/${joerg.id}/zugriffsrechte`, { [field(buchhaltung.id)]: 'nutzer', [field(lohn.id)]: 'nutzer' });
  t.equal(page.status, 422);
  t.equal(fieldError(page.body, field(lohn.id)), '„Lohn“ ist für diesen Mandanten nicht (mehr) gebucht. Zugriffsrechte gibt es nur in gebuchten Anwendungen; wähle „kein Zugriff“.');
  t.equal(fieldError(page.body, field(buchhaltung.id)), null);
  t.same(rightSelects(page.body)[field(buchhaltung.id)]?.selected, 'nutzer', 'the other choice is kept');
  t.same(await applicationTables(db), before, 'nothing written, not even the valid Buchhaltung right');
  t.same(await auditEvents(db, 'rights.changed'), []);
});

t.test('a role the application does not know is refused at its select; nothing written', async (t) => {
  const { db, joerg, buchhaltung, crm, browser } = await startRightsWorld(t);
  await insertRight(db, joerg.id, crm.id, 'nutzer');
  const before = await applicationTables(db);
  await browser.get(`/anwender/${joerg.id}/bearbeiten`);
  // "pruefer" is a Buchhaltung role, not a CRM one.
  const page = await browser.post(`/anwender/${joerg.id}/zugriffsrechte`, { [field(buchhaltung.id)]: 'admin', [field(crm.id)]: 'pruefer' });
  t.equal(page.status, 422);
  t.equal(fieldError(page.body, field(crm.id)), 'Diese Rolle kennt „CRM“ nicht. Bitte wähle eine Rolle aus der Liste.');
  t.same(rightSelects(page.body)[field(crm.id)]?.selected, 'nutzer', 'the refused select shows the stored role');
  t.same(rightSelects(page.body)[field(buchhaltung.id)]?.selected, 'admin', 'the other choice is kept');
  t.same(await applicationTables(db), before, 'nothing written');
  t.same(await auditEvents(db, 'rights.changed'), []);
});

t.test('a repeated select field counts as an unknown role; nothing written', async (t) => {
  const { db, joerg, crm, browser } = await startRightsWorld(t);
  const before = await applicationTables(db);
  await browser.get(`/anwender/${joerg.id}/bearbeiten`);
  const response = await browser.app.inject({
    method: 'POST',
    url: `/anwender/${joerg.id}/zugriffsrechte`,
    headers: { host: 'portal.test', origin: 'http://portal.test', 'content-type': 'application/x-www-form-urlencoded', cookie: browser.cookieHeader() },
    payload: new URLSearchParams([['_csrf', browser.csrfToken!], [field(crm.id), 'nutzer'], [field(crm.id), 'admin']]).toString(),
  });
  t.equal(response.statusCode, 422);
  t.equal(fieldError(response.body, field(crm.id)), 'Diese Rolle kennt „CRM“ nicht. Bitte wähle eine Rolle aus der Liste.');
  t.same(await applicationTables(db), before, 'nothing written');
});

t.test('an application that does not exist is refused with a German message; nothing written', async (t) => {
  const { db, joerg, buchhaltung, browser } = await startRightsWorld(t);
  const before = await applicationTables(db);
  await browser.get(`/anwender/${joerg.id}/bearbeiten`);
  for (const bogus of ['00000000-0000-4000-8000-000000000000', 'buchhaltung']) {
    const page = await browser.post(`/anwender/${joerg.id}/zugriffsrechte`, { [field(buchhaltung.id)]: 'nutzer', [field(bogus)]: 'nutzer' });
    t.equal(page.status, 422);
    t.match(visibleText(page.body), 'Das Formular nennt eine Anwendung, die es nicht (mehr) gibt.');
  }
  t.same(await applicationTables(db), before, 'nothing written');
});
