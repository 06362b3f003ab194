import t from 'tap';
import { text } from '../../src/i18n/de.ts';
import { visibleText } from '../helpers/browser.ts';
import { addApplication, facts, type ImportSetup, mandant, row, startImportApp, uploadOk, waitFor, xlsx } from './helpers.ts';

// The bulk-link progress page after "Passwort-Links jetzt versenden": sent of total, a progress
// bar, waiting and failed, an estimate of the time left, refreshed by <meta http-equiv="refresh">
// (no JavaScript) until nothing is under way any more.

const refreshOf = (html: string) => /<meta http-equiv="refresh" content="(\d+)">/.exec(html)?.[1] ?? null;
const label = text.imports.progress as Record<string, string>;

async function importAndSend(setup: ImportSetup, prefix: string, count: number): Promise<string> {
  const { browser } = setup;
  const rows = [];
  for (let i = 1; i <= count; i++) rows.push(row({ ...mandant(`${prefix}-1`, `${prefix} Neu GmbH`), anwendungen: 'buchhaltung', vorname: 'Nele', nachname: `Neu-${'abcdefghij'[i - 1]}`, email: `nele${i}@${prefix.toLowerCase()}-neu.example`, rechte: 'buchhaltung:nutzer' }));
  const runPath = await uploadOk(browser, `${prefix}.xlsx`, await xlsx(rows));
  await browser.get(runPath);
  await browser.follow(await browser.post(`${runPath}/ausfuehren`));
  await browser.get(runPath);
  const sent = await browser.post(`${runPath}/links`);
  if (sent.location !== `${runPath}/links`) throw new Error(`links not sent for ${prefix}`);
  return runPath;
}

t.test('before the first mail: nothing sent yet, the time left is not guessed, the page refreshes quickly', async (t) => {
  const setup = await startImportApp(t, {}, { startWorker: false });
  await addApplication(setup.db, 'buchhaltung', 'Buchhaltung', ['nutzer']);
  const runPath = await importAndSend(setup, 'W', 3);
  const page = await setup.browser.get(`${runPath}/links`);
  const shown = visibleText(page.body);
  t.match(shown, text.imports.progressSummary(0, 3), '0 von 3 verschickt');
  t.match(page.body, /<progress max="3" value="0">/, 'a progress bar, plain HTML');
  t.match(shown, text.imports.progressTimeUnknown, 'no estimate before the first mail is out');
  t.equal(refreshOf(page.body), '3', 'refreshes every 3 seconds while mails wait');
  t.equal(facts(page.body)[label.queued!], 3, 'Wartet auf Versand 3');
  t.notMatch(page.body, /<script/, 'no JavaScript');
});

t.test('one address refused with 550 and one stalled: the others are sent, the two show their state, refreshing stops when done', async (t) => {
  const setup = await startImportApp(t, { SMTP_MAX_CONNECTIONS: '3', SMTP_TIMEOUT_SECONDS: '3', MAIL_RETRY_LIMIT: '1' });
  await addApplication(setup.db, 'buchhaltung', 'Buchhaltung', ['nutzer']);
  const { browser, smtp } = setup;
  smtp.refuseRecipient('nele2@b-neu.example', 550);
  smtp.stallRecipient('nele4@b-neu.example');
  const runPath = await importAndSend(setup, 'B', 6);

  const retrying = await waitFor('four sent, one failed, one waiting for its retry', async () => {
    const page = await browser.get(`${runPath}/links`);
    const counts = facts(page.body);
    return counts[label.sent!] === 4 && counts[label.failed!] === 1 && counts[label.retrying!] === 1 && page;
  }, 60_000);
  t.match(visibleText(retrying.body), text.imports.progressSummary(4, 6), '4 von 6 verschickt');
  t.match(retrying.body, /<progress max="6" value="4">/);
  t.match(visibleText(retrying.body), text.imports.progressRetryLater(1), 'the stalled one waits for a new attempt');
  t.equal(refreshOf(retrying.body), '10', 'only a retry is under way: a slower refresh');
  t.match(retrying.body, text.imports.resendFailed, 'the refused one can be sent again');

  const done = await waitFor('the stalled one to fail for good', async () => {
    const page = await browser.get(`${runPath}/links`);
    return facts(page.body)[label.failed!] === 2 && page;
  }, 60_000);
  t.equal(refreshOf(done.body), null, 'no refresh once nothing is under way');
  t.match(visibleText(done.body), text.imports.progressDone);
  t.equal(facts(done.body)[label.sent!], 4);
  t.equal(smtp.received.length, 4, 'four mails arrived, one each');
});
