import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { openDatabase } from '../../src/db/database.ts';

// Issue 12, finding 1: operators see and lift login blocks on the command line, audited.

const run = promisify(execFile);
const cli = new URL('../../src/admin-cli.ts', import.meta.url).pathname;

async function admin(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

t.test('npm run admin -- sperren lists blocks, entsperren lifts them with an audit event', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'agileas-unlock-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const created = await admin(['create-operator', '--first-name', 'Olga', '--last-name', 'Offen', '--email', 'olga@okit.example'], { DATA_DIR: dataDir });
  t.equal(created.code, 0, created.stderr);
  {
    const handle = await openDatabase({ databaseUrl: null, pgliteDir: join(dataDir, 'pglite') });
    const until = new Date(Date.now() + 10 * 60_000);
    await handle.db.insertInto('login_throttle').values([
      { key: 'login:olga.offen', failures: 60, window_started_at: new Date(), blocked_until: until },
      { key: 'login:olga.offen|ip:203.0.113.9', failures: 6, window_started_at: new Date(), blocked_until: until },
      { key: 'ip:198.51.100.7', failures: 40, window_started_at: new Date(), blocked_until: until },
    ]).execute();
    await handle.close();
  }
  const list = await admin(['sperren'], { DATA_DIR: dataDir });
  t.equal(list.code, 0, list.stderr);
  t.match(list.stdout, 'login:olga.offen\t');
  t.match(list.stdout, 'ip:198.51.100.7');

  const missing = await admin(['entsperren'], { DATA_DIR: dataDir });
  t.equal(missing.code, 1, 'entsperren without a target is refused');
  t.match(missing.stderr + missing.stdout, 'entsperren braucht --login oder --address');

  const lifted = await admin(['entsperren', '--login', 'Olga.Offen'], { DATA_DIR: dataDir });
  t.equal(lifted.code, 0, lifted.stderr);
  t.match(lifted.stdout, 'login:olga.offen');
  const after = await admin(['sperren'], { DATA_DIR: dataDir });
  t.notMatch(after.stdout, 'olga.offen', 'both of Olga\'s blocks are gone');
  t.match(after.stdout, 'ip:198.51.100.7', 'the address block stays');

  const handle = await openDatabase({ databaseUrl: null, pgliteDir: join(dataDir, 'pglite') });
  t.teardown(() => handle.close());
  const olga = await handle.db.selectFrom('accounts').select('id').where('login', '=', 'olga.offen').executeTakeFirstOrThrow();
  const events = await handle.db.selectFrom('audit_events').select(['action', 'details']).where('subject_account_id', '=', olga.id).where('action', '=', 'login.unlocked').execute();
  t.equal(events.length, 1, 'the unlock is audited against Olga\'s account');
});
