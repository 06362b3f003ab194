import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { openDatabase } from '../src/db/database.ts';
import { isSetupTokenUsable } from '../src/setup/setup.ts';
import { text } from '../src/i18n/de.ts';
import { createPostgresTestDatabase } from './helpers/database.ts';
import { exitWithin, freePort, startServer } from './helpers/server-process.ts';

// Issue 12, finding 12: in production every start of every instance printed a new setup link,
// each one invalidating the one before. Now only the first start prints one; later starts say
// how to get a new one (`npm run admin -- setup-link`), which replaces the old link.

t.setTimeout(300_000);
const run = promisify(execFile);
const cli = new URL('../src/admin-cli.ts', import.meta.url).pathname;
const linkPattern = /\/einrichtung\/([A-Za-z0-9_-]{43})/;

t.test('the production setup link is printed once, and on request', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'agileas-setup-link-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const postgres = process.env.DATABASE_URL ? await createPostgresTestDatabase(process.env.DATABASE_URL) : null;
  if (postgres) t.teardown(() => postgres.drop());
  const env = {
    NODE_ENV: 'production',
    DATA_DIR: dataDir,
    BASE_URL: 'https://portal.test',
    TRUST_PROXY: '127.0.0.1',
    SESSION_SECRET: 'setup-link-test-secret-0123456789abcdef-0123456789',
    SMTP_URL: 'smtp://127.0.0.1:9',
    IMPRESSUM_COMPANY: 'AgileAS GmbH',
    IMPRESSUM_ADDRESS: 'Musterstraße 1, 01067 Dresden',
    ...(postgres ? { DATABASE_URL: postgres.url } : {}),
  };
  const start = async () => {
    const server = startServer(t, { ...env, PORT: String(await freePort()) });
    await server.waitForOutput(/läuft/);
    await server.waitForOutput(/Betriebs-Zugang/);
    server.child.kill('SIGTERM');
    t.equal(await exitWithin(server, 30_000), 0, 'stopped');
    return server.output();
  };
  const usable = async (token: string) => {
    const handle = await openDatabase({ databaseUrl: postgres?.url ?? null, pgliteDir: join(dataDir, 'pglite') });
    try {
      return await isSetupTokenUsable(handle.db, token, new Date());
    } finally {
      await handle.close();
    }
  };

  const firstOutput = await start();
  const first = linkPattern.exec(firstOutput)?.[1];
  t.ok(first, 'the first start prints a setup link');

  const secondOutput = await start();
  t.notMatch(secondOutput, linkPattern, 'a second start prints no new link');
  t.match(secondOutput, text.setup.linkAlreadyIssued, 'it says how to get one');
  t.ok(await usable(first!), 'the first link still works');

  const asked = await run(process.execPath, [cli, 'setup-link'], { env: { PATH: process.env.PATH ?? '', ...env } });
  const fresh = linkPattern.exec(asked.stdout)?.[1];
  t.ok(fresh, '`npm run admin -- setup-link` prints a new link');
  t.not(fresh, first);
  t.ok(await usable(fresh!), 'the new link works');
  t.notOk(await usable(first!), 'and replaces the old one');
});
