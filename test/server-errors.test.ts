import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { exitWithin, freePort, startServer } from './helpers/server-process.ts';

// A start that cannot work ends with exit code 1 and one German line that names the setting
// to fix (issue 2, point 2), never a stack trace.

// The port-in-use case boots a fresh embedded database before it can fail: slow on a busy machine.
t.setTimeout(300_000);

t.test('a bad PORT stops the real server with exit code 1 and one line naming PORT', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'agileas-server-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const server = startServer(t, { DATA_DIR: dataDir, PORT: 'abc' });
  t.equal(await exitWithin(server, 30_000), 1, 'exit code 1');
  const lines = server.output().split('\n').filter((line) => line.trim() !== '');
  t.equal(lines.length, 1, 'exactly one line');
  t.match(lines[0], /PORT/, 'naming PORT');
  t.match(lines[0], /Konfigurationsfehler/, 'in German');
});

t.test('an unreachable DATABASE_URL stops the real server with exit code 1 and one line naming it, without its password', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'agileas-server-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const closedPort = await freePort();
  const server = startServer(t, { DATA_DIR: dataDir, PORT: String(await freePort()), DATABASE_URL: `postgres://portal:geheim-123@127.0.0.1:${closedPort}/portal` });
  t.equal(await exitWithin(server, 30_000), 1, 'exit code 1');
  const lines = server.output().split('\n').filter((line) => line.trim() !== '');
  t.equal(lines.length, 1, 'exactly one line, no stack trace');
  t.match(lines[0], /^Konfigurationsfehler: DATABASE_URL/, 'naming DATABASE_URL');
  t.match(lines[0], `127.0.0.1:${closedPort}/portal`, 'and where the database was expected');
  t.notMatch(lines[0], /geheim-123/, 'but not the password');
});

t.test('a port already in use stops the real server with exit code 1 and one line naming PORT', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'agileas-server-'));
  t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
  const occupier = createServer();
  await new Promise<void>((resolve) => occupier.listen(0, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => occupier.close(() => resolve())));
  const { port } = occupier.address() as { port: number };
  const server = startServer(t, { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', BASE_URL: `http://127.0.0.1:${port}` });
  t.equal(await exitWithin(server, 120_000), 1, 'exit code 1');
  const errorLines = server.output().split('\n').filter((line) => line.includes('Konfigurationsfehler'));
  t.equal(errorLines.length, 1, 'one line says what is wrong');
  t.match(errorLines[0], `PORT: 127.0.0.1:${port} ist schon belegt`, 'naming PORT');
  t.notMatch(server.output(), /^\s+at /m, 'no stack trace');
  t.notMatch(server.output(), /läuft/, 'and the portal does not claim to run');
});
