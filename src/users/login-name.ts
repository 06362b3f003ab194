import { sql } from 'kysely';
import type { Tx } from '../db/database.ts';

// Letters that Unicode does not decompose into a base letter plus accent.
const special: Record<string, string> = {
  ä: 'ae', ö: 'oe', ü: 'ue', ß: 'ss', ẞ: 'ss',
  æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i', ŋ: 'n', ħ: 'h',
};

/** One part of a login: lower case, German umlauts spelled out, other accents dropped, spaces and hyphens as "-". */
export function toLoginPart(name: string): string {
  let out = '';
  // Composed first: a "ö" typed as "o" + combining diaeresis (macOS, copied text) must become
  // "oe" like the precomposed one, not lose its umlaut as an accent.
  for (const char of name.normalize('NFC').toLocaleLowerCase('de-DE')) {
    const mapped = special[char];
    if (mapped) {
      out += mapped;
      continue;
    }
    for (const c of char.normalize('NFD')) {
      if (/[a-z0-9]/.test(c)) out += c;
      else if (c === ' ' || c === '-' || c === '\u00a0') out += '-';
    }
  }
  return out.replace(/-{2,}/g, '-').replace(/^-|-$/g, '');
}

/** "vorname.nachname"; a name with no usable letters falls back so that a login always exists. */
export function loginBaseFor(firstName: string, lastName: string): string {
  const parts = [toLoginPart(firstName), toLoginPart(lastName)].filter(Boolean);
  // Cut to length, a login must not end in the "." or "-" that stood before the cut.
  return parts.length ? parts.join('.').slice(0, 60).replace(/[.-]+$/, '') : 'anwender';
}

// Logins are locked in 1,024 buckets (the base's hash), not one lock per base: an import of
// 20,000 different names would otherwise take 20,000 locks in one transaction, more than
// PostgreSQL's lock table holds (max_locks_per_transaction), and fail.
export const LOGIN_LOCK_CLASS = 7001;
export const LOGIN_LOCK_BUCKETS = 1024;

/**
 * The first free login for a base: "base", then "base2", "base3" … A transaction-scoped advisory
 * lock on the base's bucket serialises creators of the same name across every instance, so two
 * resellers creating "Jörg Müller" at the same moment get two logins and no error. Call inside
 * the transaction that inserts the account.
 */
export async function allocateLogin(trx: Tx, base: string): Promise<string> {
  await sql`select pg_advisory_xact_lock(${LOGIN_LOCK_CLASS}::int, (hashtext(${`login:${base}`}) & ${LOGIN_LOCK_BUCKETS - 1}::int))`.execute(trx);
  const taken = await trx
    .selectFrom('accounts')
    .select(sql<string>`lower(login)`.as('login'))
    .where(sql<string>`lower(login)`, 'like', `${base.replace(/[\\%_]/g, '\\$&')}%`)
    .execute();
  const used = new Set(taken.map((r) => r.login));
  if (!used.has(base)) return base;
  for (let n = 2; ; n++) {
    if (!used.has(`${base}${n}`)) return `${base}${n}`;
  }
}
