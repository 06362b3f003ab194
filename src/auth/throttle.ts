import { sql } from 'kysely';
import { MINUTE } from '../clock.ts';
import type { Executor } from '../db/database.ts';

// Growing delays instead of a lockout: after a few free attempts every further failure doubles
// the wait, capped at 15 minutes, and a quiet window forgets the count. State lives in Postgres,
// so every instance sees the same counts.
//
// Per account there are two counts (issue 12, finding 1: anyone who knew a login could lock its
// owner out with five wrong passwords):
// * per account *and* address (pairPolicy): four failures free, then the growing delay. A
//   guesser at one address is slowed as before; the owner at another address is not affected.
// * per account over all addresses (accountCeilingPolicy): 50 failures free in 15 minutes, far
//   above what the owner produces, so only a guesser spread over many addresses reaches it.
//   A correct password from an address the account has signed in from before (within
//   KNOWN_ADDRESS_DAYS) passes this ceiling, so even then the owner gets in at the office.
// Operators list and lift blocks with `npm run admin -- sperren` / `entsperren` (audited).

export interface ThrottlePolicy {
  freeFailures: number;
  firstDelayMs: number;
  maxDelayMs: number;
  windowMs: number;
}

// What a login POST from one address may do (issue 16: a whole office signs in from one NAT
// address the morning after an Umzug):
// * failures (wrong password, unknown or disabled login) count per address: ipPolicy below;
// * successful sign-ins do not count there; all POSTs to /anmelden from one address are only
//   capped by LOGIN_CEILING_PER_MINUTE (@fastify/rate-limit, per instance), far above what an
//   office needs and far below what would make the per-address failure count meaningless
//   (the environment variable of the same name changes it; the benchmark raises it to measure
//   argon2's speed, not this ceiling);
// * at most LOGIN_CHECKS_PER_ADDRESS checks of one address run at once (login.ts), so parallel
//   guesses cannot all pass the address check before their failures are counted.
export const LOGIN_CEILING_PER_MINUTE = 1000;
export const LOGIN_CHECKS_PER_ADDRESS = 8;

export const pairPolicy: ThrottlePolicy = { freeFailures: 4, firstDelayMs: 15_000, maxDelayMs: 15 * MINUTE, windowMs: 15 * MINUTE };
/** @deprecated name: the per-account-and-address policy. */
export const accountPolicy = pairPolicy;
// NIST SP 800-63B allows at most 100 consecutive failures per account; half of that is free here.
export const accountCeilingPolicy: ThrottlePolicy = { freeFailures: 50, firstDelayMs: 15_000, maxDelayMs: 15 * MINUTE, windowMs: 15 * MINUTE };
/** An address counts as the owner's for this long after its last successful sign-in. */
export const KNOWN_ADDRESS_DAYS = 90;
// An office behind one address has many people; the per-IP limit only stops spraying.
export const ipPolicy: ThrottlePolicy = { freeFailures: 30, firstDelayMs: 15_000, maxDelayMs: 15 * MINUTE, windowMs: 15 * MINUTE };

// The set-password link pages (issue 10): an office opens hundreds of valid links from one
// address, so only dead or unknown tokens count per address; a valid link is limited per token
// (passwords/routes.ts). 50 dead links in 15 minutes are free (old invitations clicked in the
// mail archive), then the address waits, growing from one minute.
export const deadLinkPolicy: ThrottlePolicy = { freeFailures: 50, firstDelayMs: MINUTE, maxDelayMs: 15 * MINUTE, windowMs: 15 * MINUTE };

export function deadLinkKey(ip: string): string {
  return `link-ip:${ip}`;
}

export function accountKey(login: string): string {
  return `login:${login.trim().toLocaleLowerCase('de-DE')}`;
}

/** The count of one login from one address. */
export function pairKey(login: string, ip: string): string {
  return `${accountKey(login)}|ip:${ip}`;
}

export function ipKey(ip: string): string {
  return `ip:${ip}`;
}

export function delayAfter(failures: number, policy: ThrottlePolicy): number {
  if (failures <= policy.freeFailures) return 0;
  return Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** (failures - policy.freeFailures - 1));
}

/** The latest moment any of the keys is blocked until, or null when none is blocked now. */
export async function findBlockedUntil(db: Executor, keys: string[], now: Date): Promise<Date | null> {
  const row = await db
    .selectFrom('login_throttle')
    .select((eb) => eb.fn.max('blocked_until').as('until'))
    .where('key', 'in', keys)
    .where('blocked_until', '>', now)
    .executeTakeFirst();
  return row?.until ? new Date(row.until) : null;
}

/** Each of the keys that is blocked now, with the moment it is blocked until (one query for several keys). */
export async function findBlocks(db: Executor, keys: string[], now: Date): Promise<Map<string, Date>> {
  const rows = await db.selectFrom('login_throttle').select(['key', 'blocked_until']).where('key', 'in', keys).where('blocked_until', '>', now).execute();
  return new Map(rows.map((row) => [row.key, new Date(row.blocked_until!)]));
}

export async function recordLoginFailure(db: Executor, key: string, policy: ThrottlePolicy, now: Date): Promise<number> {
  const windowStart = new Date(now.getTime() - policy.windowMs);
  const row = await db
    .insertInto('login_throttle')
    .values({ key, failures: 1, window_started_at: now, blocked_until: null })
    .onConflict((oc) =>
      oc.column('key').doUpdateSet({
        failures: sql`case when login_throttle.window_started_at < ${windowStart} and (login_throttle.blocked_until is null or login_throttle.blocked_until < ${now}) then 1 else login_throttle.failures + 1 end`,
        window_started_at: sql`case when login_throttle.window_started_at < ${windowStart} and (login_throttle.blocked_until is null or login_throttle.blocked_until < ${now}) then ${now}::timestamptz else login_throttle.window_started_at end`,
      }),
    )
    .returning('failures')
    .executeTakeFirstOrThrow();
  const delay = delayAfter(row.failures, policy);
  if (delay > 0) {
    await db.updateTable('login_throttle').set({ blocked_until: new Date(now.getTime() + delay) }).where('key', '=', key).execute();
  }
  return row.failures;
}

/**
 * Takes one attempt for a key before the password is checked, counted as a failure in advance;
 * a success clears the key again (clearLoginFailures). Check and count are one statement:
 * concurrent attempts queue on the row, so a burst of parallel guesses cannot all pass the
 * check before the first failure is counted. Returns null, counting nothing, while blocked.
 */
export async function claimAttempt(db: Executor, key: string, policy: ThrottlePolicy, now: Date): Promise<number | null> {
  const windowStart = new Date(now.getTime() - policy.windowMs);
  const failures = sql<number>`(case when login_throttle.window_started_at < ${windowStart} then 1 else login_throttle.failures + 1 end)`;
  // Literals, not parameters, so Postgres knows their type; they are the policy's constants, never input.
  const delay = sql`least(${sql.lit(policy.maxDelayMs)}, ${sql.lit(policy.firstDelayMs)} * power(2, ${failures} - ${sql.lit(policy.freeFailures)} - 1))`;
  const firstDelay = delayAfter(1, policy);
  const row = await db
    .insertInto('login_throttle')
    .values({ key, failures: 1, window_started_at: now, blocked_until: firstDelay > 0 ? new Date(now.getTime() + firstDelay) : null })
    .onConflict((oc) =>
      oc
        .column('key')
        .doUpdateSet({
          failures,
          window_started_at: sql`case when login_throttle.window_started_at < ${windowStart} then ${now}::timestamptz else login_throttle.window_started_at end`,
          blocked_until: sql`case when ${failures} > ${sql.lit(policy.freeFailures)} then ${now}::timestamptz + ${delay} * interval '1 millisecond' else null end`,
        })
        .where((eb) => eb.or([eb('login_throttle.blocked_until', 'is', null), eb('login_throttle.blocked_until', '<=', now)])),
    )
    .returning('failures')
    .executeTakeFirst();
  return row ? row.failures : null;
}

/** Whether the account with this login has signed in from this address within KNOWN_ADDRESS_DAYS. */
export async function isKnownAddress(db: Executor, login: string, ip: string, now: Date): Promise<boolean> {
  const row = await db
    .selectFrom('login_known_addresses as k')
    .innerJoin('accounts as a', 'a.id', 'k.account_id')
    .select('k.ip')
    .where((eb) => eb(eb.fn('lower', ['a.login']), '=', login.trim().toLocaleLowerCase('de-DE')))
    .where('k.ip', '=', ip)
    .where('k.last_success_at', '>', new Date(now.getTime() - KNOWN_ADDRESS_DAYS * 24 * 60 * MINUTE))
    .executeTakeFirst();
  return Boolean(row);
}

export async function rememberKnownAddress(db: Executor, accountId: string, ip: string, now: Date): Promise<void> {
  await db
    .insertInto('login_known_addresses')
    .values({ account_id: accountId, ip, last_success_at: now })
    .onConflict((oc) => oc.columns(['account_id', 'ip']).doUpdateSet({ last_success_at: now }))
    .execute();
}

export interface ThrottleEntry {
  key: string;
  failures: number;
  blockedUntil: Date;
}

/** What is blocked right now (for operators); the keys name a login and/or an address. */
export async function listBlocked(db: Executor, now: Date): Promise<ThrottleEntry[]> {
  const rows = await db.selectFrom('login_throttle').select(['key', 'failures', 'blocked_until']).where('blocked_until', '>', now).orderBy('blocked_until', 'desc').execute();
  return rows.map((row) => ({ key: row.key, failures: row.failures, blockedUntil: new Date(row.blocked_until!) }));
}

/**
 * Lifts every count of a login (its ceiling and each of its address pairs), or of an address
 * (its own count and its pairs with every login). Returns the keys removed.
 */
export async function liftThrottle(db: Executor, target: { login?: string; ip?: string }): Promise<string[]> {
  const conditions: string[] = [];
  let query = db.deleteFrom('login_throttle');
  if (target.login) {
    const key = accountKey(target.login);
    query = query.where((eb) => eb.or([eb('key', '=', key), eb('key', 'like', `${escapeLike(key)}|ip:%`)]));
    conditions.push(key);
  }
  if (target.ip) {
    query = query.where((eb) => eb.or([eb('key', '=', ipKey(target.ip!)), eb('key', 'like', `login:%|ip:${escapeLike(target.ip!)}`)]));
    conditions.push(ipKey(target.ip));
  }
  if (conditions.length === 0) return [];
  const rows = await query.returning('key').execute();
  return rows.map((row) => row.key);
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export async function clearLoginFailures(db: Executor, key: string): Promise<void> {
  await db.deleteFrom('login_throttle').where('key', '=', key).execute();
}

/**
 * Deletes the entries whose quiet window has passed and that block nothing: the next failure of
 * such a key starts from one either way.
 */
export async function forgetQuietThrottleEntries(db: Executor, now: Date): Promise<number> {
  const quietSince = new Date(now.getTime() - Math.max(pairPolicy.windowMs, accountCeilingPolicy.windowMs, ipPolicy.windowMs, deadLinkPolicy.windowMs));
  const result = await db
    .deleteFrom('login_throttle')
    .where('window_started_at', '<', quietSince)
    .where((eb) => eb.or([eb('blocked_until', 'is', null), eb('blocked_until', '<', now)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Addresses not used for a sign-in within KNOWN_ADDRESS_DAYS no longer vouch for their account. */
export async function forgetOldKnownAddresses(db: Executor, now: Date): Promise<number> {
  const result = await db
    .deleteFrom('login_known_addresses')
    .where('last_success_at', '<', new Date(now.getTime() - KNOWN_ADDRESS_DAYS * 24 * 60 * MINUTE))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
