import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.ts';
import { MovableClock } from '../../src/clock.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import type { Db } from '../../src/db/database.ts';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { startSmtpPeer, type SmtpPeer } from './smtp-peer.ts';

export const BASE_URL = 'http://portal.test';

export interface TestApp {
  app: FastifyInstance;
  db: Db;
  database: TestDatabase;
  clock: MovableClock;
  smtp: SmtpPeer;
  config: Config;
  /** Every log line the app wrote, as raw JSON text. */
  logs: string[];
  dataDir: string;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/**
 * The real app on its own database with a real SMTP peer and a movable clock. Closed when the
 * test (tap's `t`) ends.
 */
export async function startTestApp(
  t: Teardown,
  env: Record<string, string> = {},
  options: { startWorker?: boolean; housekeeping?: boolean; database?: TestDatabase } = {},
): Promise<TestApp> {
  // A database passed in (two apps on one database, a database behind a relay) is the caller's to close.
  const database = options.database ?? (await createTestDatabase());
  const smtp = await startSmtpPeer();
  const dataDir = mkdtempSync(join(tmpdir(), 'agileas-test-'));
  const config = loadConfig({
    BASE_URL,
    DATA_DIR: dataDir,
    SMTP_URL: smtp.url,
    SESSION_SECRET: 'test-secret-test-secret-test-secret-0123456789',
    MAIL_POLLING_SECONDS: '0.5',
    MAIL_RETRY_DELAY_SECONDS: '1',
    MAIL_RETRY_LIMIT: '3',
    LOG_LEVEL: 'info',
    ...env,
  });
  const logs: string[] = [];
  const logStream = new Writable({
    write(chunk, _encoding, callback) {
      logs.push(chunk.toString());
      callback();
    },
  });
  const clock = new MovableClock();
  const app = await buildApp({ config, database, clock, logStream, printLine: (line) => logs.push(line), startWorker: options.startWorker, housekeeping: options.housekeeping ?? false });
  t.teardown(async () => {
    await app.close();
    if (!options.database) await database.close();
    await smtp.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return { app, db: database.db, database, clock, smtp, config, logs, dataDir };
}
