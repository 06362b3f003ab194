import type { FastifyInstance } from 'fastify';
import type { Db } from '../../src/db/database.ts';
import type { Role } from '../../src/db/types.ts';
import { hashPassword } from '../../src/passwords/hashing.ts';
import { createAccount } from '../../src/users/accounts.ts';
import { Browser } from './browser.ts';

export interface Person {
  id: string;
  login: string;
  password: string | null;
  firstName: string;
  lastName: string;
  email: string;
  role: Role;
  resellerId: string | null;
  tenantId: string | null;
}

interface PersonValues {
  firstName: string;
  lastName: string;
  email: string;
  /** null: the account has no password yet (invited). */
  password?: string | null;
}

async function insertPerson(db: Db, role: Role, resellerId: string | null, tenantId: string | null, values: PersonValues): Promise<Person> {
  const password = values.password === undefined ? `${values.firstName} trinkt gern Kaffee am Montag` : values.password;
  const passwordHash = password ? await hashPassword(password) : null;
  const account = await db.transaction().execute((trx) =>
    createAccount(trx, { role, resellerId, tenantId, firstName: values.firstName, lastName: values.lastName, email: values.email, passwordHash }, { actorId: null, at: new Date() }),
  );
  return { id: account.id, login: account.login, password, role, resellerId, tenantId, firstName: values.firstName, lastName: values.lastName, email: values.email };
}

export function createOperator(db: Db, values: Partial<PersonValues> = {}): Promise<Person> {
  return insertPerson(db, 'operator', null, null, { firstName: 'Otto', lastName: 'Betrieb', email: 'otto.betrieb@okit.example', ...values });
}

export async function createReseller(db: Db, name = 'Nord IT GmbH'): Promise<{ id: string; name: string }> {
  return db.insertInto('resellers').values({ name, city: 'Hamburg', postal_code: '20095', street: 'Hafenstraße 1' }).returning(['id', 'name']).executeTakeFirstOrThrow();
}

export function createResellerStaff(db: Db, resellerId: string, values: Partial<PersonValues> = {}): Promise<Person> {
  return insertPerson(db, 'reseller', resellerId, null, { firstName: 'Rita', lastName: 'Nordmann', email: 'rita.nordmann@nord-it.example', ...values });
}

export async function createTenant(db: Db, resellerId: string, name = 'Müller Bau GmbH', customerNumber = 'K-1001'): Promise<{ id: string; name: string; resellerId: string }> {
  const row = await db
    .insertInto('tenants')
    .values({ reseller_id: resellerId, name, customer_number: customerNumber, street: 'Lindenweg 5', postal_code: '24103', city: 'Kiel' })
    .returning(['id', 'name'])
    .executeTakeFirstOrThrow();
  return { ...row, resellerId };
}

export function createUser(db: Db, tenant: { id: string; resellerId: string }, values: Partial<PersonValues> = {}): Promise<Person> {
  return insertPerson(db, 'user', tenant.resellerId, tenant.id, { firstName: 'Jörg', lastName: 'Müller', email: 'joerg.mueller@mueller-bau.example', ...values });
}

/** Signs in through the real login form and returns the browser holding the session. */
export async function signIn(app: FastifyInstance, who: Pick<Person, 'login' | 'password'>, browser = new Browser(app)): Promise<Browser> {
  await browser.get('/anmelden');
  const page = await browser.post('/anmelden', { login: who.login, password: who.password ?? '' });
  if (page.status !== 303) throw new Error(`sign-in of ${who.login} failed with ${page.status}`);
  // As a browser does: the page after the login carries the form token of the new session (the
  // login page's token belonged to the anonymous one and is refused now).
  await browser.follow(page);
  return browser;
}
