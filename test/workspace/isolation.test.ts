import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t, { type Test } from 'tap';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { type Browser, type Page, visibleText } from '../helpers/browser.ts';
import { createOperator, createReseller, createResellerStaff, createTenant, createUser, type Person, signIn } from '../helpers/fixtures.ts';
import { companyForm, countRows, snapshot, tableRows, workAs } from './helpers.ts';

// Tenant isolation (issue 3): a reseller sees and changes only its own Mandanten and their
// Anwender; every id of another reseller — in a URL, a form, a selection — answers 404 and is
// written to the audit log. The matrix below is generated: every route that takes an id ×
// every role × an object that is not the role's to touch.

const NOT_FOUND = 'Seite nicht gefunden';
const FORBIDDEN = 'Kein Zugriff';

interface World extends TestApp {
  nord: { id: string; name: string };
  sued: { id: string; name: string };
  nordTenant: { id: string; name: string; resellerId: string };
  nordOtherTenant: { id: string; name: string; resellerId: string };
  suedTenant: { id: string; name: string; resellerId: string };
  rita: Person;
  otto: Person;
  nina: Person;
  nordOtherUser: Person;
  suedStaff: Person;
  suedUser: Person;
  suedDisabledUser: Person;
  browsers: Record<RoleKey, Browser>;
}

type RoleKey = 'staff' | 'operator' | 'user';

const roleNames: Record<RoleKey, string> = {
  staff: 'reseller staff of Nord (working as its Mandant)',
  operator: 'operator in support mode for Nord (working as its Mandant)',
  user: 'an Anwender of Nord',
};

/** Texts of the other reseller that must never appear on a page Nord gets. */
const suedSecrets = ['Süd Systemhaus', 'Süd Geheim', 'Südmann', 'Südlich', 'sued-geheim.example'];

async function buildWorld(t: Test): Promise<World> {
  const testApp = await startTestApp(t);
  const { app, db } = testApp;
  const nord = await createReseller(db, 'Nord IT GmbH');
  const sued = await createReseller(db, 'Süd Systemhaus GmbH');
  const nordTenant = await createTenant(db, nord.id, 'Nord Haupt GmbH', 'N-1');
  const nordOtherTenant = await createTenant(db, nord.id, 'Nord Neben GmbH', 'N-2');
  const suedTenant = await createTenant(db, sued.id, 'Süd Geheim GmbH', 'S-1');
  const rita = await createResellerStaff(db, nord.id);
  const otto = await createOperator(db);
  const nina = await createUser(db, nordTenant, { firstName: 'Nina', lastName: 'Nordlicht', email: 'nina@nord-haupt.example' });
  const nordOtherUser = await createUser(db, nordOtherTenant, { firstName: 'Nils', lastName: 'Nebenan', email: 'nils@nord-neben.example', password: null });
  const suedStaff = await createResellerStaff(db, sued.id, { firstName: 'Sabine', lastName: 'Südlich', email: 'sabine@sued-systemhaus.example', password: null });
  const suedUser = await createUser(db, suedTenant, { firstName: 'Sepp', lastName: 'Südmann', email: 'sepp@sued-geheim.example', password: null });
  const suedDisabledUser = await createUser(db, suedTenant, { firstName: 'Susi', lastName: 'Südmann', email: 'susi@sued-geheim.example', password: null });
  await db.updateTable('accounts').set({ status: 'disabled' }).where('id', '=', suedDisabledUser.id).execute();

  const staff = await signIn(app, rita);
  await workAs(staff, nordTenant.id);
  const operator = await signIn(app, otto);
  await operator.get('/reseller');
  const entered = await operator.post(`/reseller/${nord.id}/arbeiten`);
  if (entered.status !== 303) throw new Error(`support mode failed: ${entered.status}`);
  await workAs(operator, nordTenant.id);
  const user = await signIn(app, nina);
  await user.get('/meine-anwendungen');

  return {
    ...testApp,
    nord,
    sued,
    nordTenant,
    nordOtherTenant,
    suedTenant,
    rita,
    otto,
    nina,
    nordOtherUser,
    suedStaff,
    suedUser,
    suedDisabledUser,
    browsers: { staff, operator, user },
  };
}

// ---------------------------------------------------------------------------------------------
// The table of routes. `path` and `body` are built from the target's ids.

interface Ids {
  id: string;
  accountId?: string;
}

interface Target {
  label: string;
  ids: Ids;
  /** Which id the 404 is about (what the audit event names). */
  deniedId: string;
  /** The roles for which this object is not theirs; an operator may open any reseller. */
  roles: RoleKey[];
  /** Texts of the object that must not appear in the answer. */
  secrets: string[];
}

interface RouteCase {
  source: string;
  method: 'GET' | 'POST';
  template: string;
  /** Shown in the test name: the form's action button. */
  variant?: string;
  operatorOnly: boolean;
  path(ids: Ids): string;
  body?(ids: Ids): Record<string, string>;
  targets(w: World): Target[];
}

const allRoles: RoleKey[] = ['staff', 'operator', 'user'];

function tenantTargets(w: World): Target[] {
  const missing = randomUUID();
  return [
    { label: "reseller Süd's Mandant", ids: { id: w.suedTenant.id }, deniedId: w.suedTenant.id, roles: allRoles, secrets: suedSecrets },
    { label: 'a Mandant id that does not exist', ids: { id: missing }, deniedId: missing, roles: allRoles, secrets: [] },
  ];
}

function userTargets(w: World): Target[] {
  const missing = randomUUID();
  return [
    { label: "reseller Süd's Anwender", ids: { id: w.suedUser.id }, deniedId: w.suedUser.id, roles: allRoles, secrets: suedSecrets },
    { label: "reseller Süd's deactivated Anwender", ids: { id: w.suedDisabledUser.id }, deniedId: w.suedDisabledUser.id, roles: allRoles, secrets: suedSecrets },
    { label: "reseller Süd's staff account", ids: { id: w.suedStaff.id }, deniedId: w.suedStaff.id, roles: allRoles, secrets: suedSecrets },
    { label: "an Anwender of Nord's other (not selected) Mandant", ids: { id: w.nordOtherUser.id }, deniedId: w.nordOtherUser.id, roles: allRoles, secrets: ['Nebenan', 'nord-neben.example'] },
    { label: "Nord's own staff account (not an Anwender)", ids: { id: w.rita.id }, deniedId: w.rita.id, roles: allRoles, secrets: ['rita.nordmann@'] },
    { label: 'an Anwender id that does not exist', ids: { id: missing }, deniedId: missing, roles: allRoles, secrets: [] },
  ];
}

function resellerTargets(w: World): Target[] {
  const missing = randomUUID();
  return [
    // The operator may open reseller Süd: that is the Reseller tab's purpose. Not a foreign object for that role.
    { label: 'reseller Süd', ids: { id: w.sued.id }, deniedId: w.sued.id, roles: ['staff', 'user'], secrets: suedSecrets },
    { label: 'a reseller id that does not exist', ids: { id: missing }, deniedId: missing, roles: allRoles, secrets: [] },
  ];
}

function staffLinkTargets(w: World): Target[] {
  const missing = randomUUID();
  return [
    { label: "Süd's staff account under reseller Süd", ids: { id: w.sued.id, accountId: w.suedStaff.id }, deniedId: w.suedStaff.id, roles: ['staff', 'user'], secrets: suedSecrets },
    { label: "Süd's staff account under reseller Nord", ids: { id: w.nord.id, accountId: w.suedStaff.id }, deniedId: w.suedStaff.id, roles: allRoles, secrets: suedSecrets },
    { label: "Süd's Anwender under reseller Süd (not a staff account)", ids: { id: w.sued.id, accountId: w.suedUser.id }, deniedId: w.suedUser.id, roles: allRoles, secrets: suedSecrets },
    { label: "Nord's Anwender under reseller Nord (not a staff account)", ids: { id: w.nord.id, accountId: w.nina.id }, deniedId: w.nina.id, roles: allRoles, secrets: [] },
    { label: 'a reseller id that does not exist', ids: { id: missing, accountId: w.rita.id }, deniedId: missing, roles: allRoles, secrets: [] },
  ];
}

const hijackedCompany = companyForm({ name: 'Gekapert GmbH', customerNumber: 'X-666', city: 'Anderswo' });
const hijackedPerson = { firstName: 'Gekapert', lastName: 'Konto', email: 'angreifer@evil.example' };
const userActions = ['link', 'bearbeiten', 'deaktivieren', 'aktivieren'] as const;

export const routeCases: RouteCase[] = [
  { source: 'src/tenants/routes.ts', method: 'GET', template: '/mandanten/:id/bearbeiten', operatorOnly: false, path: (p) => `/mandanten/${p.id}/bearbeiten`, targets: tenantTargets },
  { source: 'src/tenants/routes.ts', method: 'POST', template: '/mandanten/:id', operatorOnly: false, path: (p) => `/mandanten/${p.id}`, body: () => hijackedCompany, targets: tenantTargets },
  ...(['arbeiten', 'bearbeiten'] as const).map((aktion): RouteCase => ({
    source: 'src/tenants/routes.ts',
    method: 'POST',
    template: '/mandanten/auswahl',
    variant: `aktion=${aktion}`,
    operatorOnly: false,
    path: () => '/mandanten/auswahl',
    body: (p) => ({ mandant: p.id, aktion }),
    targets: tenantTargets,
  })),
  { source: 'src/users/routes.ts', method: 'GET', template: '/anwender/:id/bearbeiten', operatorOnly: false, path: (p) => `/anwender/${p.id}/bearbeiten`, targets: userTargets },
  { source: 'src/users/routes.ts', method: 'POST', template: '/anwender/:id', operatorOnly: false, path: (p) => `/anwender/${p.id}`, body: () => hijackedPerson, targets: userTargets },
  ...userActions.map((aktion): RouteCase => ({
    source: 'src/users/routes.ts',
    method: 'POST',
    template: '/anwender/auswahl',
    variant: `aktion=${aktion}`,
    operatorOnly: false,
    path: () => '/anwender/auswahl',
    body: (p) => ({ anwender: p.id, aktion }),
    targets: userTargets,
  })),
  { source: 'src/resellers/routes.ts', method: 'GET', template: '/reseller/:id', operatorOnly: true, path: (p) => `/reseller/${p.id}`, targets: resellerTargets },
  { source: 'src/resellers/routes.ts', method: 'POST', template: '/reseller/:id', operatorOnly: true, path: (p) => `/reseller/${p.id}`, body: () => companyForm({ name: 'Gekapert AG' }), targets: resellerTargets },
  { source: 'src/resellers/routes.ts', method: 'POST', template: '/reseller/:id/mitarbeiter', operatorOnly: true, path: (p) => `/reseller/${p.id}/mitarbeiter`, body: () => hijackedPerson, targets: resellerTargets },
  { source: 'src/resellers/routes.ts', method: 'POST', template: '/reseller/:id/mitarbeiter/:accountId/link', operatorOnly: true, path: (p) => `/reseller/${p.id}/mitarbeiter/${p.accountId}/link`, targets: staffLinkTargets },
  { source: 'src/resellers/routes.ts', method: 'POST', template: '/reseller/:id/arbeiten', operatorOnly: true, path: (p) => `/reseller/${p.id}/arbeiten`, targets: resellerTargets },
];

/** 403 for a role that may not use the route at all, 404 for every foreign or unknown object. */
function expectedStatus(route: RouteCase, role: RoleKey): 403 | 404 {
  if (role === 'user') return 403;
  if (route.operatorOnly && role !== 'operator') return 403;
  return 404;
}

function send(browser: Browser, route: RouteCase, ids: Ids): Promise<Page> {
  const path = route.path(ids);
  return route.method === 'GET' ? browser.get(path) : browser.post(path, route.body?.(ids) ?? {});
}

async function lastDenied(w: World) {
  return w.db
    .selectFrom('audit_events')
    .select(['id', 'actor_account_id', 'reseller_id', 'details'])
    .where('action', '=', 'access.denied')
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

/** After a refused request the browser still works as Nord's Mandant (the session was not switched). */
async function checkSessionKept(t: Test, w: World, role: RoleKey): Promise<void> {
  const browser = w.browsers[role];
  if (role === 'user') {
    const page = await browser.get('/meine-anwendungen');
    t.equal(page.status, 200, 'the Anwender is still signed in');
    return;
  }
  const page = await browser.get('/anwender');
  const shown = visibleText(page.body);
  t.match(shown, `Anwender von ${w.nordTenant.name}`, "the session still works as Nord's Mandant");
  t.match(shown, 'Ausgewählter Mandant: Nord Haupt GmbH (N-1)');
  if (role === 'operator') t.match(shown, 'Du arbeitest für Reseller Nord IT GmbH', 'the operator is still in support mode for Nord');
}

/** Method and path of every route a source file registers (`app.get('/…'` / `app.post<…>('/…'`). */
function routesInSource(file: string): { method: string; path: string }[] {
  const source = readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');
  return [...source.matchAll(/app\.(get|post)(?:<[^>]*>)?\(\s*'([^']+)'/g)].map((m) => ({ method: m[1]!.toUpperCase(), path: m[2]! }));
}

t.test('isolation matrix: every route with an id × every role × an object that is not theirs', async (t) => {
  const w = await buildWorld(t);

  await t.test('the table covers every route of tenants, users, resellers and audit that takes an id', async (t) => {
    const covered = new Set(routeCases.map((r) => `${r.method} ${r.template}`));
    for (const file of new Set([...routeCases.map((r) => r.source), 'src/audit/routes.ts'])) {
      const withIds = routesInSource(file).filter((r) => r.path.includes(':') || r.path.endsWith('/auswahl'));
      for (const route of withIds) t.ok(covered.has(`${route.method} ${route.path}`), `${file}: ${route.method} ${route.path} is in the matrix`);
    }
    for (const route of routeCases) t.ok(w.app.hasRoute({ method: route.method, url: route.template }), `${route.method} ${route.template} is a registered route`);
  });

  for (const route of routeCases) {
    for (const target of route.targets(w)) {
      for (const role of target.roles) {
        const expected = expectedStatus(route, role);
        const name = `${roleNames[role]}: ${route.method} ${route.template}${route.variant ? ` (${route.variant})` : ''} with ${target.label} → ${expected}${
          expected === 404 ? ', audited' : ''
        }, nothing changed`;
        await t.test(name, async (t) => {
          const before = await snapshot(w.db);
          const eventsBefore = await countRows(w.db, 'audit_events');
          const deniedEventBefore = await lastDenied(w);
          const page = await send(w.browsers[role], route, target.ids);

          t.equal(page.status, expected, `answers ${expected}`);
          t.match(visibleText(page.body), expected === 404 ? NOT_FOUND : FORBIDDEN, 'the German error page');
          for (const secret of target.secrets) t.notMatch(page.body, secret, `the answer does not show "${secret}"`);
          t.equal(await snapshot(w.db), before, 'no reseller, Mandant, account, link or mail row changed');

          if (expected === 404) {
            const denied = await lastDenied(w);
            t.not(denied?.id, deniedEventBefore?.id, "an 'access.denied' event was written");
            t.equal(denied?.actor_account_id, role === 'staff' ? w.rita.id : w.otto.id, 'with the person who asked as actor');
            t.equal((denied?.details as { id?: string } | undefined)?.id, target.deniedId, 'naming the refused id');
            t.equal(denied?.reseller_id, w.nord.id, "in Nord's part of the log");
            t.equal(await countRows(w.db, 'audit_events'), eventsBefore + 1, 'and no other event');
          }
          await checkSessionKept(t, w, role);
        });
      }
    }
  }

  await t.test("searching and marking never bring up another reseller's rows", async (t) => {
    const staff = w.browsers.staff;
    let page = await staff.get(`/mandanten?q=${encodeURIComponent('Süd Geheim')}`);
    t.equal(page.status, 200);
    t.equal(tableRows(page.body).length, 0, "a search for Süd's Mandant finds nothing");
    page = await staff.get(`/mandanten?markiert=${w.suedTenant.id}`);
    t.notMatch(page.body, w.suedTenant.id, "marking Süd's Mandant in the URL does not show it");
    page = await staff.get(`/anwender?q=${encodeURIComponent('Südmann')}`);
    t.equal(tableRows(page.body).length, 0, "a search for Süd's Anwender finds nothing");
    page = await staff.get(`/anwender?markiert=${w.suedUser.id}`);
    t.notMatch(page.body, w.suedUser.id, "marking Süd's Anwender in the URL does not show it");
  });

  await t.test("no mail went to reseller Süd's people and nothing failed", async (t) => {
    const suedAccounts = [w.suedStaff.id, w.suedUser.id, w.suedDisabledUser.id];
    const deliveries = await w.db.selectFrom('mail_deliveries').select('id').where('account_id', 'in', suedAccounts).execute();
    t.equal(deliveries.length, 0, "no mail for Süd's accounts was ever queued");
    const suedAddresses = [w.suedStaff.email, w.suedUser.email, w.suedDisabledUser.email];
    t.same(w.smtp.received.filter((m) => m.to.some((to) => suedAddresses.includes(to))), [], "the SMTP peer received nothing for Süd's people");
    t.same(w.logs.filter((line) => line.includes('"level":50')), [], 'no error was logged (no 500)');
  });
});

// ---------------------------------------------------------------------------------------------

const malformedIds: { label: string; value: string; encoded?: string }[] = [
  { label: 'not a uuid', value: 'kein-uuid-123' },
  { label: 'SQL injection', value: "' OR 1=1 --" },
  { label: 'a 5 kB string', value: 'x'.repeat(5 * 1024) },
  // In a URL only: a percent sign that starts no valid escape.
  { label: 'broken percent-encoding', value: '%zz', encoded: '%zz' },
];

t.test('malformed ids answer 404 with the German page, never 500, and change nothing', async (t) => {
  const w = await buildWorld(t);
  for (const route of routeCases) {
    const roles: RoleKey[] = route.operatorOnly ? ['operator'] : ['staff', 'operator'];
    const placements: { label: string; inUrl: boolean; ids: (bad: string) => Ids }[] = route.template.includes(':accountId')
      ? [
          { label: 'as reseller id in the URL', inUrl: true, ids: (bad) => ({ id: bad, accountId: w.rita.id }) },
          { label: 'as account id in the URL', inUrl: true, ids: (bad) => ({ id: w.nord.id, accountId: bad }) },
        ]
      : route.template.includes(':id')
        ? [{ label: 'in the URL', inUrl: true, ids: (bad) => ({ id: bad }) }]
        : [{ label: 'in the form', inUrl: false, ids: (bad) => ({ id: bad }) }];
    for (const bad of malformedIds) {
      for (const placement of placements) {
        if (bad.encoded && !placement.inUrl) continue;
        const encodedValue = bad.encoded ?? encodeURIComponent(bad.value);
        for (const role of roles) {
          const name = `${roleNames[role]}: ${route.method} ${route.template}${route.variant ? ` (${route.variant})` : ''} with ${bad.label} ${placement.label} → 404`;
          await t.test(name, async (t) => {
            const before = await snapshot(w.db);
            const ids = placement.ids(bad.value);
            const inPath: Ids = placement.inUrl
              ? { id: ids.id === bad.value ? encodedValue : ids.id, accountId: ids.accountId === bad.value ? encodedValue : ids.accountId }
              : ids;
            const page = route.method === 'GET' ? await w.browsers[role].get(route.path(inPath)) : await w.browsers[role].post(route.path(inPath), route.body?.(ids) ?? {});
            t.not(page.status, 500, 'no 500');
            t.equal(page.status, 404, 'answers 404');
            t.match(visibleText(page.body), NOT_FOUND, 'the German not-found page');
            t.equal(await snapshot(w.db), before, 'nothing changed');
          });
        }
      }
    }
  }
  t.same(w.logs.filter((line) => line.includes('"level":50')), [], 'no error was logged (no 500)');
});

// ---------------------------------------------------------------------------------------------

t.test("Protokoll: a reseller sees none of another reseller's events; the operator sees all", async (t) => {
  const w = await buildWorld(t);
  const suedPerson = await createResellerStaff(w.db, w.sued.id, { firstName: 'Sonja', lastName: 'Südwind', email: 'sonja@sued-systemhaus.example' });
  const sonja = await signIn(w.app, suedPerson);

  // Each reseller creates a Mandant through the form; that leaves tenant.created in the log.
  await w.browsers.staff.get('/mandanten/neu');
  let page = await w.browsers.staff.post('/mandanten', companyForm({ name: 'Nord Protokoll GmbH', customerNumber: 'N-77' }));
  t.equal(page.status, 303);
  await sonja.get('/mandanten/neu');
  page = await sonja.post('/mandanten', companyForm({ name: 'Süd Protokoll GmbH', customerNumber: 'S-77' }));
  t.equal(page.status, 303);

  const eventsOf = async (resellerId: string | null) => {
    let query = w.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n'));
    if (resellerId) query = query.where('reseller_id', '=', resellerId);
    return Number((await query.executeTakeFirstOrThrow()).n);
  };

  await t.test("the reseller's Protokoll", async (t) => {
    const nordEvents = await eventsOf(w.nord.id);
    t.ok(nordEvents > 0 && nordEvents <= 50, 'one page holds all of Nord’s events');
    page = await w.browsers.staff.get('/protokoll');
    t.equal(page.status, 200);
    const shown = visibleText(page.body);
    t.match(shown, 'Nord Protokoll GmbH', "shows Nord's own Mandant event");
    t.equal(tableRows(page.body).length, nordEvents, "exactly as many rows as Nord has events");
    for (const secret of [...suedSecrets, 'Süd Protokoll GmbH', 'Südwind', 'sonja.suedwind']) t.notMatch(shown, secret, `does not show "${secret}"`);
  });

  await t.test('the operator outside support mode sees both', async (t) => {
    const operator = await signIn(w.app, w.otto);
    page = await operator.get('/protokoll');
    t.equal(page.status, 200);
    const shown = visibleText(page.body);
    const all = await eventsOf(null);
    t.equal(tableRows(page.body).length, Math.min(all, 50), 'one row per event, all resellers');
    t.match(shown, 'Nord Protokoll GmbH');
    t.match(shown, 'Süd Protokoll GmbH');
    t.match(shown, 'Süd Systemhaus GmbH', 'with the reseller column');
    t.match(shown, 'Nord IT GmbH');
  });

  await t.test('the operator in support mode for Nord sees only Nord', async (t) => {
    const nordEvents = await eventsOf(w.nord.id);
    page = await w.browsers.operator.get('/protokoll');
    t.equal(tableRows(page.body).length, nordEvents);
    t.notMatch(visibleText(page.body), 'Süd Protokoll GmbH');
  });

  await t.test('an Anwender has no Protokoll', async (t) => {
    page = await w.browsers.user.get('/protokoll');
    t.equal(page.status, 403);
  });
});

// ---------------------------------------------------------------------------------------------

t.test("a Mandant selection of Nord is not usable after the operator switches support mode to Süd", async (t) => {
  const w = await buildWorld(t);
  const operator = w.browsers.operator;
  let page = await operator.get('/anwender');
  t.match(visibleText(page.body), 'Anwender von Nord Haupt GmbH', 'before: working as Nord’s Mandant');

  await operator.get(`/reseller/${w.sued.id}`);
  page = await operator.post(`/reseller/${w.sued.id}/arbeiten`);
  t.equal(page.status, 303);
  page = await operator.follow(page);
  t.match(visibleText(page.body), 'Du arbeitest für Reseller Süd Systemhaus GmbH');
  t.match(visibleText(page.body), 'Süd Geheim GmbH', "the Mandanten tab now lists Süd's Mandanten");
  t.notMatch(visibleText(page.body), 'Nord Haupt GmbH', "and none of Nord's");

  const hint = 'Bitte wähle zuerst im Tab „Mandanten“ einen Mandanten aus';
  page = await operator.get('/anwender');
  t.equal(page.status, 200);
  t.match(visibleText(page.body), hint, 'the Anwender tab asks to select a Mandant first');
  t.notMatch(visibleText(page.body), 'Ausgewählter Mandant', 'no Mandant is shown as selected');
  t.notMatch(page.body, 'Nordlicht', "Nord's Anwender are not listed");

  const before = await snapshot(w.db);
  page = await operator.get(`/anwender/${w.nina.id}/bearbeiten`);
  t.match(visibleText(page.body), hint, "editing Nord's Anwender by URL shows the hint");
  t.notMatch(page.body, 'nina@nord-haupt.example');
  page = await operator.post('/anwender/auswahl', { anwender: w.nina.id, aktion: 'deaktivieren' });
  t.match(visibleText(page.body), hint, "deactivating Nord's Anwender shows the hint");
  page = await operator.post(`/anwender/${w.nina.id}`, { firstName: 'Gekapert', lastName: 'Konto', email: 'angreifer@evil.example' });
  t.match(visibleText(page.body), hint, "saving Nord's Anwender shows the hint");
  await operator.get('/anwender/neu');
  page = await operator.post('/anwender', { firstName: 'Neu', lastName: 'Angelegt', email: 'neu@evil.example' });
  t.match(visibleText(page.body), hint, 'creating an Anwender shows the hint');
  t.equal(await snapshot(w.db), before, 'nothing changed');
});
