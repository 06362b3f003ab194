// Runs in a worker thread (database.ts): creates a new PGlite data directory, brings its schema
// up to date and closes it again. initdb runs in a WebAssembly instance of its own, and the
// first migrations grow Postgres's WebAssembly memory, which never shrinks: ~400 MB that would
// stay in the portal. Ending the worker returns them at once.
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect } from 'kysely';
import { migrateToLatest } from './migrate.ts';
import { pgliteOptions } from './pglite-options.ts';

const pglite = await PGlite.create((workerData as { dir: string }).dir, pgliteOptions);
const db = new Kysely<unknown>({ dialect: new PGliteDialect({ pglite }) });
try {
  await migrateToLatest(db);
} finally {
  await db.destroy();
}
parentPort!.postMessage('ready');
