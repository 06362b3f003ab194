import t from 'tap';
import { text } from '../../src/i18n/de.ts';
import { Browser, visibleText } from '../helpers/browser.ts';
import { createTenant, createUser } from '../helpers/fixtures.ts';
import { linkFromMail } from '../helpers/smtp-peer.ts';
import { addApplication, facts, type ImportSetup, mandant, row, startImportApp, tableCounts, uploadOk, waitFor, xlsx } from './helpers.ts';

// "Passwort-Links versenden" for an import run, against the real SMTP peer: one link per new
// Anwender, a progress page that refreshes itself while mails are under way, an SMTP outage that
// loses nothing and sends nothing twice, failed mails sent again, and a link that works.

const refresh = /<meta http-equiv="refresh" content="\d+">/;
const progressLabel = text.imports.progress as Record<string, string>;

/** Uploads and commits a file of new Anwender (plus one existing), returns the run's path. */
async function importUsers(setup: ImportSetup, prefix: string, count: number): Promise<string> {
  const { db, browser, reseller } = setup;
  const tenant = await createTenant(db, reseller.id, `${prefix} Bestand GmbH`, `${prefix}-0`);
  // An existing Anwenderin without a password yet: she is in the file but not new.
  await createUser(db, tenant, { firstName: 'Berta', lastName: 'Bestand', email: `berta@${prefix.toLowerCase()}-bestand.example`, password: null });
  const rows = [row({ kundennummer: `${prefix}-0`, firma: `${prefix} Bestand GmbH`, strasse: 'Lindenweg 5', plz: '24103', ort: 'Kiel', vorname: 'Berta', nachname: 'Bestand', email: `berta@${prefix.toLowerCase()}-bestand.example` })];
  for (let i = 1; i <= count; i++) rows.push(row({ ...mandant(`${prefix}-1`, `${prefix} Neu GmbH`), anwendungen: 'buchhaltung', vorname: 'Nele', nachname: `Neu-${'abcdefghij'[i - 1]}`, email: `nele${i}@${prefix.toLowerCase()}-neu.example`, rechte: 'buchhaltung:nutzer' }));
  const runPath = await uploadOk(browser, `${prefix}.xlsx`, await xlsx(rows));
  await browser.get(runPath);
  const res = await browser.post(`${runPath}/ausfuehren`);
  const page = await browser.follow(res);
  if (!visibleText(page.body).includes(text.imports.committed(1, count))) throw new Error(`import ${prefix} did not commit: ${visibleText(page.body).slice(0, 300)}`);
  return runPath;
}

async function sendLinks(browser: Browser, runPath: string, resend = false): Promise<{ status: number; location: string | null; text: string; body: string }> {
  await browser.get(resend ? `${runPath}/links` : runPath);
  const res = await browser.post(resend ? `${runPath}/links/erneut` : `${runPath}/links`);
  const page = await browser.follow(res);
  return { status: res.status, location: res.location, text: visibleText(page.body), body: page.body };
}

async function deliveriesOf(setup: ImportSetup, runPath: string) {
  return setup.db
    .selectFrom('mail_deliveries as d')
    .innerJoin('accounts as a', 'a.id', 'd.account_id')
    .select(['a.email', 'd.state', 'd.attempts', 'd.kind'])
    .where('a.import_run_id', '=', runPath.split('/').pop()!)
    .where('d.link_id', 'is not', null)
    .execute();
}

t.test('links queued, before the mail worker sends them', async (t) => {
  const setup = await startImportApp(t, {}, { startWorker: false });
  await addApplication(setup.db, 'buchhaltung', 'Buchhaltung', ['nutzer', 'admin']);
  const { db, browser } = setup;
  const runPath = await importUsers(setup, 'Q', 3);
  t.equal((await tableCounts(db)).mail_deliveries, 0, 'the import itself sends nothing');

  await t.test('"Passwort-Links jetzt versenden" queues one link per new Anwender, none for existing ones', async (t) => {
    const page = await browser.get(runPath);
    t.match(page.body, text.imports.linksSend, 'the button is on the result page');
    const sent = await sendLinks(browser, runPath);
    t.equal(sent.status, 303);
    t.equal(sent.location, `${runPath}/links`, 'on to the progress page');
    t.match(sent.text, text.imports.linksQueued(3));
    const deliveries = await deliveriesOf(setup, runPath);
    t.same(deliveries.map((d) => d.email).sort(), ['nele1@q-neu.example', 'nele2@q-neu.example', 'nele3@q-neu.example'], 'one per new Anwender');
    t.ok(deliveries.every((d) => d.state === 'queued' && d.kind === 'invitation'), 'queued invitations');
    const berta = await db.selectFrom('accounts').select('id').where('email', '=', 'berta@q-bestand.example').executeTakeFirstOrThrow();
    t.equal((await db.selectFrom('password_links').select('id').where('account_id', '=', berta.id).execute()).length, 0, 'the existing Anwenderin of the file gets no link');
    const requested = await db.selectFrom('audit_events').select('details').where('action', '=', 'import.links_requested').execute();
    t.same(requested.map((r) => (r.details as { count: number }).count), [3], 'audited with the count');
  });

  await t.test('the progress page shows the counts and refreshes itself while mails are queued', async (t) => {
    const page = await browser.get(`${runPath}/links`);
    t.equal(page.status, 200);
    const counts = facts(page.body);
    t.equal(counts[progressLabel.queued!], 3, 'Wartet auf Versand 3');
    t.equal(counts[progressLabel.sent!], 0);
    t.equal(counts[progressLabel.failed!], 0);
    t.match(page.body, refresh, '<meta http-equiv="refresh"> while mails wait');
    t.match(visibleText(page.body), text.imports.progressRefresh);
    t.notMatch(page.body, text.imports.resendFailed, 'nothing to send again');
  });

  await t.test('a second click sends nothing twice: "bereits einen gültigen Link"', async (t) => {
    const before = await tableCounts(db);
    const again = await sendLinks(browser, runPath);
    t.match(again.text, text.imports.linksNone);
    t.match(again.text, 'bereits einen gültigen Link');
    const after = await tableCounts(db);
    t.equal(after.password_links, before.password_links, 'no new link');
    t.equal(after.mail_deliveries, before.mail_deliveries, 'no new mail');
    t.ok((await deliveriesOf(setup, runPath)).every((d) => d.state === 'queued'), 'the first links stay valid (not revoked)');
  });
  await t.test('two clicks at the same moment issue one link per Anwender, not two', async (t) => {
    const runPath = await importUsers(setup, 'D', 4);
    await browser.get(runPath);
    const [a, b] = await Promise.all([browser.post(`${runPath}/links`), browser.post(`${runPath}/links`)]);
    t.same([a.status, b.status], [303, 303]);
    const runId = runPath.split('/').pop()!;
    const links = await db.selectFrom('password_links as l').innerJoin('accounts as a', 'a.id', 'l.account_id').select(['a.email', 'l.revoked_at']).where('a.import_run_id', '=', runId).execute();
    t.equal(links.length, 4, 'four links, one per new Anwender');
    t.ok(links.every((l) => l.revoked_at === null), 'none of them revoked by a twin');
    const deliveries = await deliveriesOf(setup, runPath);
    t.equal(deliveries.length, 4, 'four mails queued');
  });
});

t.test('links delivered by the mail worker', async (t) => {
  const setup = await startImportApp(t);
  await addApplication(setup.db, 'buchhaltung', 'Buchhaltung', ['nutzer', 'admin']);
  const { db, browser, smtp, app } = setup;
  const invitations = (email: string) => smtp.received.filter((m) => m.to.includes(email) && m.subject === text.mail.invitationSubject.user);

  await t.test('an SMTP outage in the middle: nothing lost, nothing sent twice', async (t) => {
    const runPath = await importUsers(setup, 'O', 6);
    smtp.refuseNext(451, 3);
    const sent = await sendLinks(browser, runPath);
    t.match(sent.text, text.imports.linksQueued(6));

    const during = await waitFor('a mail to wait for its retry', async () => {
      const page = await browser.get(`${runPath}/links`);
      return facts(page.body)[progressLabel.retrying!]! > 0 && page;
    });
    t.match(during.body, refresh, 'the page refreshes itself while mails are retried');

    const done = await waitFor('every link mail to be delivered', async () => {
      const page = await browser.get(`${runPath}/links`);
      return facts(page.body)[progressLabel.sent!] === 6 && page;
    });
    t.notMatch(done.body, refresh, 'no refresh once everything is delivered');
    t.equal(facts(done.body)[progressLabel.failed!], 0);
    for (let i = 1; i <= 6; i++) t.equal(invitations(`nele${i}@o-neu.example`).length, 1, `nele${i} got exactly one mail`);
    const deliveries = await deliveriesOf(setup, runPath);
    t.equal(deliveries.reduce((sum, d) => sum + d.attempts, 0), 6 + 3, 'six deliveries plus the three refused attempts');
    t.ok(deliveries.some((d) => d.attempts > 1), 'some mails were retried');
    t.ok(deliveries.every((d) => d.state === 'sent'));
    t.equal(invitations('berta@o-bestand.example').length, 0, 'none for the existing Anwenderin');
  });

  await t.test('a permanent failure shows as failed; "Fehlgeschlagene erneut versenden" sends it again', async (t) => {
    const runPath = await importUsers(setup, 'P', 3);
    smtp.refuseNext(550, 1);
    await sendLinks(browser, runPath);
    const settled = await waitFor('two sent and one failed', async () => {
      const page = await browser.get(`${runPath}/links`);
      const counts = facts(page.body);
      return counts[progressLabel.sent!] === 2 && counts[progressLabel.failed!] === 1 && page;
    });
    t.notMatch(settled.body, refresh, 'nothing is under way: no refresh');
    t.match(settled.body, text.imports.resendFailed, 'the button to send failed ones again');
    const failed = (await deliveriesOf(setup, runPath)).find((d) => d.state === 'failed')!;
    t.equal(failed.attempts, 1, 'a 550 is not retried');
    t.equal(invitations(failed.email).length, 0, 'the refused mail did not arrive');
    const audited = await db.selectFrom('audit_events').select('details').where('action', '=', 'link.delivery_failed').execute();
    t.ok(audited.some((a) => (a.details as { permanent: boolean }).permanent), 'the failure is audited as permanent');

    const resent = await sendLinks(browser, runPath, true);
    t.match(resent.text, text.imports.resent(1));
    await waitFor('the resent mail', async () => invitations(failed.email).length === 1);
    const done = await waitFor('all three delivered', async () => {
      const page = await browser.get(`${runPath}/links`);
      return facts(page.body)[progressLabel.sent!] === 3 && page;
    });
    t.equal(facts(done.body)[progressLabel.failed!], 0);
    t.notMatch(done.body, text.imports.resendFailed);
    for (let i = 1; i <= 3; i++) t.equal(invitations(`nele${i}@p-neu.example`).length, 1, `nele${i} got exactly one mail`);
  });

  await t.test('an imported Anwender follows the link, sets a password and lands on "Meine Anwendungen"', async (t) => {
    const runPath = await importUsers(setup, 'L', 1);
    await sendLinks(browser, runPath);
    const mail = await smtp.waitForMail((m) => m.to.includes('nele1@l-neu.example'));
    const nele = await db.selectFrom('accounts').select(['login']).where('email', '=', 'nele1@l-neu.example').executeTakeFirstOrThrow();
    t.match(mail.text, nele.login, 'the mail names the login');
    const link = linkFromMail(mail);
    const visitor = new Browser(app);
    const form = await visitor.get(link.path);
    t.equal(form.status, 200);
    const password = 'Heringe im Hafen von Kiel';
    const set = await visitor.post(link.path, { password, passwordRepeat: password });
    t.equal(set.status, 303);
    t.equal(set.location, '/anmelden');

    const visitorLogin = new Browser(app);
    await visitorLogin.get('/anmelden');
    const login = await visitorLogin.post('/anmelden', { login: nele.login, password });
    t.equal(login.status, 303);
    t.equal(login.location, '/meine-anwendungen', 'an Anwender lands on Meine Anwendungen');
    const landing = await visitorLogin.follow(login);
    t.equal(landing.status, 200);
    t.match(visibleText(landing.body), 'Buchhaltung', 'it lists the application of her imported right');

    const progress = await browser.get(`${runPath}/links`);
    t.equal(facts(progress.body)[progressLabel.active!], 1, 'the progress page counts her as "Passwort gesetzt"');
  });
});
