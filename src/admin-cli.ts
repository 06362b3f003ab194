import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { systemClock } from './clock.ts';
import { fail, loadConfigOrFail } from './cli.ts';
import { DataDirLockedError, openDatabase } from './db/database.ts';
import { text } from './i18n/de.ts';
import { createSetupToken, operatorExists, SETUP_LINK_MINUTES, SETUP_PATH } from './setup/setup.ts';
import { migrateToLatest } from './db/migrate.ts';
import { createMailOutbox } from './mail/outbox.ts';
import { startJobQueue } from './mail/queue.ts';
import { issuePasswordLink } from './passwords/links.ts';
import { recordAuditEvent } from './audit/audit.ts';
import { liftThrottle, listBlocked } from './auth/throttle.ts';
import { createAccount } from './users/accounts.ts';
import { checkEmail, checkPersonName, tidy } from './web/forms.ts';

// npm run admin -- create-operator --first-name … --last-name … --email …
// Creates an operator without a password and queues the invitation link; the running portal's
// mail worker sends it (on the embedded database: stop the portal first, it is single-process).
// npm run admin -- setup-link
// Prints a new one-time setup link while no operator exists (it replaces any earlier one); in
// production the portal prints one only at the first start.
// npm run admin -- sperren                       lists the login blocks in force now
// npm run admin -- entsperren --login <Login>    lifts a login's blocks (all addresses)
// npm run admin -- entsperren --address <IP>     lifts an address's blocks (audited either way)

const usage = [
  'Aufruf: npm run admin -- create-operator --first-name <Vorname> --last-name <Nachname> --email <E-Mail>',
  '       npm run admin -- setup-link',
  '       npm run admin -- sperren',
  '       npm run admin -- entsperren --login <Login> | --address <IP-Adresse>',
].join('\n');

const { positionals, values } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: { 'first-name': { type: 'string' }, 'last-name': { type: 'string' }, email: { type: 'string' }, login: { type: 'string' }, address: { type: 'string' } },
    });
  } catch (error) {
    return fail(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
  }
})();

/** The database, or one line saying why not (an embedded database another process holds). */
async function openOrFail(config: ReturnType<typeof loadConfigOrFail>) {
  try {
    return await openDatabase({ databaseUrl: config.databaseUrl, pgliteDir: join(config.dataDir, 'pglite') });
  } catch (error) {
    if (error instanceof DataDirLockedError) fail(`Konfigurationsfehler: ${error.message}`);
    throw error;
  }
}

if (positionals[0] === 'setup-link') {
  const config = loadConfigOrFail();
  const database = await openOrFail(config);
  try {
    await migrateToLatest(database.db);
    if (await operatorExists(database.db)) fail(text.setup.operatorExists);
    const token = await createSetupToken(database.db, systemClock.now());
    process.stdout.write(`${text.setup.consoleLine(new URL(`${SETUP_PATH}${token}`, config.baseUrl).href, SETUP_LINK_MINUTES)}\n`);
  } finally {
    await database.close();
  }
  process.exit(0);
}

if (positionals[0] === 'sperren' || positionals[0] === 'entsperren') {
  await manageThrottle(positionals[0]);
  process.exit(0);
}
if (positionals[0] !== 'create-operator') fail(usage);
const firstName = tidy(values['first-name'] ?? '');
const lastName = tidy(values['last-name'] ?? '');
const email = (values.email ?? '').trim();
const problems = [
  ['--first-name', checkPersonName(firstName, 'einen Vornamen')],
  ['--last-name', checkPersonName(lastName, 'einen Nachnamen')],
  ['--email', checkEmail(email, 'eine E-Mail-Adresse')],
].filter(([, message]) => message);
if (problems.length) fail(`${problems.map(([option, message]) => `${option}: ${message}`).join('\n')}\n${usage}`);

const config = loadConfigOrFail();

const database = await openOrFail(config);
try {
  await migrateToLatest(database.db);
  const boss = await startJobQueue(database, { retryLimit: config.mailRetryLimit, retryDelaySeconds: config.mailRetryDelaySeconds }, { error: ({ err }, message) => process.stderr.write(`${message}: ${String(err)}\n`) });
  const outbox = createMailOutbox(boss);
  const at = systemClock.now();
  const account = await database.db.transaction().execute(async (trx) => {
    const created = await createAccount(trx, { role: 'operator', resellerId: null, tenantId: null, firstName, lastName, email }, { actorId: null, at });
    await issuePasswordLink(trx, outbox, { invitationHours: config.invitationLinkHours, resetHours: config.resetLinkHours }, { accountId: created.id, actorId: null, at });
    return created;
  });
  await boss.stop({ graceful: true, timeout: 5000 });
  process.stdout.write(`Betriebs-Zugang angelegt: Login „${account.login}“. Die Einladung an ${email} ist in der Mail-Warteschlange; das Portal verschickt sie.\n`);
} finally {
  await database.close();
}

async function manageThrottle(command: 'sperren' | 'entsperren'): Promise<void> {
  const login = values.login?.trim();
  const address = values.address?.trim();
  if (command === 'entsperren' && !login && !address) fail(`entsperren braucht --login oder --address.\n${usage}`);
  const config = loadConfigOrFail();
  const database = await openOrFail(config);
  try {
    await migrateToLatest(database.db);
    const now = systemClock.now();
    if (command === 'sperren') {
      const blocked = await listBlocked(database.db, now);
      if (blocked.length === 0) process.stdout.write('Keine Anmeldesperre aktiv.\n');
      for (const entry of blocked) {
        process.stdout.write(`${entry.key}\tgesperrt bis ${entry.blockedUntil.toISOString()}\t${entry.failures} Fehlversuche\n`);
      }
      return;
    }
    const removed = await database.db.transaction().execute(async (trx) => {
      const keys = await liftThrottle(trx, { login, ip: address });
      const account = login
        ? await trx.selectFrom('accounts').select(['id', 'reseller_id', 'tenant_id']).where((eb) => eb(eb.fn('lower', ['login']), '=', login.toLocaleLowerCase('de-DE'))).executeTakeFirst()
        : undefined;
      await recordAuditEvent(trx, {
        action: 'login.unlocked',
        at: now,
        subjectId: account?.id ?? null,
        resellerId: account?.reseller_id ?? null,
        tenantId: account?.tenant_id ?? null,
        ip: address ?? null,
        details: { by: 'admin-cli', entries: keys.length },
      });
      return keys;
    });
    process.stdout.write(removed.length ? `Aufgehoben: ${removed.join(', ')}\n` : 'Keine Sperre gefunden; nichts zu tun.\n');
  } finally {
    await database.close();
  }
}
