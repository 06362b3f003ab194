import t from 'tap';
import { HOUR } from '../../src/clock.ts';
import type { Db } from '../../src/db/database.ts';
import { startTestApp } from '../helpers/app.ts';
import { Browser, visibleText } from '../helpers/browser.ts';
import { createReseller, createResellerStaff, createTenant, createUser, type Person, signIn } from '../helpers/fixtures.ts';
import { linkFromMail } from '../helpers/smtp-peer.ts';
import { berlinDateTime, cells, countRows, fieldError, fieldsWithErrors, fieldValue, rowByLabel, tableRows, waitFor, workAs } from './helpers.ts';

// The Anwender tab (issue 3): without a selected Mandant a hint; with one its Anwender with
// Name, Login, E-Mail and a status in words; Neu, Bearbeiten, Deaktivieren, Aktivieren and
// "(Ersatz-) Passwort-Link versenden", each with its German answer.

const NEED_TENANT = 'Bitte wähle zuerst im Tab „Mandanten“ einen Mandanten aus und klicke auf „Als ausgewählter Mandant arbeiten“.';
const NO_SELECTION = 'Bitte wähle zuerst einen Anwender in der Tabelle aus (Auswahlknopf am Anfang der Zeile).';

async function accountByEmail(db: Db, email: string) {
  return db.selectFrom('accounts').selectAll().where('email', '=', email).executeTakeFirstOrThrow();
}

async function newestDeliveryState(db: Db, accountId: string): Promise<string | undefined> {
  const row = await db.selectFrom('mail_deliveries').select('state').where('account_id', '=', accountId).orderBy('created_at', 'desc').orderBy('id', 'desc').executeTakeFirst();
  return row?.state;
}

/** Neu through the real form; returns the new account's row. */
async function createThroughForm(browser: Browser, db: Db, person: { firstName: string; lastName: string; email: string }) {
  await browser.get('/anwender/neu');
  const page = await browser.post('/anwender', person);
  if (page.status !== 303) throw new Error(`creating ${person.email} answered ${page.status}`);
  return accountByEmail(db, person.email);
}

/** The status cell of one Anwender on the Anwender tab. */
async function statusOf(browser: Browser, label: string): Promise<string> {
  const page = await browser.get('/anwender');
  const row = rowByLabel(page.body, label);
  if (!row) throw new Error(`no row "${label}" on the Anwender tab`);
  return cells(row)[4]!;
}

t.test('Anwender tab: the hint without a Mandant, the columns, and every status in words', async (t) => {
  // Retries far apart: a refused delivery stays "retrying" for the whole test.
  const { app, db, smtp, clock } = await startTestApp(t, { MAIL_RETRY_LIMIT: '20' });
  const reseller = await createReseller(db, 'Nord IT GmbH');
  const ritaPerson = await createResellerStaff(db, reseller.id);
  const tenant = await createTenant(db, reseller.id, 'Müller Bau GmbH', 'K-1001');
  let rita = await signIn(app, ritaPerson);

  await t.test('without a selected Mandant every Anwender page shows the German hint and writes nothing', async (t) => {
    const before = await countRows(db, 'accounts');
    for (const [what, page] of [
      ['the list', await rita.get('/anwender')],
      ['Neu', await rita.get('/anwender/neu')],
      ['saving Neu', await rita.post('/anwender', { firstName: 'Jörg', lastName: 'Müller', email: 'joerg@example.com' })],
      ['a selection', await rita.post('/anwender/auswahl', { aktion: 'link' })],
    ] as const) {
      t.equal(page.status, 200, `${what}: the hint page`);
      t.match(visibleText(page.body), NEED_TENANT, `${what}: says to select a Mandant first`);
      t.match(page.body, 'href="/mandanten"', `${what}: with a way to the Mandanten tab`);
    }
    t.equal(await countRows(db, 'accounts'), before, 'no account was created');
  });

  await workAs(rita, tenant.id);

  await t.test('with a Mandant: an empty list says so, then Name, Login, E-Mail, Status', async (t) => {
    let page = await rita.get('/anwender');
    t.match(visibleText(page.body), 'Anwender von Müller Bau GmbH');
    t.match(visibleText(page.body), 'Dieser Mandant hat noch keine Anwender. Lege mit „Neu“ den ersten an.');
    await rita.get('/anwender/neu');
    page = await rita.post('/anwender', { firstName: 'Anna', lastName: 'Aktiv', email: 'anna@mueller-bau.example' });
    t.equal(page.status, 303);
    page = await rita.follow(page);
    t.match(visibleText(page.body), 'Anwender angelegt. Login: anna.aktiv. Die Einladung mit dem Link zum Festlegen des Passworts geht an anna@mueller-bau.example.');
    const head = /<thead>([\s\S]*?)<\/thead>/.exec(page.body)![1]!;
    t.match(visibleText(head), /Name.*Login.*E-Mail.*Status/, 'the column headings');
    const row = rowByLabel(page.body, 'Aktiv, Anna');
    t.ok(row, 'a row "Nachname, Vorname"');
    t.same(cells(row!).slice(1, 4), ['Aktiv, Anna', 'anna.aktiv', 'anna@mueller-bau.example']);
  });

  const anna = await accountByEmail(db, 'anna@mueller-bau.example');

  await t.test('"Eingeladen – Link gültig bis <dd.mm.yyyy hh:mm>" in German local time once the invitation is out', async (t) => {
    await waitFor('the invitation to be sent', async () => (await newestDeliveryState(db, anna.id)) === 'sent');
    const link = await db.selectFrom('password_links').select(['created_at', 'expires_at']).where('account_id', '=', anna.id).executeTakeFirstOrThrow();
    t.equal(link.expires_at.getTime() - link.created_at.getTime(), 72 * HOUR, 'an invitation lives 72 hours');
    const until = berlinDateTime(link.expires_at);
    t.match(until, /^\d\d\.\d\d\.\d{4} \d\d:\d\d$/);
    t.equal(await statusOf(rita, 'Aktiv, Anna'), `Eingeladen – Link gültig bis ${until}`);
  });

  await t.test('"Aktiv" after the password was set with the link', async (t) => {
    const mail = await smtp.waitForMail((m) => m.to.includes('anna@mueller-bau.example'));
    const annaBrowser = new Browser(app);
    await annaBrowser.get(linkFromMail(mail).path);
    const page = await annaBrowser.post(linkFromMail(mail).path, { password: 'Sonnenblumen am Deich 2026', passwordRepeat: 'Sonnenblumen am Deich 2026' });
    t.equal(page.status, 303, 'password set');
    t.equal(await statusOf(rita, 'Aktiv, Anna'), 'Aktiv');
  });

  // Bernd is invited and never answers; Dora is deactivated.
  const bernd = await createThroughForm(rita, db, { firstName: 'Bernd', lastName: 'Bald', email: 'bernd@mueller-bau.example' });
  const dora = await createThroughForm(rita, db, { firstName: 'Dora', lastName: 'Dunkel', email: 'dora@mueller-bau.example' });
  await waitFor('Bernd’s and Dora’s invitations to be sent', async () => (await newestDeliveryState(db, bernd.id)) === 'sent' && (await newestDeliveryState(db, dora.id)) === 'sent');

  await t.test('"Deaktiviert" after Deaktivieren', async (t) => {
    await rita.get('/anwender');
    const page = await rita.post('/anwender/auswahl', { anwender: dora.id, aktion: 'deaktivieren' });
    t.equal(page.status, 303);
    t.equal(await statusOf(rita, 'Dunkel, Dora'), 'Deaktiviert – Anmeldung gesperrt');
  });

  await t.test('"Link abgelaufen" 73 hours after an unanswered invitation', async (t) => {
    t.match(await statusOf(rita, 'Bald, Bernd'), /^Eingeladen – Link gültig bis /, 'before: invited');
    clock.advance(73 * HOUR);
    // The reseller's own session has long timed out too; she signs in again.
    rita = await signIn(app, ritaPerson);
    await workAs(rita, tenant.id);
    t.equal(await statusOf(rita, 'Bald, Bernd'), 'Link abgelaufen');
    t.equal(await statusOf(rita, 'Aktiv, Anna'), 'Aktiv', 'an active Anwender stays active');
    t.equal(await statusOf(rita, 'Dunkel, Dora'), 'Deaktiviert – Anmeldung gesperrt', 'a deactivated one stays deactivated');
  });

  await t.test('"Zustellung fehlgeschlagen – wird wiederholt" while the mail server refuses for now (451)', async (t) => {
    smtp.refuseNext(451, 1000);
    const emil = await createThroughForm(rita, db, { firstName: 'Emil', lastName: 'Eilig', email: 'emil@mueller-bau.example' });
    await waitFor('the delivery to be retrying', async () => (await newestDeliveryState(db, emil.id)) === 'retrying');
    t.equal(await statusOf(rita, 'Eilig, Emil'), 'Zustellung fehlgeschlagen – wird wiederholt');
  });

  await t.test('one list shows every status side by side', async (t) => {
    const page = await rita.get('/anwender');
    const statuses = Object.fromEntries(tableRows(page.body).map((row) => [cells(row)[1], cells(row)[4]]));
    t.same(statuses, {
      'Aktiv, Anna': 'Aktiv',
      'Bald, Bernd': 'Link abgelaufen',
      'Dunkel, Dora': 'Deaktiviert – Anmeldung gesperrt',
      'Eilig, Emil': 'Zustellung fehlgeschlagen – wird wiederholt',
    });
  });
});

t.test('"Link wird zugestellt" while the invitation waits for the mail worker', async (t) => {
  const { app, db } = await startTestApp(t, {}, { startWorker: false });
  const reseller = await createReseller(db, 'Nord IT GmbH');
  const tenant = await createTenant(db, reseller.id, 'Müller Bau GmbH', 'K-1001');
  const rita = await signIn(app, await createResellerStaff(db, reseller.id));
  await workAs(rita, tenant.id);
  const fritz = await createThroughForm(rita, db, { firstName: 'Fritz', lastName: 'Früh', email: 'fritz@mueller-bau.example' });
  t.equal(await newestDeliveryState(db, fritz.id), 'queued', 'the mail is queued, not yet sent');
  t.equal(await statusOf(rita, 'Früh, Fritz'), 'Link wird zugestellt');
});

t.test('Bearbeiten, Deaktivieren, Aktivieren and the (Ersatz-) Passwort-Link', async (t) => {
  const { app, db, smtp } = await startTestApp(t);
  const reseller = await createReseller(db, 'Nord IT GmbH');
  const tenant = await createTenant(db, reseller.id, 'Müller Bau GmbH', 'K-1001');
  const rita = await signIn(app, await createResellerStaff(db, reseller.id));
  await workAs(rita, tenant.id);
  const joerg: Person = await createUser(db, tenant, { firstName: 'Jörg', lastName: 'Müller', email: 'joerg@mueller-bau.example' });
  const accountRow = () => db.selectFrom('accounts').selectAll().where('id', '=', joerg.id).executeTakeFirstOrThrow();

  await t.test('Bearbeiten changes name and e-mail; the login stays', async (t) => {
    await rita.get('/anwender');
    let page = await rita.post('/anwender/auswahl', { anwender: joerg.id, aktion: 'bearbeiten' });
    t.equal(page.location, `/anwender/${joerg.id}/bearbeiten`);
    page = await rita.follow(page);
    t.match(visibleText(page.body), 'Login: joerg.mueller', 'the form shows the login');
    t.match(visibleText(page.body), 'Der Login bleibt unverändert.');
    t.equal(fieldValue(page.body, 'firstName'), 'Jörg');
    page = await rita.post(`/anwender/${joerg.id}`, { firstName: 'Georg', lastName: 'Müller-Lüdenscheidt', email: 'georg@mueller-bau.example' });
    t.equal(page.status, 303);
    const row = await accountRow();
    t.same([row.first_name, row.last_name, row.email, row.login], ['Georg', 'Müller-Lüdenscheidt', 'georg@mueller-bau.example', 'joerg.mueller']);
    page = await rita.follow(page);
    t.match(visibleText(page.body), 'Anwender „Georg Müller-Lüdenscheidt“ gespeichert.');
    const listed = rowByLabel(page.body, 'Müller-Lüdenscheidt, Georg');
    t.same(cells(listed!).slice(1, 4), ['Müller-Lüdenscheidt, Georg', 'joerg.mueller', 'georg@mueller-bau.example']);
    t.match(listed!, /^<tr class="selected">/, 'the saved row is marked');
  });

  await t.test('Deaktivieren: login refused, links revoked, sessions ended; Aktivieren: the old password works again', async (t) => {
    const joergBrowser = await signIn(app, joerg);
    t.equal((await joergBrowser.get('/meine-anwendungen')).status, 200, 'Jörg is signed in');

    // A replacement link is on its way to him (his password keeps working until he uses it).
    await rita.get('/anwender');
    let page = await rita.post('/anwender/auswahl', { anwender: joerg.id, aktion: 'link' });
    t.equal(page.status, 303);
    page = await rita.follow(page);
    t.match(visibleText(page.body), 'Ein Ersatz-Link für Georg Müller-Lüdenscheidt ist an georg@mueller-bau.example unterwegs. Das bisherige Passwort gilt weiter, bis der Link benutzt wird.');
    const mail = await smtp.waitForMail((m) => m.to.includes('georg@mueller-bau.example'));
    const link = linkFromMail(mail).path;
    t.equal((await new Browser(app).get(link)).status, 200, 'the link works before');

    page = await rita.post('/anwender/auswahl', { anwender: joerg.id, aktion: 'deaktivieren' });
    t.equal(page.status, 303);
    page = await rita.follow(page);
    t.match(visibleText(page.body), 'Georg Müller-Lüdenscheidt ist deaktiviert: Anmeldung gesperrt, offene Links ungültig, laufende Sitzungen beendet.');
    t.equal((await accountRow()).status, 'disabled');

    const dead = await new Browser(app).get(link);
    t.equal(dead.status, 410, 'the link is dead');
    t.match(visibleText(dead.body), 'Dieser Link funktioniert nicht mehr');

    const after = await joergBrowser.get('/meine-anwendungen');
    t.equal(after.status, 303, 'his open session is over');
    t.match(after.location ?? '', /^\/anmelden/);
    const sessions = await db.selectFrom('sessions').select('id_hash').where('account_id', '=', joerg.id).execute();
    t.equal(sessions.length, 0, 'no session row of his is left');

    const refused = new Browser(app);
    await refused.get('/anmelden');
    page = await refused.post('/anmelden', { login: 'joerg.mueller', password: joerg.password! });
    t.equal(page.status, 401, 'the right password is refused');
    t.match(visibleText(page.body), 'Login oder Passwort ist falsch, oder das Konto ist nicht aktiv.');

    page = await rita.post('/anwender/auswahl', { anwender: joerg.id, aktion: 'deaktivieren' });
    t.equal(page.status, 409, 'deactivating twice is refused as not applicable');
    t.match(visibleText(page.body), 'Georg Müller-Lüdenscheidt ist bereits deaktiviert: Es hat sich nichts geändert. Um die Anmeldung wieder zu erlauben, wähle „Aktivieren (Anmeldung wieder erlauben)“.', 'and says which button applies');
    t.match(rowByLabel(page.body, 'Müller-Lüdenscheidt, Georg') ?? '', /^<tr class="selected">/, 'with his row marked');

    page = await rita.post('/anwender/auswahl', { anwender: joerg.id, aktion: 'aktivieren' });
    t.equal(page.status, 303);
    page = await rita.follow(page);
    t.match(visibleText(page.body), 'Georg Müller-Lüdenscheidt ist wieder aktiv.');
    t.equal(cells(rowByLabel(page.body, 'Müller-Lüdenscheidt, Georg')!)[4], 'Aktiv');

    const again = new Browser(app);
    await again.get('/anmelden');
    page = await again.post('/anmelden', { login: 'joerg.mueller', password: joerg.password! });
    t.equal(page.status, 303, 'he signs in with his old password');
    t.equal(page.location, '/meine-anwendungen');
    t.equal((await new Browser(app).get(link)).status, 410, 'the revoked link stays dead');
  });

  await t.test('(Ersatz-) Passwort-Link for a deactivated Anwender is refused with the German message', async (t) => {
    await rita.get('/anwender');
    await rita.post('/anwender/auswahl', { anwender: joerg.id, aktion: 'deaktivieren' });
    const links = await countRows(db, 'password_links');
    const deliveries = await countRows(db, 'mail_deliveries');
    await rita.get('/anwender');
    const page = await rita.post('/anwender/auswahl', { anwender: joerg.id, aktion: 'link' });
    t.equal(page.status, 422);
    t.match(visibleText(page.body), 'Für einen deaktivierten Anwender kann kein Link versendet werden. Aktiviere ihn zuerst.');
    t.match(rowByLabel(page.body, 'Müller-Lüdenscheidt, Georg') ?? '', /^<tr class="selected">/, 'the list is shown with his row marked');
    t.equal(await countRows(db, 'password_links'), links, 'no link was issued');
    t.equal(await countRows(db, 'mail_deliveries'), deliveries, 'no mail was queued');
  });

  for (const aktion of ['link', 'bearbeiten', 'deaktivieren', 'aktivieren']) {
    await t.test(`aktion=${aktion} without a selected Anwender → 422 with the explanation, list still shown`, async (t) => {
      const before = await countRows(db, 'audit_events');
      await rita.get('/anwender');
      const page = await rita.post('/anwender/auswahl', { aktion });
      t.equal(page.status, 422);
      t.match(visibleText(page.body), NO_SELECTION);
      t.equal(tableRows(page.body).length, 1, 'the table is shown again');
      t.equal(await countRows(db, 'audit_events'), before, 'nothing happened');
    });
  }
});

// ---------------------------------------------------------------------------------------------

interface Refusal {
  rule: string;
  form: Record<string, string>;
  field: string;
  message: string;
}

const NAME_CHARS = 'Bitte nur Buchstaben, Leerzeichen, Bindestrich, Apostroph und Punkt verwenden; der Name muss mit einem Buchstaben beginnen.';
const CONTROL = 'Bitte keine Steuerzeichen (z. B. Zeilenumbrüche oder Tabulatoren) verwenden.';

const refusals: Refusal[] = [
  { rule: 'Vorname is required', form: { firstName: '' }, field: 'firstName', message: 'Bitte gib den Vornamen an.' },
  { rule: 'Nachname is required', form: { lastName: '' }, field: 'lastName', message: 'Bitte gib den Nachnamen an.' },
  { rule: 'E-Mail is required', form: { email: '' }, field: 'email', message: 'Bitte gib die E-Mail-Adresse an.' },
  { rule: 'a Vorname with digits is refused', form: { firstName: 'Jörg2' }, field: 'firstName', message: NAME_CHARS },
  { rule: 'a Nachname with HTML <b> is refused', form: { lastName: '<b>Müller</b>' }, field: 'lastName', message: NAME_CHARS },
  { rule: 'a Vorname with <script> is refused', form: { firstName: '<script>alert(1)</script>' }, field: 'firstName', message: NAME_CHARS },
  { rule: 'a Nachname starting with = is refused', form: { lastName: '=HYPERLINK("x")' }, field: 'lastName', message: NAME_CHARS },
  { rule: 'a Nachname starting with - is refused', form: { lastName: '-Müller' }, field: 'lastName', message: NAME_CHARS },
  { rule: 'a Vorname starting with @ is refused', form: { firstName: '@Jörg' }, field: 'firstName', message: NAME_CHARS },
  { rule: 'a Vorname starting with + is refused', form: { firstName: '+Jörg' }, field: 'firstName', message: NAME_CHARS },
  { rule: 'a 101-character Vorname is too long', form: { firstName: 'J'.repeat(101) }, field: 'firstName', message: 'Bitte höchstens 100 Zeichen eingeben.' },
  { rule: 'a 101-character Nachname is too long', form: { lastName: 'M'.repeat(101) }, field: 'lastName', message: 'Bitte höchstens 100 Zeichen eingeben.' },
  { rule: 'a control character in the Nachname is refused', form: { lastName: 'Mül\u0007ler' }, field: 'lastName', message: CONTROL },
  { rule: 'an e-mail with CR/LF (header injection) is refused', form: { email: 'joerg@example.com\r\nBcc: alle@example.com' }, field: 'email', message: CONTROL },
  { rule: 'an e-mail without domain is refused', form: { email: 'joerg@' }, field: 'email', message: 'Bitte gib eine gültige E-Mail-Adresse an, z. B. name@firma.de.' },
  { rule: 'an overlong e-mail is refused', form: { email: `${'a'.repeat(250)}@example.com` }, field: 'email', message: 'Bitte höchstens 254 Zeichen eingeben.' },
];

t.test('Anwender form: bad input gets a German message at the field, input kept, nothing written', async (t) => {
  const { app, db, logs } = await startTestApp(t, {}, { startWorker: false });
  const reseller = await createReseller(db, 'Nord IT GmbH');
  const tenant = await createTenant(db, reseller.id, 'Müller Bau GmbH', 'K-1001');
  const rita = await signIn(app, await createResellerStaff(db, reseller.id));
  await workAs(rita, tenant.id);
  const existing = await createUser(db, tenant, { firstName: 'Erika', lastName: 'Muster', email: 'erika@mueller-bau.example', password: null });
  const base = { firstName: 'Jörg', lastName: 'Müller', email: 'joerg@mueller-bau.example' };
  const modes = [
    { label: 'Neu', open: '/anwender/neu', action: '/anwender' },
    { label: 'Bearbeiten', open: `/anwender/${existing.id}/bearbeiten`, action: `/anwender/${existing.id}` },
  ];
  const counts = async () => [await countRows(db, 'accounts'), await countRows(db, 'password_links'), await countRows(db, 'mail_deliveries'), await countRows(db, 'audit_events')];
  const existingRow = () => db.selectFrom('accounts').selectAll().where('id', '=', existing.id).executeTakeFirstOrThrow();

  for (const mode of modes) {
    for (const refusal of refusals) {
      await t.test(`${mode.label}: ${refusal.rule}`, async (t) => {
        const form = { ...base, ...refusal.form };
        const before = await counts();
        const rowBefore = await existingRow();
        await rita.get(mode.open);
        const page = await rita.post(mode.action, form);
        t.equal(page.status, 422, 'the form again (422), not a 500');
        t.equal(fieldError(page.body, refusal.field), refusal.message, `the German message at ${refusal.field}`);
        t.same(fieldsWithErrors(page.body), [refusal.field], 'and at no other field');
        for (const field of ['firstName', 'lastName', 'email'] as const) {
          if (field !== refusal.field) t.equal(fieldValue(page.body, field), form[field], `the input of ${field} is kept`);
        }
        t.notMatch(page.body, /<script>alert|<b>Müller/, 'no submitted HTML comes back unescaped');
        t.same(await counts(), before, 'no account, link, mail or audit event was written');
        t.same(await existingRow(), rowBefore, 'the edited Anwender is unchanged');
      });
    }
  }
  t.same(logs.filter((line) => line.includes('"level":50')), [], 'no error was logged (no 500)');
});

t.test('Anwender list: search by name, login and e-mail, counted, 50 a page', async (t) => {
  const { app, db } = await startTestApp(t);
  const reseller = await createReseller(db, 'Nord IT GmbH');
  const tenant = await createTenant(db, reseller.id, 'Müller Bau GmbH', 'K-1001');
  const rita = await signIn(app, await createResellerStaff(db, reseller.id));
  await db
    .insertInto('accounts')
    .values(
      Array.from({ length: 60 }, (_, i) => ({
        role: 'user',
        reseller_id: reseller.id,
        tenant_id: tenant.id,
        login: `anwender.${i + 1}`,
        first_name: 'Vera',
        last_name: `Nachname ${String(i + 1).padStart(2, '0')}`,
        email: `person${i + 1}@mueller-bau.example`,
      })),
    )
    .execute();
  await workAs(rita, tenant.id);
  const names = (html: string) => tableRows(html).map((row) => cells(row)[1]);

  let page = await rita.get('/anwender');
  t.match(visibleText(page.body), '60 Einträge');
  t.match(visibleText(page.body), 'Seite 1 von 2');
  t.equal(names(page.body).length, 50);
  t.equal(names(page.body)[0], 'Nachname 01, Vera', 'sorted by Nachname, Vorname');
  page = await rita.get('/anwender?seite=2');
  t.same(names(page.body), Array.from({ length: 10 }, (_, i) => `Nachname ${51 + i}, Vera`), 'the second page has the last ten');
  page = await rita.get('/anwender?seite=7');
  t.match(visibleText(page.body), 'Seite 2 von 2', 'a page beyond the end shows the last page');
  t.equal(names(page.body).length, 10);

  for (const search of [
    { by: 'Nachname', q: 'nachname 1', expected: ['Nachname 10, Vera', 'Nachname 11, Vera', 'Nachname 12, Vera', 'Nachname 13, Vera', 'Nachname 14, Vera', 'Nachname 15, Vera', 'Nachname 16, Vera', 'Nachname 17, Vera', 'Nachname 18, Vera', 'Nachname 19, Vera'] },
    { by: 'Login', q: 'anwender.42', expected: ['Nachname 42, Vera'] },
    { by: 'E-Mail', q: 'PERSON7@', expected: ['Nachname 07, Vera'] },
    { by: 'nothing', q: 'Nirgendwo', expected: [] },
  ]) {
    page = await rita.get(`/anwender?q=${encodeURIComponent(search.q)}`);
    t.same(names(page.body), search.expected, `search by ${search.by}: "${search.q}"`);
    t.match(visibleText(page.body), search.expected.length === 1 ? '1 Treffer' : `${search.expected.length} Treffer`, `and its count`);
  }
  page = await rita.get('/anwender?q=vera&seite=5');
  t.match(visibleText(page.body), '60 Treffer', 'a search page beyond the end keeps the count');
  t.match(visibleText(page.body), 'Seite 2 von 2');
  t.equal(names(page.body).length, 10);
});
