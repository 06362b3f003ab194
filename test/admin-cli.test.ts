import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { openDatabase } from '../src/db/database.ts';

// npm run admin -- create-operator: a further operator without a password, the invitation queued
// for the portal's mail worker; bad arguments and bad configuration give German lines, exit 1.

const run = promisify(execFile);
const cli = new URL('../src/admin-cli.ts', import.meta.url).pathname;

async function admin(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

t.test('create-operator creates the account without a password and queues its invitation', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'agileas-admin-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const result = await admin(['create-operator', '--first-name', 'Erika', '--last-name', 'Muster', '--email', 'erika@okit.example'], { DATA_DIR: dataDir });
  t.equal(result.code, 0, result.stderr);
  t.match(result.stdout, 'Betriebs-Zugang angelegt: Login „erika.muster“. Die Einladung an erika@okit.example ist in der Mail-Warteschlange');

  const again = await admin(['create-operator', '--first-name', 'Erika', '--last-name', 'Muster', '--email', 'erika.zwei@okit.example'], { DATA_DIR: dataDir });
  t.equal(again.code, 0, again.stderr);
  t.match(again.stdout, 'Login „erika.muster2“', 'a second Erika Muster gets the next free login');

  const handle = await openDatabase({ databaseUrl: null, pgliteDir: join(dataDir, 'pglite') });
  t.teardown(() => handle.close());
  const account = await handle.db.selectFrom('accounts').selectAll().where('login', '=', 'erika.muster').executeTakeFirstOrThrow();
  t.equal(account.role, 'operator');
  t.equal(account.password_hash, null, 'nobody but Erika ever sets her password');
  const delivery = await handle.db.selectFrom('mail_deliveries').select(['kind', 'state']).where('account_id', '=', account.id).executeTakeFirstOrThrow();
  t.same(delivery, { kind: 'invitation', state: 'queued' }, 'the invitation waits for the mail worker');
  const audit = await handle.db.selectFrom('audit_events').select('action').where('subject_account_id', '=', account.id).orderBy('id').execute();
  t.ok(audit.some((e) => e.action === 'account.created'), 'the creation is audited');
});

t.test('missing or wrong arguments: one German line each and the usage, exit 1, nothing created', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'agileas-admin-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const result = await admin(['create-operator', '--first-name', 'Erika', '--email', 'keine-adresse'], { DATA_DIR: dataDir });
  t.equal(result.code, 1);
  t.match(result.stderr, '--last-name: Bitte gib einen Nachnamen an.');
  t.match(result.stderr, /--email: .+/);
  t.match(result.stderr, 'Aufruf: npm run admin -- create-operator');
  const unknown = await admin(['delete-everything'], { DATA_DIR: dataDir });
  t.equal(unknown.code, 1);
  t.match(unknown.stderr, 'Aufruf: npm run admin');
});

t.test('a configuration error is one German line, exit 1', async (t) => {
  const result = await admin(['create-operator', '--first-name', 'Erika', '--last-name', 'Muster', '--email', 'erika@okit.example'], { NODE_ENV: 'production' });
  t.equal(result.code, 1);
  const lines = result.stderr.split('\n').filter((line) => line.trim() !== '');
  t.equal(lines.length, 1, 'no stack trace');
  t.match(lines[0], /^Konfigurationsfehler: BASE_URL/);
});
