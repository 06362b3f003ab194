import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { fromPglite, PgBoss } from 'pg-boss';
import { openDatabase, pgliteOptions, type DatabaseHandle } from '../../src/db/database.ts';
import { migrateToLatest, migrationFolder } from '../../src/db/migrate.ts';

// One database per test file. On PGlite: a data directory migrated once (per migration set)
// and loaded into a fresh in-memory instance. On Postgres (DATABASE_URL set): a database
// created from a migrated template on the server.

function schemaFingerprint(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(migrationFolder).sort()) hash.update(file).update(readFileSync(join(migrationFolder, file)));
  hash.update(JSON.parse(readFileSync(new URL('../../node_modules/pg-boss/package.json', import.meta.url), 'utf8')).version);
  return hash.digest('hex').slice(0, 12);
}

async function installQueueSchema(boss: PgBoss): Promise<void> {
  await boss.start();
  await boss.stop({ graceful: false });
}

async function migratedPgliteDump(): Promise<Blob> {
  const file = join(tmpdir(), `agileas-pglite-${schemaFingerprint()}.tar.gz`);
  if (!existsSync(file)) {
    const pglite = await PGlite.create(pgliteOptions);
    const handle = await openDatabase({ databaseUrl: null, pgliteDir: null, pglite });
    await migrateToLatest(handle.db);
    await installQueueSchema(new PgBoss({ db: fromPglite(pglite), backend: 'pglite', supervise: false, schedule: false }));
    const dump = await pglite.dumpDataDir('gzip');
    const partial = `${file}.${process.pid}.tmp`;
    writeFileSync(partial, Buffer.from(await dump.arrayBuffer()));
    renameSync(partial, file); // atomic: parallel test files never read half a dump
    await handle.close();
  }
  return new Blob([readFileSync(file)]);
}

async function withMaintenanceClient<T>(databaseUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(databaseUrl);
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.href });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function databaseUrlFor(databaseUrl: string, name: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${name}`;
  return url.href;
}

async function ensurePostgresTemplate(databaseUrl: string): Promise<string> {
  const template = `agileas_tpl_${schemaFingerprint()}`;
  await withMaintenanceClient(databaseUrl, async (client) => {
    await client.query('select pg_advisory_lock(4242)');
    try {
      const exists = await client.query('select 1 from pg_database where datname = $1', [template]);
      if (exists.rowCount) return;
      const building = `${template}_build`;
      await client.query(`drop database if exists ${building}`);
      await client.query(`create database ${building}`);
      const handle = await openDatabase({ databaseUrl: databaseUrlFor(databaseUrl, building), pgliteDir: null, poolSize: 1 });
      await migrateToLatest(handle.db);
      await handle.close();
      await installQueueSchema(new PgBoss({ connectionString: databaseUrlFor(databaseUrl, building), supervise: false, schedule: false, max: 1 }));
      await client.query(`alter database ${building} rename to ${template}`);
    } finally {
      await client.query('select pg_advisory_unlock(4242)');
    }
  });
  return template;
}

export interface TestDatabase extends DatabaseHandle {
  kind: 'pglite' | 'postgres';
}

/** A fresh, migrated database of its own for one test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    const pglite = await PGlite.create({ ...pgliteOptions, loadDataDir: await migratedPgliteDump() });
    const handle = await openDatabase({ databaseUrl: null, pgliteDir: null, pglite });
    return {
      ...handle,
      kind: 'pglite',
      async close() {
        await handle.close();
        // Kysely closes PGlite only if it ever ran a query through it; an app that only talked to
        // the queue (pg-boss uses PGlite directly) left it open, and PGlite's timers kept the test
        // process alive.
        if (!pglite.closed) await pglite.close();
      },
    };
  }
  const fresh = await createPostgresTestDatabase(databaseUrl);
  const handle = await openDatabase({ databaseUrl: fresh.url, pgliteDir: null });
  return {
    ...handle,
    kind: 'postgres',
    async close() {
      await handle.close();
      await fresh.drop();
    },
  };
}

/**
 * A fresh, migrated database on the server of `databaseUrl`, not opened: its URL is for a
 * process of its own (the end-to-end tests start the real server with it).
 */
export async function createPostgresTestDatabase(databaseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const template = await ensurePostgresTemplate(databaseUrl);
  const name = `agileas_test_${randomBytes(6).toString('hex')}`;
  await withMaintenanceClient(databaseUrl, (client) => client.query(`create database ${name} template ${template}`));
  return {
    url: databaseUrlFor(databaseUrl, name),
    drop: () => withMaintenanceClient(databaseUrl, (client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}
