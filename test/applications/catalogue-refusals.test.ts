import t from 'tap';
import { createReseller, createTenant, createUser } from '../helpers/fixtures.ts';
import { applicationTables, auditEvents, fieldError, fieldValue, insertApplication, insertBooking, insertRight, startOperatorSession, validApplication } from './helpers.ts';

// The operator's catalogue: every refusal of the forms, each with its German message at its field,
// the input kept and nothing written.

// Each refusal: 422, the German message at its field, the input kept, nothing written.
const refusals: { name: string; form: Partial<typeof validApplication>; field: keyof typeof validApplication; message: string }[] = [
  { name: 'a missing code', form: { code: '' }, field: 'code', message: 'Bitte gib den Code an.' },
  { name: 'a code with capital letters', form: { code: 'Buchhaltung' }, field: 'code', message: 'Der Code besteht aus 2 bis 40 Zeichen: nur Kleinbuchstaben (a–z), Ziffern und Bindestrich, z. B. buchhaltung.' },
  { name: 'a code of one character', form: { code: 'b' }, field: 'code', message: 'Der Code besteht aus 2 bis 40 Zeichen: nur Kleinbuchstaben (a–z), Ziffern und Bindestrich, z. B. buchhaltung.' },
  { name: 'a code with an underscore', form: { code: 'buch_haltung' }, field: 'code', message: 'Der Code besteht aus 2 bis 40 Zeichen: nur Kleinbuchstaben (a–z), Ziffern und Bindestrich, z. B. buchhaltung.' },
  { name: 'a code of 41 characters', form: { code: 'b'.repeat(41) }, field: 'code', message: 'Bitte höchstens 40 Zeichen eingeben.' },
  { name: 'a missing name', form: { name: '' }, field: 'name', message: 'Bitte gib den Namen an.' },
  { name: 'a name of 101 characters', form: { name: 'N'.repeat(101) }, field: 'name', message: 'Bitte höchstens 100 Zeichen eingeben.' },
  { name: 'a name with a line break', form: { name: 'Buch\nhaltung' }, field: 'name', message: 'Bitte keine Steuerzeichen (z. B. Zeilenumbrüche oder Tabulatoren) verwenden.' },
  { name: 'a description of 301 characters', form: { description: 'd'.repeat(301) }, field: 'description', message: 'Bitte höchstens 300 Zeichen eingeben.' },
  { name: 'a missing launch URL', form: { launchUrl: '' }, field: 'launchUrl', message: 'Bitte gib die Start-URL an.' },
  { name: 'a launch URL without http(s)', form: { launchUrl: 'ftp://files.example/' }, field: 'launchUrl', message: 'Bitte gib eine vollständige Adresse an, die mit https:// oder http:// beginnt, z. B. https://buchhaltung.agileas.de/.' },
  { name: 'a launch URL that is no address', form: { launchUrl: 'https://' }, field: 'launchUrl', message: 'Bitte gib eine vollständige Adresse an, die mit https:// oder http:// beginnt, z. B. https://buchhaltung.agileas.de/.' },
  { name: 'a javascript: launch URL', form: { launchUrl: 'javascript:alert(1)' }, field: 'launchUrl', message: 'Bitte gib eine vollständige Adresse an, die mit https:// oder http:// beginnt, z. B. https://buchhaltung.agileas.de/.' },
  { name: 'a launch URL of 501 characters', form: { launchUrl: `https://x.example/${'a'.repeat(483)}` }, field: 'launchUrl', message: 'Bitte höchstens 500 Zeichen eingeben.' },
  { name: 'missing roles', form: { roles: '' }, field: 'roles', message: 'Bitte gib mindestens eine Rolle an.' },
  { name: 'roles that are only commas', form: { roles: ' , ,' }, field: 'roles', message: 'Bitte gib mindestens eine Rolle an.' },
  { name: 'a role with a space inside', form: { roles: 'nutzer, power user' }, field: 'roles', message: 'Die Rolle „power user“ ist ungültig: Rollen bestehen aus 2 bis 40 Zeichen, nur Kleinbuchstaben (a–z), Ziffern und Bindestrich.' },
  { name: 'a role with capital letters', form: { roles: 'Admin' }, field: 'roles', message: 'Die Rolle „Admin“ ist ungültig: Rollen bestehen aus 2 bis 40 Zeichen, nur Kleinbuchstaben (a–z), Ziffern und Bindestrich.' },
  { name: 'a role named twice', form: { roles: 'nutzer, admin, nutzer' }, field: 'roles', message: 'Die Rolle „nutzer“ steht mehrfach in der Liste. Bitte nenne jede Rolle nur einmal.' },
];

t.test('creating is refused', async (t) => {
  // One app for all refusals: none of them may write anything, which each one checks.
  const { db, operator } = await startOperatorSession(t);
  for (const refusal of refusals) {
    await t.test(`for ${refusal.name}`, async (t) => {
      const before = await applicationTables(db);
      await operator.get('/anwendungen/neu');
      const form = { ...validApplication, ...refusal.form };
      const page = await operator.post('/anwendungen', form);
      t.equal(page.status, 422);
      t.equal(fieldError(page.body, refusal.field), refusal.message);
      if (refusal.field !== 'name') t.equal(fieldValue(page.body, 'name'), validApplication.name, 'the input is kept');
      else t.equal(fieldValue(page.body, 'code'), validApplication.code, 'the input is kept');
      t.same(await applicationTables(db), before, 'nothing written');
      t.same(await auditEvents(db, 'application.created'), []);
    });
  }
});

t.test('creating is refused for a code that exists, whatever its case', async (t) => {
  const { db, operator } = await startOperatorSession(t);
  // An entry written in capitals (e.g. by an older import) still blocks the lower-case code.
  await insertApplication(db, 'CRM', 'Kundenverwaltung');
  await insertApplication(db, 'buchhaltung', 'Buchhaltung');
  const before = await applicationTables(db);
  await operator.get('/anwendungen/neu');
  let page = await operator.post('/anwendungen', { ...validApplication, code: 'crm', name: 'Noch ein CRM' });
  t.equal(page.status, 422);
  t.equal(fieldError(page.body, 'code'), 'Diesen Code hat schon die Anwendung „Kundenverwaltung“ (Groß- und Kleinschreibung zählen nicht).');
  t.equal(fieldValue(page.body, 'name'), 'Noch ein CRM');
  page = await operator.post('/anwendungen', { ...validApplication, name: 'Zweite Buchhaltung' });
  t.equal(page.status, 422);
  t.equal(fieldError(page.body, 'code'), 'Diesen Code hat schon die Anwendung „Buchhaltung“ (Groß- und Kleinschreibung zählen nicht).');
  t.same(await applicationTables(db), before, 'nothing written');
});

t.test('editing is refused for the code of another application', async (t) => {
  const { db, operator } = await startOperatorSession(t);
  await insertApplication(db, 'buchhaltung', 'Buchhaltung');
  const crm = await insertApplication(db, 'crm', 'CRM');
  const before = await applicationTables(db);
  await operator.get(`/anwendungen/${crm.id}/bearbeiten`);
  const page = await operator.post(`/anwendungen/${crm.id}`, { ...validApplication, name: 'CRM' });
  t.equal(page.status, 422);
  t.equal(fieldError(page.body, 'code'), 'Diesen Code hat schon die Anwendung „Buchhaltung“ (Groß- und Kleinschreibung zählen nicht).');
  t.same(await applicationTables(db), before, 'nothing written');
});

t.test('editing is refused for an invalid field, with the input kept', async (t) => {
  const { db, operator } = await startOperatorSession(t);
  const crm = await insertApplication(db, 'crm', 'CRM');
  const before = await applicationTables(db);
  await operator.get(`/anwendungen/${crm.id}/bearbeiten`);
  const page = await operator.post(`/anwendungen/${crm.id}`, { code: 'crm', name: 'CRM neu', launchUrl: 'crm.example', roles: 'nutzer' });
  t.equal(page.status, 422);
  t.equal(fieldError(page.body, 'launchUrl'), 'Bitte gib eine vollständige Adresse an, die mit https:// oder http:// beginnt, z. B. https://buchhaltung.agileas.de/.');
  t.equal(fieldValue(page.body, 'name'), 'CRM neu');
  t.equal(fieldValue(page.body, 'launchUrl'), 'crm.example');
  t.same(await applicationTables(db), before, 'nothing written');
});

t.test('a role that Anwender hold cannot be removed; the message says how many hold it', async (t) => {
  const { db, operator } = await startOperatorSession(t);
  const crm = await insertApplication(db, 'crm', 'CRM', ['nutzer', 'admin']);
  const reseller = await createReseller(db);
  const tenant = await createTenant(db, reseller.id);
  await insertBooking(db, tenant.id, crm.id);
  const users = [
    await createUser(db, tenant, { firstName: 'Anna', lastName: 'Admin', email: 'anna@example.com', password: null }),
    await createUser(db, tenant, { firstName: 'Bert', lastName: 'Admin', email: 'bert@example.com', password: null }),
    await createUser(db, tenant, { firstName: 'Carl', lastName: 'Nutzer', email: 'carl@example.com', password: null }),
  ];
  await insertRight(db, users[0]!.id, crm.id, 'admin');
  await insertRight(db, users[1]!.id, crm.id, 'admin');
  await insertRight(db, users[2]!.id, crm.id, 'nutzer');
  const before = await applicationTables(db);
  await operator.get(`/anwendungen/${crm.id}/bearbeiten`);
  let page = await operator.post(`/anwendungen/${crm.id}`, { code: 'crm', name: 'CRM', launchUrl: crm.launchUrl, roles: 'nutzer' });
  t.equal(page.status, 422);
  t.equal(fieldError(page.body, 'roles'), 'Die Rolle „admin“ haben noch 2 Anwender. Entferne zuerst ihre Zugriffsrechte, dann kannst du die Rolle streichen.');
  t.equal(fieldValue(page.body, 'roles'), 'nutzer', 'the input is kept');
  page = await operator.post(`/anwendungen/${crm.id}`, { code: 'crm', name: 'CRM', launchUrl: crm.launchUrl, roles: 'admin' });
  t.equal(page.status, 422);
  t.equal(fieldError(page.body, 'roles'), 'Die Rolle „nutzer“ hat noch 1 Anwender. Entferne zuerst sein Zugriffsrecht, dann kannst du die Rolle streichen.');
  t.same(await applicationTables(db), before, 'nothing written');
  t.same(await auditEvents(db, 'application.updated'), []);
});
