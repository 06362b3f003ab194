import { join } from 'node:path';
import { buildApp } from './app.ts';
import { systemClock } from './clock.ts';
import { ConfigError, loadConfig } from './config.ts';
import { openDatabase } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { text } from './i18n/de.ts';
import { createSetupToken, operatorExists, SETUP_LINK_MINUTES, SETUP_PATH } from './setup/setup.ts';

// Start-up: config → database → migrations → app → listen. Stop: no new requests, finish the
// running ones, stop the queue, close the database.

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

let config;
try {
  config = loadConfig();
} catch (error) {
  if (error instanceof ConfigError) fail(`Konfigurationsfehler: ${error.message}`);
  throw error;
}

const database = await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: join(config.dataDir, 'pglite') });
await migrateToLatest(database.db);
const app = await buildApp({
  config,
  database,
  // Development without SMTP: mail notices (with the link) go to the console, as promised in the README.
  printLine: (line) => console.log(line),
});

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  app.log.info({ signal }, 'Portal wird beendet');
  try {
    await app.close();
    await database.close();
    process.exit(0);
  } catch (error) {
    app.log.error({ err: error }, 'Fehler beim Beenden');
    process.exit(1);
  }
}
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));

await app.listen({ port: config.port, host: config.host });
console.log(`AgileAS Reseller-Portal läuft: ${config.baseUrl.href} (Datenbank: ${config.databaseUrl ? 'PostgreSQL' : `eingebettet in ${join(config.dataDir, 'pglite')}`})`);

if (!(await operatorExists(database.db))) {
  const token = await createSetupToken(database.db, systemClock.now());
  console.log(text.setup.consoleLine(new URL(`${SETUP_PATH}${token}`, config.baseUrl).href, SETUP_LINK_MINUTES));
}
