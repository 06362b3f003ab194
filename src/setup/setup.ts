import { sql } from 'kysely';
import { recordAuditEvent } from '../audit/audit.ts';
import { HOUR } from '../clock.ts';
import type { Executor, Tx } from '../db/database.ts';
import { generateToken, hashToken, isTokenShaped } from '../tokens.ts';
import { createAccount } from '../users/accounts.ts';

export const SETUP_LINK_MINUTES = 60;
export const SETUP_PATH = '/einrichtung/';

export async function operatorExists(db: Executor): Promise<boolean> {
  const row = await db.selectFrom('accounts').select('id').where('role', '=', 'operator').limit(1).executeTakeFirst();
  return row !== undefined;
}

/** A new one-time setup token; earlier unused ones stop working. Only the hash is stored. */
export async function createSetupToken(db: Executor, at: Date): Promise<string> {
  const token = generateToken();
  await db.deleteFrom('setup_tokens').where('used_at', 'is', null).execute();
  await db
    .insertInto('setup_tokens')
    .values({ token_hash: hashToken(token), created_at: at, expires_at: new Date(at.getTime() + HOUR) })
    .execute();
  return token;
}

/**
 * A new setup token unless an unused one is still valid (then null): several instances starting
 * at once, or one restarting, do not each print a link that invalidates the one before.
 */
export async function createSetupTokenUnlessOpen(trx: Tx, at: Date): Promise<string | null> {
  await sql`select pg_advisory_xact_lock(hashtext('operator-setup'))`.execute(trx);
  const open = await trx.selectFrom('setup_tokens').select('id').where('used_at', 'is', null).where('expires_at', '>', at).executeTakeFirst();
  return open ? null : createSetupToken(trx, at);
}

export async function isSetupTokenUsable(db: Executor, token: string, now: Date): Promise<boolean> {
  if (!isTokenShaped(token) || (await operatorExists(db))) return false;
  const row = await db
    .selectFrom('setup_tokens')
    .select('id')
    .where('token_hash', '=', hashToken(token))
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row !== undefined;
}

export interface FirstOperator {
  firstName: string;
  lastName: string;
  email: string;
  passwordHash: string;
}

/** Creates the first operator, once: the token is claimed and the check for an operator runs under one lock. */
export async function completeSetup(trx: Tx, token: string, operator: FirstOperator, at: Date, ip: string | null): Promise<{ id: string; login: string } | null> {
  if (!isTokenShaped(token)) return null;
  await sql`select pg_advisory_xact_lock(hashtext('operator-setup'))`.execute(trx);
  if (await operatorExists(trx)) return null;
  const claimed = await trx
    .updateTable('setup_tokens')
    .set({ used_at: at })
    .where('token_hash', '=', hashToken(token))
    .where('used_at', 'is', null)
    .where('expires_at', '>', at)
    .returning('id')
    .executeTakeFirst();
  if (!claimed) return null;
  const account = await createAccount(
    trx,
    { role: 'operator', resellerId: null, tenantId: null, firstName: operator.firstName, lastName: operator.lastName, email: operator.email, passwordHash: operator.passwordHash },
    { actorId: null, at, ip },
  );
  await recordAuditEvent(trx, { action: 'setup.completed', at, actorId: account.id, subjectId: account.id, ip });
  return account;
}
