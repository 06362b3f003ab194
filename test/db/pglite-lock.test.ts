import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { lockFileFor } from '../../src/db/pglite-lock.ts';
import { exitWithin, freePort, startServer } from '../helpers/server-process.ts';

// Issue 12, finding 13: a second `npm start` on the same DATA_DIR opened and migrated the
// embedded database before it noticed its port was taken; two processes on one PGlite directory
// can corrupt it. Now the directory is locked first: the second process refuses with one German
// line naming the first one's pid, and a lock whose process died is taken over.

t.setTimeout(300_000);
const run = promisify(execFile);
const cli = new URL('../../src/admin-cli.ts', import.meta.url).pathname;

// Only the embedded database has a directory to lock: the PostgreSQL run skips this file.
t.test('one process per embedded database', { skip: process.env.DATABASE_URL ? 'PGlite only' : false }, async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'agileas-lock-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const first = startServer(t, { DATA_DIR: dataDir, PORT: String(await freePort()) });
  await first.waitForOutput(/läuft/);
  t.ok(existsSync(lockFileFor(join(dataDir, 'pglite'))), 'the lock file is there');

  const second = startServer(t, { DATA_DIR: dataDir, PORT: String(await freePort()) });
  t.equal(await exitWithin(second, 60_000), 1, 'the second process ends with exit code 1');
  const lines = second.output().split('\n').filter((line) => line.trim() !== '');
  t.equal(lines.length, 1, `one line, no stack trace: ${second.output()}`);
  t.match(lines[0], /^Konfigurationsfehler: DATA_DIR: /, 'naming DATA_DIR, in German');
  t.match(lines[0], `PID ${first.child.pid}`, 'naming the other process');
  t.notMatch(second.output(), /läuft/, 'it never claims to run');

  // The admin command on the same directory is refused the same way while the portal runs.
  const admin = await run(process.execPath, [cli, 'setup-link'], { env: { PATH: process.env.PATH ?? '', DATA_DIR: dataDir } }).then(
    () => ({ code: 0, stderr: '' }),
    (error: { code: number; stderr: string }) => error,
  );
  t.equal(admin.code, 1, 'npm run admin is refused while the portal runs');
  t.match(admin.stderr, `PID ${first.child.pid}`);

  // The first process dies without cleaning up: its lock is stale, and the next start takes it.
  first.child.kill('SIGKILL');
  await first.exited;
  t.ok(existsSync(lockFileFor(join(dataDir, 'pglite'))), 'SIGKILL left the lock file behind');
  const third = startServer(t, { DATA_DIR: dataDir, PORT: String(await freePort()) });
  await third.waitForOutput(/läuft/);
  t.pass('a start after the owner died runs');
  third.child.kill('SIGTERM');
  t.equal(await exitWithin(third, 30_000), 0, 'a clean stop');
  t.notOk(existsSync(lockFileFor(join(dataDir, 'pglite'))), 'and it removes its lock');
});
