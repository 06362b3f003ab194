import t from 'tap';
import { text } from '../../src/i18n/de.ts';
import { issuePasswordLink } from '../../src/passwords/links.ts';
import { startTestApp } from '../helpers/app.ts';
import { Browser, type Page, visibleText } from '../helpers/browser.ts';
import { createOperator, createReseller, createResellerStaff, createTenant, createUser, signIn } from '../helpers/fixtures.ts';
import { concretePath, listRoutes } from '../helpers/routes.ts';
import { linkFromMail } from '../helpers/smtp-peer.ts';

const impressum = {
  IMPRESSUM_COMPANY: 'Beispiel Software GmbH',
  IMPRESSUM_ADDRESS: 'Hafenweg 7, 20457 Hamburg',
  IMPRESSUM_REPRESENTATIVE: 'Erika Mustermann',
  IMPRESSUM_EMAIL: 'impressum@beispiel.example',
  IMPRESSUM_PHONE: '+49 40 1234567',
  IMPRESSUM_REGISTER: 'Amtsgericht Hamburg, HRB 12345',
  IMPRESSUM_VAT_ID: 'DE123456789',
};

t.test('pages', async (t) => {
  const { app, db, smtp, clock } = await startTestApp(t, { ...impressum, SUPPORT_EMAIL: 'hilfe@beispiel.example' });
  app.get('/test/kaputt', { config: { public: true } }, async () => {
    throw new Error('kaputt');
  });
  const otto = await createOperator(db);
  const reseller = await createReseller(db);
  const rita = await createResellerStaff(db, reseller.id);
  const tenant = await createTenant(db, reseller.id);
  const joerg = await createUser(db, tenant);
  const ines = await createUser(db, tenant, { firstName: 'Ines', lastName: 'Eingeladen', email: 'ines@mueller-bau.example', password: null });

  t.test('/impressum shows the configured Impressum data, without a login', async (t) => {
    const page = await new Browser(app).get('/impressum');
    t.equal(page.status, 200);
    const shown = visibleText(page.body);
    for (const [name, value] of Object.entries(impressum)) t.ok(shown.includes(value), `${name}: ${value}`);
    t.ok(shown.includes(text.pages.impressumProvider), 'the German heading');
  });

  t.test('/hilfe shows the seven steps for creating an Anwender, with the button labels of the portal', async (t) => {
    const page = await new Browser(app).get('/hilfe');
    t.equal(page.status, 200);
    const section = page.body.slice(page.body.indexOf('Anwender von Hand anlegen'));
    const list = /<ol>([\s\S]*?)<\/ol>/.exec(section)?.[1] ?? '';
    const steps = [...list.matchAll(/<li>([\s\S]*?)<\/li>/g)].map((m) => visibleText(m[1]!));
    t.equal(steps.length, 7, 'seven steps');
    t.ok(steps.some((step) => step.includes('„Als ausgewählter Mandant arbeiten“')), 'the step "Als ausgewählter Mandant arbeiten"');
    t.ok(steps.some((step) => step.includes('„(Ersatz-) Passwort-Link versenden“')), 'the step "(Ersatz-) Passwort-Link versenden"');
    t.ok(visibleText(page.body).includes('hilfe@beispiel.example'), 'the support contact');
  });

  t.test('every page has the footer with Impressum, Hilfe and the support address', async (t) => {
    const page = await new Browser(app).get('/anmelden');
    t.match(page.body, /<a href="\/impressum">Impressum<\/a>/);
    t.match(page.body, /<a href="\/hilfe">Hilfe<\/a>/);
    t.match(page.body, /href="mailto:hilfe@beispiel\.example"/);
  });

  t.test('an unknown address gets the German 404 page', async (t) => {
    for (const browser of [new Browser(app), await signIn(app, otto)]) {
      const page = await browser.get('/gibt-es-nicht/wirklich');
      t.equal(page.status, 404);
      t.match(page.body, /<html lang="de">/);
      t.ok(visibleText(page.body).includes(text.pages.notFoundTitle), text.pages.notFoundTitle);
      t.ok(visibleText(page.body).includes(text.pages.notFoundText));
    }
  });

  t.test('no page has a script, an inline event handler, a javascript: URL or inline styles', async (t) => {
    const pages: { label: string; page: Page }[] = [];
    const routes = (await listRoutes(app)).filter((r) => r.method === 'GET' && !r.path.startsWith('/test/') && r.path !== '/*');

    // Every GET route, without a login and as each role.
    const visitors: [string, Browser][] = [['anonymous', new Browser(app)]];
    for (const person of [otto, rita, joerg]) visitors.push([person.role, await signIn(app, person)]);
    for (const [who, browser] of visitors) {
      for (const route of routes) pages.push({ label: `${who} GET ${route.path}`, page: await browser.get(concretePath(route.path)) });
    }

    // Pages that only show up in a certain state.
    const anonymous = new Browser(app);
    await anonymous.get('/anmelden');
    pages.push({ label: 'login failed', page: await anonymous.post('/anmelden', { login: otto.login, password: 'nicht richtig, leider' }) });
    pages.push({ label: 'login 422', page: await anonymous.post('/anmelden', { login: '', password: '' }) });
    pages.push({ label: 'CSRF refusal', page: await anonymous.post('/anmelden', { _csrf: 'falsch' }) });
    pages.push({ label: '500', page: await anonymous.get('/test/kaputt') });
    pages.push({ label: 'role refusal', page: await visitors[1]![1].get('/meine-anwendungen') });
    await db.transaction().execute((trx) =>
      issuePasswordLink(trx, app.outbox, { invitationHours: 72, resetHours: 24 }, { accountId: ines.id, actorId: null, at: clock.now() }),
    );
    const link = linkFromMail(await smtp.waitForMail((m) => m.to.includes(ines.email)));
    const linkBrowser = new Browser(app);
    pages.push({ label: 'set-password form', page: await linkBrowser.get(link.path) });
    pages.push({ label: 'set-password 422', page: await linkBrowser.post(link.path, { password: 'kurz', passwordRepeat: 'kurz' }) });
    pages.push({ label: 'account 422', page: await visitors[1]![1].post('/konto/passwort', { currentPassword: 'falsch', password: '', passwordRepeat: '' }) });

    const html = pages.filter(({ page }) => String(page.headers['content-type'] ?? '').startsWith('text/html'));
    t.ok(html.length > routes.length, `${html.length} HTML pages checked`);
    for (const { label, page } of html) {
      t.notMatch(page.body, /<script/i, `${label} (${page.status}): no <script`);
      t.notMatch(page.body, /\son[a-z]+\s*=/i, `${label}: no inline event handler`);
      t.notMatch(page.body, /javascript:/i, `${label}: no javascript: URL`);
      t.notMatch(page.body, /<style|\sstyle\s*=/i, `${label}: no inline style (the CSP would block it)`);
    }
  });
});
