import { recordAuditEvent } from '../audit/audit.ts';
import type { Tx } from '../db/database.ts';
import type { Role } from '../db/types.ts';
import { allocateLogin, loginBaseFor } from './login-name.ts';

export interface NewAccountValues {
  role: Role;
  resellerId: string | null;
  tenantId: string | null;
  firstName: string;
  lastName: string;
  email: string;
  passwordHash?: string | null;
}

/** Creates an account with a login generated from the name; the caller decides about links. */
export async function createAccount(trx: Tx, values: NewAccountValues, audit: { actorId: string | null; at: Date; ip?: string | null }): Promise<{ id: string; login: string }> {
  const login = await allocateLogin(trx, loginBaseFor(values.firstName, values.lastName));
  const account = await trx
    .insertInto('accounts')
    .values({
      role: values.role,
      reseller_id: values.resellerId,
      tenant_id: values.tenantId,
      login,
      first_name: values.firstName,
      last_name: values.lastName,
      email: values.email,
      password_hash: values.passwordHash ?? null,
      password_changed_at: values.passwordHash ? audit.at : null,
      created_at: audit.at,
      updated_at: audit.at,
    })
    .returning(['id', 'login'])
    .executeTakeFirstOrThrow();
  await recordAuditEvent(trx, {
    action: 'account.created',
    at: audit.at,
    actorId: audit.actorId ?? account.id,
    subjectId: account.id,
    resellerId: values.resellerId,
    tenantId: values.tenantId,
    ip: audit.ip,
    details: { role: values.role, login },
  });
  return account;
}
