import { sql } from 'kysely';
import type { Tx } from '../db/database.ts';
import type { MailOutbox } from '../mail/outbox.ts';
import { issueSelfServiceLink, type LinkLifetimes } from './links.ts';

/**
 * "Passwort vergessen": finds an active account by login, or by e-mail when exactly one active
 * account has it, and issues a link. The caller answers the same whatever happens here.
 */
export async function requestLinkByIdentifier(
  trx: Tx,
  outbox: MailOutbox,
  lifetimes: LinkLifetimes,
  request: { identifier: string; at: Date; ip?: string | null },
): Promise<boolean> {
  const folded = request.identifier.toLocaleLowerCase('de-DE');
  const matches = await trx
    .selectFrom('accounts')
    .select(['id', 'reseller_id', 'tenant_id'])
    .where('status', '=', 'active')
    .where((eb) => eb.or([eb(sql`lower(login)`, '=', folded), eb(sql`lower(email)`, '=', folded)]))
    .limit(2)
    .execute();
  const account = matches.length === 1 ? matches[0] : undefined;
  if (!account) return false;
  return issueSelfServiceLink(trx, outbox, lifetimes, account, 'forgot-password', request);
}
