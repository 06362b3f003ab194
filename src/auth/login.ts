import { recordAuditEvent } from '../audit/audit.ts';
import type { Clock } from '../clock.ts';
import type { Db } from '../db/database.ts';
import type { Role } from '../db/types.ts';
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from '../passwords/hashing.ts';
import { revokeAccountLinks } from '../passwords/links.ts';
import { KeyedSemaphore } from '../concurrency.ts';
import { accountCeilingPolicy, accountKey, claimAttempt, clearLoginFailures, findBlockedUntil, findBlocks, ipKey, ipPolicy, isKnownAddress, LOGIN_CHECKS_PER_ADDRESS, pairKey, pairPolicy, recordLoginFailure, rememberKnownAddress } from './throttle.ts';

// The address's failure count is read before the password check and written after it; without
// a bound, a thousand parallel guesses from one address would all read "not blocked" first.
// With it, at most LOGIN_CHECKS_PER_ADDRESS failures per instance slip past the limit, and an
// office's logins still run as fast as argon2 allows (it has one thread per core, fewer than this).
const checksPerAddress = new KeyedSemaphore(LOGIN_CHECKS_PER_ADDRESS);

export interface SignedInAccount {
  id: string;
  role: Role;
  login: string;
  firstName: string;
  lastName: string;
  resellerId: string | null;
  resellerName: string | null;
  tenantId: string | null;
}

export type LoginResult =
  | { kind: 'ok'; account: SignedInAccount }
  | { kind: 'failed' }
  | { kind: 'throttled'; until: Date };

/**
 * Checks a login. A success with the current password also kills every outstanding
 * set-password link of the account (DESIGN 1.3: the password wins, the link dies).
 * Unknown logins, disabled accounts and wrong passwords all cost one argon2 verification
 * and answer the same.
 */
export function authenticate(db: Db, clock: Clock, input: { login: string; password: string; ip: string }): Promise<LoginResult> {
  return checksPerAddress.run(input.ip, () => checkLogin(db, clock, input));
}

async function checkLogin(db: Db, clock: Clock, input: { login: string; password: string; ip: string }): Promise<LoginResult> {
  const now = clock.now();
  const pair = pairKey(input.login, input.ip);
  const ceiling = accountKey(input.login);
  const address = ipKey(input.ip);
  // The pair's attempt is counted before the password check (claimAttempt), so parallel guesses
  // from one address cannot outrun the limit. The per-address and per-account counts stay counts
  // of failures: an office shares one address, and the owner's successes must not add up.
  // The account-wide ceiling does not apply to an address the account has signed in from before.
  const blocks = await findBlocks(db, [address, ceiling], now);
  const ipBlockedUntil = blocks.get(address) ?? null;
  const ceilingBlockedUntil = ipBlockedUntil ? null : (blocks.get(ceiling) ?? null);
  const ceilingApplies = ceilingBlockedUntil !== null && !(await isKnownAddress(db, input.login, input.ip, now));
  const blockedBefore = ipBlockedUntil ?? (ceilingApplies ? ceilingBlockedUntil : null);
  const claimed = blockedBefore ? null : await claimAttempt(db, pair, pairPolicy, now);
  if (claimed === null) {
    const blockedUntil = blockedBefore ?? (await findBlockedUntil(db, [pair], now)) ?? now;
    // The typed login is not recorded: people type passwords into the login field.
    await recordAuditEvent(db, { action: 'login.throttled', at: now, ip: input.ip });
    return { kind: 'throttled', until: blockedUntil };
  }

  const account = await db
    .selectFrom('accounts')
    .leftJoin('resellers', 'resellers.id', 'accounts.reseller_id')
    .select(['accounts.id', 'role', 'login', 'first_name', 'last_name', 'reseller_id', 'tenant_id', 'status', 'password_hash', 'resellers.name as reseller_name'])
    .where((eb) => eb(eb.fn('lower', ['login']), '=', input.login.trim().toLocaleLowerCase('de-DE')))
    .executeTakeFirst();

  const valid = account?.password_hash && account.status === 'active'
    ? await verifyPassword(account.password_hash, input.password)
    : await verifyAgainstDummy(input.password);

  if (!account || !valid) {
    const failedAt = clock.now();
    await recordLoginFailure(db, address, ipPolicy, failedAt);
    await recordLoginFailure(db, ceiling, accountCeilingPolicy, failedAt);
    await recordAuditEvent(db, {
      action: 'login.failed',
      at: failedAt,
      subjectId: account?.id ?? null,
      resellerId: account?.reseller_id ?? null,
      tenantId: account?.tenant_id ?? null,
      ip: input.ip,
    });
    return { kind: 'failed' };
  }

  const rehash = needsRehash(account.password_hash!) ? await hashPassword(input.password) : null;
  await db.transaction().execute(async (trx) => {
    // The account row first, as every other change of an account's links does: the same lock
    // order everywhere keeps a login and a link being issued from deadlocking.
    await trx
      .updateTable('accounts')
      .set({ last_login_at: now, ...(rehash ? { password_hash: rehash } : {}) })
      .where('id', '=', account.id)
      .execute();
    await revokeAccountLinks(trx, account, now, 'password-login', account.id);
    // Only this address's count: the account-wide one is a guesser's elsewhere and stays.
    await clearLoginFailures(trx, pair);
    await rememberKnownAddress(trx, account.id, input.ip, now);
    await recordAuditEvent(trx, {
      action: 'login.succeeded',
      at: now,
      actorId: account.id,
      subjectId: account.id,
      resellerId: account.reseller_id,
      tenantId: account.tenant_id,
      ip: input.ip,
      details: rehash ? { rehashed: true } : {},
    });
  });
  return {
    kind: 'ok',
    account: {
      id: account.id,
      role: account.role,
      login: account.login,
      firstName: account.first_name,
      lastName: account.last_name,
      resellerId: account.reseller_id,
      resellerName: account.reseller_name,
      tenantId: account.tenant_id,
    },
  };
}

export function startPathFor(role: Role): string {
  if (role === 'user') return '/meine-anwendungen';
  if (role === 'reseller') return '/mandanten';
  return '/reseller';
}
