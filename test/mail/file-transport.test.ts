import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import t from 'tap';
import { startTestApp } from '../helpers/app.ts';
import { Browser } from '../helpers/browser.ts';
import { createReseller, createTenant, createUser } from '../helpers/fixtures.ts';
import { deliveriesOf, issueLink, waitFor, waitForDeliveryState } from './helpers.ts';

// Development without SMTP_URL: the mail becomes an .eml file under DATA_DIR/mail and the link
// is printed, so a new user can follow it without any mail server.

t.test('without SMTP_URL a link mail is written as an .eml file under DATA_DIR/mail and its link is printed', async (t) => {
  const testApp = await startTestApp(t, { SMTP_URL: '' });
  const { app, db, logs, dataDir, smtp } = testApp;
  t.equal(testApp.config.smtpUrl, null, 'no SMTP configured');
  const tenant = await createTenant(db, (await createReseller(db)).id);
  const joerg = await createUser(db, tenant, { password: null });

  await issueLink(testApp, joerg.id);
  const [delivery] = await deliveriesOf(db, joerg.id);
  const sent = await waitForDeliveryState(db, delivery!.id, ['sent']);
  t.equal(sent.attempts, 1);

  const mailDir = join(dataDir, 'mail');
  const files = await waitFor('an .eml file', () => {
    const found = readdirSync(mailDir).filter((name) => name.endsWith('.eml'));
    return found.length ? found : undefined;
  });
  t.equal(files.length, 1, 'one .eml file');
  const parsed = await simpleParser(readFileSync(join(mailDir, files[0]!)));
  t.equal(parsed.subject, 'Dein Zugang zu AgileAS: bitte Passwort festlegen', 'German subject');
  const to = Array.isArray(parsed.to) ? parsed.to : [parsed.to];
  t.same(to.flatMap((address) => address?.value.map((v) => v.address) ?? []), [joerg.email], 'addressed to the user');
  t.match(parsed.text, `Dein Login: ${joerg.login}`, 'the text part names the login');
  t.match(parsed.html, /<a [^>]*href="http:\/\/portal\.test\/passwort-link\//, 'the HTML part carries the link');
  const linkInFile = /http:\/\/portal\.test\/passwort-link\/[A-Za-z0-9_-]{43}/.exec(parsed.text ?? '')?.[0];
  t.ok(linkInFile, 'the text part carries the link');

  const printed = logs.find((line) => line.includes('gespeichert') && line.includes('Link: '));
  t.ok(printed, 'a console line tells where the mail went');
  t.match(printed, files[0]!, 'naming the file');
  t.match(printed, `Link: ${linkInFile}`, 'and printing the same link');
  t.equal(smtp.received.length, 0, 'nothing went to an SMTP server');

  const page = await new Browser(app).get(new URL(linkInFile!).pathname);
  t.equal(page.status, 200, 'the printed link works');
  t.match(page.body, /name="password"/);
});
