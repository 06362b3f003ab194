import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Kysely, sql } from 'kysely';
import { FileMigrationProvider, Migrator } from 'kysely/migration';

export const migrationFolder = fileURLToPath(new URL('../../migrations', import.meta.url));

export class MigrationError extends Error {}

/** Brings the schema up to date; every instance may call it at start-up (Kysely takes a lock). */
export async function migrateToLatest(db: Kysely<any>): Promise<string[]> {
  if (await isUpToDate(db)) return [];
  const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder }) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unbekannt';
    throw new MigrationError(`Migration ${failed} ist fehlgeschlagen: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

// Kysely's FileMigrationProvider imports every migration module before it can tell that nothing
// is to do; at each start of the embedded portal that was ~80 ms of its cold start. When the
// table lists exactly the files there are, nothing is to do; anything else (new files, a row
// without its file, no table yet) goes through the Migrator, which decides and reports.
const migrationFile = /^(.+)\.(ts|mts|cts|js|mjs|cjs)$/;

async function isUpToDate(db: Kysely<any>): Promise<boolean> {
  const names = (await fs.readdir(migrationFolder)).filter((file) => !/\.d\.[mc]?ts$/.test(file)).map((file) => migrationFile.exec(file)?.[1]).filter((name) => name !== undefined);
  let applied: Set<string>;
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    applied = new Set(rows.map((row) => row.name));
  } catch {
    return false; // no table yet: a new database
  }
  return applied.size === names.length && names.every((name) => applied.has(name));
}

/**
 * Readiness: every migration this code brings has been applied. A newer instance may have applied
 * more during a rolling update; that does not make this one unready. Errors (no database) go up.
 */
export async function hasAllMigrations(db: Kysely<any>): Promise<boolean> {
  const names = (await fs.readdir(migrationFolder)).filter((file) => !/\.d\.[mc]?ts$/.test(file)).map((file) => migrationFile.exec(file)?.[1]).filter((name) => name !== undefined);
  const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
  const applied = new Set(rows.map((row) => row.name));
  return names.every((name) => applied.has(name));
}
