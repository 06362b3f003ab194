import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, PGliteDialect, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { Database } from './types.ts';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the database or an open transaction: query functions accept both. */
export type Executor = Kysely<Database> | Transaction<Database>;

export interface DatabaseHandle {
  db: Db;
  /** The embedded instance when running on PGlite; the job queue talks to it directly. */
  pglite: PGlite | null;
  connectionString: string | null;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  databaseUrl: string | null;
  /** Folder for the embedded database; null keeps PGlite in memory (tests). */
  pgliteDir: string | null;
  /** An existing PGlite instance (tests clone a migrated one). */
  pglite?: PGlite;
  poolSize?: number;
  /** Told when the server drops an idle pooled connection (restart, failover, idle timeout). */
  onPoolError?: (error: Error) => void;
}

// Dates come back as Date objects on both engines; bigint counts as numbers are safe for our sizes.
pg.types.setTypeParser(20, (value) => Number(value));

// PGlite is one Postgres backend inside this process, sized by default like a small server:
// 128 MB shared_buffers, 64 MB maintenance_work_mem, 100 connections' worth of shared memory.
// The embedded portal is one user's database on a laptop; these settings took its RSS from
// ~380 MB (peak ~870 MB) to what the README states. PostgreSQL's settings, passed like "-c" on
// its command line after PGlite's own defaults.
export const pgliteSettings = [
  'shared_buffers=16MB',
  'wal_buffers=1MB',
  'maintenance_work_mem=16MB',
  'temp_buffers=2MB',
  'work_mem=4MB',
  'max_connections=5',
];

/** Every PGlite of the app is made with these: the extensions the migrations use, bigint as number, the memory settings. */
export const pgliteOptions = {
  extensions: { pg_trgm },
  parsers: { 20: (value: string) => Number(value) },
  startParams: [...PGlite.defaultStartParams, ...pgliteSettings.flatMap((setting) => ['-c', setting])],
};

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: options.poolSize ?? 10 });
    // Without a listener a dropped idle connection is an uncaught exception that ends the process;
    // the pool has already discarded the client, and the next query opens a fresh one.
    pool.on('error', options.onPoolError ?? (() => {}));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { db, pglite: null, connectionString: options.databaseUrl, close: () => db.destroy() };
  }
  let pglite = options.pglite;
  if (!pglite) {
    if (options.pgliteDir) mkdirSync(options.pgliteDir, { recursive: true });
    pglite = await PGlite.create(options.pgliteDir ? join(options.pgliteDir) : undefined, pgliteOptions);
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return { db, pglite, connectionString: null, close: () => db.destroy() };
}
