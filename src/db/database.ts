import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect, PostgresDialect, type Transaction } from 'kysely';
import pg from 'pg';
import { DatabaseHealth } from '../ops/database-health.ts';
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
  /** The PostgreSQL pool (null on PGlite): its sizes go to /metrics. */
  pool: pg.Pool | null;
  /** Whether queries reach the database right now (outage phases, readiness, 503 pages). */
  health: DatabaseHealth;
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
  /** Seconds to wait for a connection (DB_CONNECT_TIMEOUT_SECONDS); PostgreSQL only. */
  connectTimeoutSeconds?: number;
  /** Seconds one statement may run (DB_STATEMENT_TIMEOUT_SECONDS); PostgreSQL only. */
  statementTimeoutSeconds?: number;
}

// Dates come back as Date objects on both engines; bigint counts as numbers are safe for our sizes.
pg.types.setTypeParser(20, (value) => Number(value));

export { pgliteOptions, pgliteSettings } from './pglite-options.ts';
export { DataDirLockedError } from './pglite-lock.ts';

export async function openDatabase(options: DatabaseOptions): Promise<DatabaseHandle> {
  const health = new DatabaseHealth();
  // Every query's outcome tells whether the database is there (Kysely calls this per query).
  const log = (event: { level: 'query' | 'error'; error?: unknown }) => (event.level === 'error' ? health.noteFailure(event.error) : health.noteSuccess());
  if (options.databaseUrl) {
    const statementMs = Math.round((options.statementTimeoutSeconds ?? 0) * 1000);
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      // Without these a database that accepts connections but never answers (frozen, a lock held
      // forever) keeps every request waiting; with them the request gets its 503 in time.
      ...(options.connectTimeoutSeconds ? { connectionTimeoutMillis: Math.round(options.connectTimeoutSeconds * 1000) } : {}),
      // statement_timeout ends the statement on the server (locks, slow plans); query_timeout,
      // a second later, gives up on a server that does not answer at all.
      ...(statementMs ? { statement_timeout: statementMs, query_timeout: statementMs + 1000 } : {}),
    });
    // Without a listener a dropped idle connection is an uncaught exception that ends the process;
    // the pool has already discarded the client, and the next query opens a fresh one.
    pool.on('error', (error) => {
      health.noteFailure(error);
      options.onPoolError?.(error);
    });
    // The pool listens for errors only on idle clients. A connection that dies while a query or
    // transaction has it checked out (database restarted, network cut) emits 'error' on the
    // client with nobody listening: an uncaught exception that ends the process. The query itself
    // fails with the same error (and gets its 503), so the listener only notes the outage.
    pool.on('connect', (client) => client.on('error', (error) => health.noteFailure(error)));
    // Kysely also reads Client and options (to cancel a running query on its own connection).
    const preparing = { connect: async () => prepareStatements(await pool.connect()), end: () => pool.end(), Client: (pool as unknown as { Client: unknown }).Client, options: pool.options };
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparing as unknown as pg.Pool }), log });
    return { db, pglite: null, connectionString: options.databaseUrl, pool, health, close: () => db.destroy() };
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
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }), log });
  return {
    db,
    pglite,
    connectionString: null,
    pool: null,
    health,
    async close() {
      try {
        await db.destroy();
      } finally {
        lock?.release();
      }
    },
  };
}

// PostgreSQL plans an unnamed statement anew each time: for the Anwender list (a LATERAL join
// per row for the newest link) planning took 1.9 ms against 0.6 ms of execution (EXPLAIN
// ANALYZE, 10,000 Mandanten). A named statement is parsed once per connection and, after five
// runs, planned once if the generic plan is as good (plan_cache_mode auto). So each query the
// app sends through Kysely is named by a hash of its text. Transaction control, DDL and other
// statements stay unnamed; a connection names at most MAX_NAMED_PER_CONNECTION different texts
// (lists of ids of varying length make new texts), then sends the rest unnamed.
// Behind PgBouncer in transaction mode this needs PgBouncer ≥ 1.21 with max_prepared_statements.
export const MAX_NAMED_PER_CONNECTION = 500;
const namedKinds = /^\s*(select|insert|update|delete|with)\b/i;
const preparing = new WeakSet<pg.PoolClient>();
const statementNames = new Map<string, string>();

function nameOf(text: string): string {
  let name = statementNames.get(text);
  if (!name) {
    name = `k${createHash('sha1').update(text).digest('base64url')}`;
    // The texts come from the code, not from input: a bounded set; the bound is a safety net.
    if (statementNames.size < 10_000) statementNames.set(text, name);
  }
  return name;
}

function prepareStatements(client: pg.PoolClient): pg.PoolClient {
  if (preparing.has(client)) return client;
  preparing.add(client);
  const named = new Set<string>();
  const query = client.query.bind(client) as (...args: unknown[]) => unknown;
  client.query = ((...args: unknown[]) => {
    const [text, values] = args;
    if (args.length === 2 && typeof text === 'string' && Array.isArray(values) && namedKinds.test(text)) {
      const name = nameOf(text);
      if (named.has(name) || named.size < MAX_NAMED_PER_CONNECTION) {
        named.add(name);
        return query({ name, text, values });
      }
    }
    return query(...args);
  }) as typeof client.query;
  return client;
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
