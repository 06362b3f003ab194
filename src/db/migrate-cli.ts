import { ConfigError, loadConfig } from '../config.ts';
import { openDatabase } from './database.ts';
import { migrateToLatest } from './migrate.ts';
import { join } from 'node:path';

try {
  const config = loadConfig();
  const handle = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: join(config.dataDir, 'pglite') });
  const applied = await migrateToLatest(handle.db);
  process.stdout.write(applied.length ? `Migrationen ausgeführt: ${applied.join(', ')}\n` : 'Datenbank ist aktuell.\n');
  await handle.close();
} catch (error) {
  process.stderr.write(`${error instanceof ConfigError ? 'Konfigurationsfehler: ' : ''}${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
