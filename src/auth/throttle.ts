import { sql } from 'kysely';
import { MINUTE } from '../clock.ts';
import type { Executor } from '../db/database.ts';

// Growing delays instead of a lockout: after a few free attempts every further failure doubles
// the wait, capped at 15 minutes, and a quiet window forgets the count. That keeps a guesser
// to about ten tries per 15 minutes per login while a real user is never locked out for good.
// State lives in Postgres, so every instance sees the same counts.

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

export const accountPolicy: ThrottlePolicy = { freeFailures: 4, firstDelayMs: 15_000, maxDelayMs: 15 * MINUTE, windowMs: 15 * MINUTE };
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

export async function clearLoginFailures(db: Executor, key: string): Promise<void> {
  await db.deleteFrom('login_throttle').where('key', '=', key).execute();
}

/**
 * Deletes the entries whose quiet window has passed and that block nothing: the next failure of
 * such a key starts from one either way.
 */
export async function forgetQuietThrottleEntries(db: Executor, now: Date): Promise<number> {
  const quietSince = new Date(now.getTime() - Math.max(accountPolicy.windowMs, ipPolicy.windowMs, deadLinkPolicy.windowMs));
  const result = await db
    .deleteFrom('login_throttle')
    .where('window_started_at', '<', quietSince)
    .where((eb) => eb.or([eb('blocked_until', 'is', null), eb('blocked_until', '<', now)]))
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}
