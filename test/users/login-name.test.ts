import { randomUUID } from 'node:crypto';
import t from 'tap';
import { loginBaseFor, toLoginPart } from '../../src/users/login-name.ts';
import { startTestApp } from '../helpers/app.ts';
import { type Browser, visibleText } from '../helpers/browser.ts';
import { createReseller, createResellerStaff, createTenant, createUser, signIn } from '../helpers/fixtures.ts';
import { workAs } from '../workspace/helpers.ts';

// Login generation (issue 3): "vorname.nachname" in lower case; ä→ae, ö→oe, ü→ue, ß→ss, other
// accents dropped (é→e, ł→l), spaces and hyphens kept as "-", anything else dropped; when taken
// "…2", "…3"; unique across the platform whatever the case, even when two resellers create
// the same name at the same moment.

const names: { first: string; last: string; login: string; note?: string }[] = [
  { first: 'Jörg', last: 'Müller', login: 'joerg.mueller' },
  { first: 'Zoë', last: 'Ødegård', login: 'zoe.odegard' },
  { first: 'Hans-Peter', last: 'Groß', login: 'hans-peter.gross' },
  { first: 'Ana María', last: 'de la Cruz', login: 'ana-maria.de-la-cruz' },
  { first: 'Łukasz', last: 'Żółć', login: 'lukasz.zolc' },
  { first: 'Sean', last: "O'Brien", login: 'sean.obrien' },
  { first: 'X', last: 'Ng', login: 'x.ng', note: 'a one-letter first name' },
  { first: 'Renée', last: 'Dupont', login: 'renee.dupont' },
  { first: 'ÄNNE', last: 'STRAUSS', login: 'aenne.strauss', note: 'upper case' },
  { first: 'Siobhán', last: 'D’Arcy', login: 'siobhan.darcy', note: 'a typographic apostrophe' },
  { first: 'Jörg'.normalize('NFD'), last: 'Müller'.normalize('NFD'), login: 'joerg.mueller', note: 'typed decomposed (NFD), as macOS sends it' },
  { first: 'Renée'.normalize('NFD'), last: 'Dupont', login: 'renee.dupont', note: 'é decomposed (NFD)' },
];

const label = (row: (typeof names)[number]) => `${row.first.normalize('NFC')} ${row.last.normalize('NFC')}${row.note ? ` (${row.note})` : ''} → ${row.login}`;

t.test('login base from the name', async (t) => {
  for (const row of names) t.equal(loginBaseFor(row.first, row.last), row.login, label(row));
  t.equal(toLoginPart('Renée'), 'renee', '"Renée" → renee');
  t.equal(toLoginPart('  Hans   Peter  '), 'hans-peter', 'runs of spaces become one "-", none at the ends');
  t.equal(loginBaseFor('李', '王'), 'anwender', 'a name without any Latin letter falls back to "anwender"');
  for (const [first, last] of [
    ['A'.repeat(59), 'Becker'],
    ['Anna-Lena-Marie-Sophie-Charlotte-Friederike-Luise-Auguste', 'von Hohenzollern-Sigmaringen'],
  ]) {
    const base = loginBaseFor(first!, last!);
    t.ok(base.length <= 60, `at most 60 characters: ${base}`);
    t.notMatch(base, /[.-]$/, `a login cut to length does not end with "." or "-": ${base}`);
  }
});

t.test('logins through the real form: the table, "…2"/"…3" when taken, case-insensitive', async (t) => {
  const { app, db } = await startTestApp(t, {}, { startWorker: false });
  const reseller = await createReseller(db, 'Nord IT GmbH');
  const tenant = await createTenant(db, reseller.id, 'Müller Bau GmbH', 'K-1001');
  const rita = await signIn(app, await createResellerStaff(db, reseller.id));
  await workAs(rita, tenant.id);

  async function create(first: string, last: string): Promise<{ status: number; login: string | null; shown: string }> {
    await rita.get('/anwender/neu');
    const email = `${randomUUID().slice(0, 8)}@mueller-bau.example`;
    const page = await rita.post('/anwender', { firstName: first, lastName: last, email });
    const shown = page.status === 303 ? visibleText((await rita.follow(page)).body) : visibleText(page.body);
    const row = await db.selectFrom('accounts').select('login').where('email', '=', email).executeTakeFirst();
    return { status: page.status, login: row?.login ?? null, shown };
  }

  // The NFD rows repeat NFC names; they are proven above. Here each name once.
  for (const row of names.filter((r) => r.first === r.first.normalize('NFC') && r.last === r.last.normalize('NFC'))) {
    await t.test(label(row), async (t) => {
      const created = await create(row.first, row.last);
      t.equal(created.status, 303, 'created');
      t.equal(created.login, row.login, 'the stored login');
      t.match(created.shown, `Login: ${row.login}.`, 'the confirmation shows the login');
    });
  }

  await t.test('a taken login gets 2, then 3', async (t) => {
    t.equal((await create('Hans', 'Meier')).login, 'hans.meier');
    t.equal((await create('Hans', 'Meier')).login, 'hans.meier2');
    const third = await create('Hans', 'Meier');
    t.equal(third.login, 'hans.meier3');
    t.match(third.shown, 'Login: hans.meier3.');
  });

  await t.test('a decomposed (NFD) "Jörg Müller" is the same name: joerg.mueller2', async (t) => {
    t.equal((await create('Jörg'.normalize('NFD'), 'Müller'.normalize('NFD'))).login, 'joerg.mueller2');
  });

  await t.test('uniqueness ignores case: an existing "Karl.Klein" makes the new one karl.klein2', async (t) => {
    const existing = await createUser(db, tenant, { firstName: 'Karl', lastName: 'Klein', email: 'karl@example.com', password: null });
    await db.updateTable('accounts').set({ login: 'Karl.Klein' }).where('id', '=', existing.id).execute();
    t.equal((await create('Karl', 'Klein')).login, 'karl.klein2');
    await t.rejects(
      db.updateTable('accounts').set({ login: 'KARL.KLEIN2' }).where('id', '=', existing.id).execute(),
      'the database refuses a login that differs only in case',
    );
  });

  await t.test('a longer login starting with the same letters does not count as taken', async (t) => {
    t.equal((await create('Max', 'Mustermann')).login, 'max.mustermann');
    t.equal((await create('Max', 'Muster')).login, 'max.muster');
  });
});

t.test('20 parallel creations of "Jörg Müller" by two resellers: 20 distinct logins, no error', async (t) => {
  const { app, db } = await startTestApp(t, {}, { startWorker: false });
  const browsers: Browser[] = [];
  for (const [name, staffName] of [
    ['Nord IT GmbH', 'Rita'],
    ['Süd Systemhaus GmbH', 'Sabine'],
  ] as const) {
    const reseller = await createReseller(db, name);
    const tenant = await createTenant(db, reseller.id, `Kunde von ${name}`, 'K-1');
    const staff = await createResellerStaff(db, reseller.id, { firstName: staffName, lastName: 'Mitarbeiterin', email: `${staffName.toLowerCase()}@example.com` });
    for (let i = 0; i < 10; i++) {
      const browser = await signIn(app, staff);
      await workAs(browser, tenant.id);
      await browser.get('/anwender/neu');
      browsers.push(browser);
    }
  }

  const pages = await Promise.all(
    browsers.map((browser, i) => browser.post('/anwender', { firstName: 'Jörg', lastName: 'Müller', email: `joerg${i}@example.com`, formular: randomUUID() })),
  );
  t.same(pages.map((p) => p.status), Array(20).fill(303), 'every creation succeeded');
  const accounts = await db.selectFrom('accounts').select(['login', 'email']).where('first_name', '=', 'Jörg').where('last_name', '=', 'Müller').execute();
  t.equal(accounts.length, 20, '20 accounts');
  const expected = ['joerg.mueller', ...Array.from({ length: 19 }, (_, i) => `joerg.mueller${i + 2}`)].sort();
  t.same(accounts.map((a) => a.login).sort(), expected, 'joerg.mueller … joerg.mueller20, each once');
  // Each answer names the login it got and leads to the list with that account's row marked.
  const shown = await Promise.all(pages.map((p, i) => browsers[i]!.follow(p)));
  const shownLogins = shown.map((page) => /Anwender angelegt\. Login: ([a-z0-9.]+)\./.exec(visibleText(page.body))?.[1] ?? null);
  t.same([...shownLogins].sort(), expected, 'each creator is shown the login it got');
  const markedIds = pages.map((p) => new URLSearchParams(p.location?.split('?')[1] ?? '').get('markiert'));
  const idsByLogin = new Map((await db.selectFrom('accounts').select(['id', 'login']).where('first_name', '=', 'Jörg').execute()).map((a) => [a.login, a.id]));
  t.same(markedIds, shownLogins.map((login) => idsByLogin.get(login!)), 'and marks that account’s row');
  const invitations = await db
    .selectFrom('mail_deliveries as d')
    .innerJoin('accounts as a', 'a.id', 'd.account_id')
    .select('a.login')
    .where('d.kind', '=', 'invitation')
    .where('a.first_name', '=', 'Jörg')
    .execute();
  t.same(invitations.map((i) => i.login).sort(), expected, 'one invitation queued for each');
});
