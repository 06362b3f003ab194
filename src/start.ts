import { join } from 'node:path';
import { sql } from 'kysely';
import { buildApp } from './app.ts';
import { systemClock } from './clock.ts';
import { fail, loadConfigOrFail } from './cli.ts';
import { DataDirLockedError, openDatabase, type DatabaseHandle } from './db/database.ts';
import { migrateToLatest } from './db/migrate.ts';
import { ARGON2_NICE } from './passwords/argon2-pool.ts';
import { argon2Pool } from './passwords/hashing.ts';
import { text } from './i18n/de.ts';
import { createSetupToken, createSetupTokenUnlessOpen, operatorExists, SETUP_LINK_MINUTES, SETUP_PATH } from './setup/setup.ts';
import { coloursFor, createDevelopmentLogStream, frame } from './web/dev-console.ts';

// Start-up: config → database → migrations → app → listen. Stop: no new requests, finish the
// running ones, stop the queue, close the database.

const config = loadConfigOrFail();
// The server's argon2 threads yield to its event loop and to PostgreSQL (issue 16).
argon2Pool.setNice(ARGON2_NICE);

/** One line for the operator: an unreachable database is a configuration problem, not a crash. */
function reason(error: unknown): string {
  const e = error as { message?: string; code?: string; errors?: unknown[] } | null;
  // pg reports "localhost" refused on both ::1 and 127.0.0.1 as an AggregateError without a message.
  const message = e?.message || (e?.errors?.length ? reason(e.errors[0]) : '') || e?.code || String(error);
  return message.replace(/\s+/g, ' ').trim();
}

// Where the database was expected; never the password of DATABASE_URL.
const databaseUrl = config.databaseUrl ? new URL(config.databaseUrl) : null;
const databasePlace = databaseUrl
  ? { variable: 'DATABASE_URL', where: `${databaseUrl.host}${databaseUrl.pathname}` }
  : { variable: 'DATA_DIR', where: join(config.dataDir, 'pglite') };
let database: DatabaseHandle;
try {
  database = await openDatabase({
    databaseUrl: config.databaseUrl,
    pgliteDir: join(config.dataDir, 'pglite'),
    // A dropped connection is part of an outage, which app.ts logs at its start and end.
    connectTimeoutSeconds: config.dbConnectTimeoutSeconds,
    statementTimeoutSeconds: config.dbStatementTimeoutSeconds,
  });
  await sql`select 1`.execute(database.db);
} catch (error) {
  if (error instanceof DataDirLockedError) fail(`Konfigurationsfehler: ${error.message}`);
  fail(`Konfigurationsfehler: ${text.startup.databaseUnreachable(databasePlace.variable, databasePlace.where, reason(error))}`);
}
await migrateToLatest(database.db);
// Development: a person reads the console. Links in a frame, log lines short, request lines only
// at LOG_LEVEL=debug. Production keeps pino's JSON lines for the log collector.
const colours = coloursFor(Boolean(process.stdout.isTTY));
const developmentLog = config.production ? undefined : createDevelopmentLogStream(process.stdout, ['debug', 'trace'].includes(config.logLevel));
const app = await buildApp({
  config,
  database,
  // Development without SMTP: mail notices (with the link) go to the console, as promised in the README.
  printLine: (line) => console.log(config.production ? line : frame(line.split('\n'), colours)),
  logStream: developmentLog,
  // The login page answers while the mail queue starts (~0.5 s on PGlite); mails wait for it.
  queueInBackground: true,
});

let stopping = false;
/**
 * SIGTERM: /readyz answers 503 at once, the listener takes no new connections, idle keep-alive
 * connections are closed, running requests finish (their connections close after the response)
 * and the mail worker finishes the mails in hand but fetches no more (app.ts). After
 * SHUTDOWN_TIMEOUT_SECONDS whatever is still open is cut and the process ends anyway.
 */
async function stop(signal: string, exitCode = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  app.lifecycle.stopping = true;
  app.log.info({ signal }, 'Portal wird beendet');
  const deadlineMs = config.shutdownTimeoutSeconds * 1000;
  // A connection whose response went out just before "stopping" was set may still idle on.
  const sweep = setInterval(() => app.server.closeIdleConnections(), 200);
  const deadline = setTimeout(() => {
    app.log.warn({ afterSeconds: config.shutdownTimeoutSeconds }, 'Beenden dauert zu lange: offene Verbindungen werden getrennt');
    app.server.closeAllConnections();
    setTimeout(() => process.exit(1), 1000).unref();
  }, deadlineMs);
  deadline.unref();
  try {
    await app.close();
    await database.close();
    clearInterval(sweep);
    process.exit(exitCode);
  } catch (error) {
    app.log.error({ err: error }, 'Fehler beim Beenden');
    process.exit(1);
  }
}
// A queue that cannot start is as fatal as a database that cannot be reached.
app.queueReady.catch((error: unknown) => {
  // Through the logger, which redacts secrets (a connection error may carry the database URL).
  app.log.fatal({ err: error }, `Mail-Warteschlange konnte nicht starten: ${reason(error)}`);
  void stop('queue', 1);
});
process.once('SIGTERM', () => void stop('SIGTERM'));
process.once('SIGINT', () => void stop('SIGINT'));

try {
  await app.listen({ port: config.port, host: config.host });
} catch (error) {
  if ((error as { code?: string }).code !== 'EADDRINUSE') throw error;
  await app.close();
  await database.close();
  fail(`Konfigurationsfehler: ${text.startup.portInUse(config.host, config.port)}`);
}
console.log(`AgileAS Reseller-Portal läuft: ${config.baseUrl.href} (Datenbank: ${config.databaseUrl ? 'PostgreSQL' : `eingebettet in ${join(config.dataDir, 'pglite')}`})`);

if (!(await operatorExists(database.db))) {
  // Production: only the first start mints and prints the link (several instances, restarts);
  // later starts point to `npm run admin -- setup-link`. Development: a new link every start.
  const token = config.production
    ? await database.db.transaction().execute((trx) => createSetupTokenUnlessOpen(trx, systemClock.now()))
    : await createSetupToken(database.db, systemClock.now());
  const line = token ? text.setup.consoleLine(new URL(`${SETUP_PATH}${token}`, config.baseUrl).href, SETUP_LINK_MINUTES) : text.setup.linkAlreadyIssued;
  console.log(config.production ? line : frame(line.split('\n'), colours));
}
