// Run as a child process by database.ts: creates a new PGlite data directory, brings its schema
// up to date and closes it again. initdb runs in a WebAssembly instance of its own, and the
// first migrations grow Postgres's WebAssembly memory, which never shrinks: a few hundred MB
// that would otherwise stay in the portal for good. A process of its own returns all of it when
// it ends (a worker thread left ~170 MB behind in the allocator). Argument: the directory.
import { PGlite } from '@electric-sql/pglite';
import { Kysely, PGliteDialect } from 'kysely';
import { migrateToLatest } from './migrate.ts';
import { pgliteOptions } from './pglite-options.ts';

const pglite = await PGlite.create(process.argv[2]!, pgliteOptions);
const db = new Kysely<unknown>({ dialect: new PGliteDialect({ pglite }) });
try {
  await migrateToLatest(db);
} finally {
  await db.destroy();
}
