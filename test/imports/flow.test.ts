import t from 'tap';
import { startTestApp } from '../helpers/app.ts';
import { visibleText } from '../helpers/browser.ts';
import { createOperator, createReseller, createResellerStaff, signIn } from '../helpers/fixtures.ts';
import { linkFromMail } from '../helpers/smtp-peer.ts';
import { upload as uploadFile, waitFor, xlsx } from './helpers.ts';

t.test('a reseller imports Mandanten and Anwender from a spreadsheet and sends their links', async (t) => {
  const { app, db, smtp } = await startTestApp(t);
  await createOperator(db);
  const reseller = await createReseller(db);
  const rita = await createResellerStaff(db, reseller.id);
  await db.insertInto('applications').values({ code: 'buchhaltung', name: 'Buchhaltung', launch_url: 'https://buchhaltung.example/', roles: JSON.stringify(['nutzer', 'admin']) }).execute();
  const browser = await signIn(app, rita);
  await browser.get('/import');

  const upload = (name: string, content: Buffer) => uploadFile(browser, name, content);

  const broken = await xlsx([
    ['K-1', 'Müller Bau GmbH', 'Lindenweg 5', '24103', 'Kiel', 'DE', '', 'buchhaltung', 'Jörg', 'Müller', 'joerg@mueller.example', 'buchhaltung:nutzer'],
    ['K-1', 'Müller Bau GmbH', 'Lindenweg 5', '24103', 'Kiel', 'DE', '', 'buchhaltung', 'Anna', 'Müller', 'keine-mail', 'buchhaltung:chef'],
  ]);
  let res = await upload('kunden.xlsx', broken);
  t.equal(res.status, 303, 'upload accepted');
  let page = await browser.get(res.location!);
  t.equal(page.status, 200);
  const text = visibleText(page.body);
  t.match(text, 'Zeilen mit Fehlern 1');
  t.match(text, 'Bitte gib eine gültige E-Mail-Adresse an');
  t.match(text, 'kennt die Rolle „chef“ nicht');
  page = await browser.post(`${res.location}/ausfuehren`);
  t.equal(page.status, 303);
  t.equal((await db.selectFrom('tenants').select('id').execute()).length, 0, 'nothing written while errors remain');

  const fixed = await xlsx([
    ['K-1', 'Müller Bau GmbH', 'Lindenweg 5', '24103', 'Kiel', 'DE', '', 'buchhaltung', 'Jörg', 'Müller', 'joerg@mueller.example', 'buchhaltung:nutzer'],
    ['K-1', 'Müller Bau GmbH', 'Lindenweg 5', '24103', 'Kiel', 'DE', '', 'buchhaltung', 'Anna', 'Müller', 'anna@mueller.example', 'buchhaltung:admin'],
    ['K-2', 'Bäckerei Schröder', 'Markt 1', '20095', 'Hamburg', 'DE', '', '', '', '', '', ''],
  ]);
  res = await upload('kunden.xlsx', fixed);
  const runPath = res.location!;
  page = await browser.get(runPath);
  t.match(visibleText(page.body), 'Neue Mandanten 2');
  t.match(visibleText(page.body), 'joerg.mueller');
  page = await browser.post(`${runPath}/ausfuehren`);
  t.equal(page.status, 303);
  page = await browser.follow(page);
  t.match(visibleText(page.body), 'Import ausgeführt: 2 neue Mandanten, 2 neue Anwender.');
  t.equal((await db.selectFrom('accounts').select('id').where('role', '=', 'user').execute()).length, 2);
  t.equal((await db.selectFrom('user_rights').select('role').execute()).length, 2);
  t.equal(smtp.received.length, 0, 'no mail before the links are sent');

  // The same file again: nothing new.
  res = await upload('kunden.xlsx', fixed);
  page = await browser.get(res.location!);
  t.match(visibleText(page.body), 'Neue Mandanten 0');
  t.match(visibleText(page.body), 'Neue Anwender 0');

  page = await browser.post(`${runPath}/links`);
  t.equal(page.status, 303);
  const mail = await smtp.waitForMail((m) => m.to.includes('anna@mueller.example'));
  await smtp.waitForMail((m) => m.to.includes('joerg@mueller.example'));
  // "Zugestellt" is written right after the SMTP server's acceptance, which the peer sees first.
  page = await waitFor('both shown as delivered', async () => {
    const shown = await browser.get(`${runPath}/links`);
    return visibleText(shown.body).includes('Zugestellt 2') && shown;
  });
  t.match(visibleText(page.body), 'Zugestellt 2');
  const anna = new (await import('../helpers/browser.ts')).Browser(app);
  await anna.get(linkFromMail(mail).path);
  page = await anna.post(linkFromMail(mail).path, { password: 'Roggenbrot am Morgen', passwordRepeat: 'Roggenbrot am Morgen' });
  t.equal(page.status, 303);
  const csv = await browser.get(`${runPath}/ergebnis.csv`);
  t.match(csv.body, 'anna.mueller');
});
