import t from 'tap';
import { text } from '../../src/i18n/de.ts';
import { visibleText } from '../helpers/browser.ts';
import { addApplication, auditCount, facts, importTables, issues, mandant, row, startImportApp, uploadOk, xlsx } from './helpers.ts';

// 10,000 Anwender in 1,000 Mandanten from one Excel file: one broken row near the end keeps
// everything out. (The expensive part, a 10,000-row commit, is the benchmark's job.)

function file(brokenLine: number): string[][] {
  const rows: string[][] = [];
  for (let m = 1; m <= 1000; m++) {
    for (let u = 1; u <= 10; u++) {
      const line = rows.length + 2; // the header is line 1
      const email = line === brokenLine ? `person${m}-${u}(at)firma${m}.example` : `person${m}-${u}@firma${m}.example`;
      rows.push(row({ ...mandant(`A-${m}`, `Firma ${m} GmbH`), anwendungen: 'buchhaltung', vorname: 'Anna', nachname: `Zahl-${'abcdefghij'[u - 1]}`, email, rechte: 'buchhaltung:nutzer' }));
    }
  }
  return rows;
}

t.test('an error in row 9,999 of 10,000 leaves the database unchanged', async (t) => {
  const { db, browser } = await startImportApp(t, {}, { startWorker: false });
  await addApplication(db, 'buchhaltung', 'Buchhaltung', ['nutzer', 'admin']);

  const broken = file(9999);
  t.equal(broken.length, 10_000);
  const bytes = await xlsx(broken);
  const runPath = await uploadOk(browser, 'umzug.xlsx', bytes);
  const page = await browser.get(runPath);
  t.equal(page.status, 200);
  t.same(
    issues(page.body).map((i) => [i.line, i.column, i.message]),
    [['9999', 'E-Mail', text.field.email]],
    'exactly one error, at Zeile 9999, Spalte E-Mail',
  );
  const counts = facts(page.body);
  t.equal(counts[text.imports.counts.newTenants!], 1000);
  t.equal(counts[text.imports.counts.newUsers!], 10_000);
  t.equal(counts[text.imports.counts.errorRows!], 1);

  const before = await importTables(db);
  const audits = { created: await auditCount(db, 'account.created'), committed: await auditCount(db, 'import.committed') };
  // The preview page's form token is still the browser's.
  const res = await browser.post(`${runPath}/ausfuehren`);
  t.equal(res.status, 303);
  t.equal(res.location, runPath);
  // The flash shows on the next page; the Import tab is cheaper to render than this preview again.
  t.match(visibleText((await browser.get('/import')).body), text.imports.commitRefused);
  t.equal(await importTables(db), before, 'not one of the 9,999 good rows was written');
  t.equal(await auditCount(db, 'account.created'), audits.created, "no 'account.created'");
  t.equal(await auditCount(db, 'import.committed'), audits.committed, "no 'import.committed'");
  const run = await db.selectFrom('import_runs').select('state').where('id', '=', runPath.split('/').pop()!).executeTakeFirstOrThrow();
  t.equal(run.state, 'preview', 'the run stays a preview');
});
