import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { lockDataDir } from './pglite-lock.ts';
import { pgliteOptions } from './pglite-options.ts';
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

export { pgliteOptions, pgliteSettings } from './pglite-options.ts';
export { DataDirLockedError } from './pglite-lock.ts';

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
  // The data directory is locked before anything reads it: a second process refuses instead of
  // opening (and migrating) a database another process has open (issue 12, finding 13).
  const lock = !pglite && options.pgliteDir ? lockDataDir(options.pgliteDir) : null;
  try {
    if (!pglite) {
      if (options.pgliteDir) {
        mkdirSync(options.pgliteDir, { recursive: true });
        if (!existsSync(join(options.pgliteDir, 'PG_VERSION'))) await initialisePgliteDir(options.pgliteDir);
      }
      pglite = await PGlite.create(options.pgliteDir ? join(options.pgliteDir) : undefined, pgliteOptions);
    }
  } catch (error) {
    lock?.release();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    pglite,
    connectionString: null,
    async close() {
      try {
        await db.destroy();
      } finally {
        lock?.release();
      }
    },
  };
}

/**
 * A new data directory is made and migrated in a child process (pglite-init.ts): initdb's
 * WebAssembly instance and the memory the first migrations grow go away with it, instead of
 * staying in the portal (the first start's RSS at the first page was ~640 MB). Costs one extra
 * process start, once. Its error output (a failing migration) goes to ours.
 */
async function initialisePgliteDir(dir: string): Promise<void> {
  const script = fileURLToPath(new URL('./pglite-init.ts', import.meta.url));
  const child = spawn(process.execPath, [...process.execArgv, script, dir], { stdio: ['ignore', 'inherit', 'pipe'] });
  let errors = '';
  child.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`PGlite-Initialisierung fehlgeschlagen (Code ${code}): ${errors.trim().split('\n').slice(-3).join(' ')}`);
}
