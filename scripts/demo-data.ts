// Demo data for screenshots and manual trials: one reseller with a dozen Mandanten, one of
// them with Anwender in every status. Written straight into the database, as a script may.
import { HOUR } from '../src/clock.ts';
import type { Db } from '../src/db/database.ts';
import type { DeliveryState } from '../src/db/types.ts';
import { hashPassword } from '../src/passwords/hashing.ts';
import { generateToken, hashToken } from '../src/tokens.ts';
import { createAccount } from '../src/users/accounts.ts';
import { loginBaseFor } from '../src/users/login-name.ts';

const companies: [string, string, string, string][] = [
  ['Müller Bau GmbH', 'K-1001', '24103', 'Kiel'],
  ['Bäckerei Schröder KG', 'K-1002', '20095', 'Hamburg'],
  ['Elektro Nowak GmbH', 'K-1003', '23552', 'Lübeck'],
  ['Fischer & Söhne OHG', 'K-1004', '18055', 'Rostock'],
  ['Gartenbau Öztürk', 'K-1005', '24937', 'Flensburg'],
  ['Hansa Logistik AG', 'K-1006', '28195', 'Bremen'],
  ['Ingenieurbüro Weiß', 'K-1007', '26122', 'Oldenburg'],
  ['Kanzlei Dr. Lange', 'K-1008', '19053', 'Schwerin'],
  ['Nordlicht Hotels GmbH', 'K-1009', '25980', 'Sylt'],
  ['Praxis Dr. Yilmaz', 'K-1010', '21335', 'Lüneburg'],
  ['Schreinerei Kowalski', 'K-1011', '24534', 'Neumünster'],
  ['Werft Petersen GmbH', 'K-1012', '25813', 'Husum'],
];

export interface DemoData {
  reseller: { login: string; password: string };
  operator: { login: string; password: string };
  /** An active Anwender of the first Mandant with rights in two applications. */
  user: { login: string; password: string };
  tenantId: string;
  /** A live invitation link (its token), for showing the set-password page. */
  linkToken: string;
}

async function addLink(db: Db, accountId: string, state: DeliveryState, createdAt: Date, hours: number, token?: string): Promise<void> {
  const link = await db
    .insertInto('password_links')
    .values({ account_id: accountId, kind: 'invitation', token_hash: token ? hashToken(token) : null, created_at: createdAt, expires_at: new Date(createdAt.getTime() + hours * HOUR) })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('mail_deliveries')
    .values({ kind: 'invitation', account_id: accountId, link_id: link.id, state, attempts: state === 'queued' ? 0 : 1, created_at: createdAt, updated_at: createdAt, sent_at: state === 'sent' ? createdAt : null })
    .execute();
}

export async function seedDemoData(db: Db): Promise<DemoData> {
  const now = new Date();
  const password = 'Hafenkräne im Nebel 2026';
  const passwordHash = await hashPassword(password);
  const create = (values: Parameters<typeof createAccount>[1]) => db.transaction().execute((trx) => createAccount(trx, values, { actorId: null, at: now }));

  const operator = await create({ role: 'operator', resellerId: null, tenantId: null, firstName: 'Otto', lastName: 'Betrieb', email: 'otto@okit.example', passwordHash });
  const reseller = await db.insertInto('resellers').values({ name: 'Nord IT GmbH', street: 'Hafenstraße 1', postal_code: '20095', city: 'Hamburg' }).returning('id').executeTakeFirstOrThrow();
  const rita = await create({ role: 'reseller', resellerId: reseller.id, tenantId: null, firstName: 'Rita', lastName: 'Nordmann', email: 'rita@nord-it.example', passwordHash });

  const tenantIds: string[] = [];
  for (const [name, number, postalCode, city] of companies) {
    const row = await db
      .insertInto('tenants')
      .values({ reseller_id: reseller.id, name, customer_number: number, street: 'Hauptstraße 1', postal_code: postalCode, city })
      .returning('id')
      .executeTakeFirstOrThrow();
    tenantIds.push(row.id);
  }
  const tenantId = tenantIds[0]!;
  const user = (firstName: string, lastName: string, withPassword: boolean) =>
    create({ role: 'user', resellerId: reseller.id, tenantId, firstName, lastName, email: `${loginBaseFor(firstName, lastName)}@mueller-bau.example`, passwordHash: withPassword ? passwordHash : null });

  const joerg = await user('Jörg', 'Müller', true);
  const zoe = await user('Zoë', 'Ødegård', false);
  const linkToken = generateToken();
  await addLink(db, zoe.id, 'sent', now, 72, linkToken);
  const hans = await user('Hans-Peter', 'Groß', false);
  await addLink(db, hans.id, 'retrying', now, 72);
  const lukasz = await user('Łukasz', 'Żółć', false);
  await addLink(db, lukasz.id, 'sent', new Date(now.getTime() - 80 * HOUR), 72);
  const ana = await user('Ana María', 'de la Cruz', true);
  await db.updateTable('accounts').set({ status: 'disabled' }).where('id', '=', ana.id).execute();

  // The catalogue, two applications booked for the first Mandant, and Jörg's rights in them.
  const applications = [
    { code: 'buchhaltung', name: 'Buchhaltung', description: 'Belege, Konten und Auswertungen', launch_url: 'https://buchhaltung.agileas.example/', roles: JSON.stringify(['nutzer', 'admin']) },
    { code: 'zeiterfassung', name: 'Zeiterfassung', description: 'Arbeitszeiten und Urlaub', launch_url: 'https://zeit.agileas.example/', roles: JSON.stringify(['nutzer', 'admin']) },
    { code: 'lager', name: 'Lager', description: 'Bestände und Lieferungen', launch_url: 'https://lager.agileas.example/', roles: JSON.stringify(['nutzer']) },
  ];
  for (const [index, values] of applications.entries()) {
    const app = await db.insertInto('applications').values(values).returning('id').executeTakeFirstOrThrow();
    if (index > 1) continue;
    await db.insertInto('tenant_applications').values({ tenant_id: tenantId, application_id: app.id, booked_at: now, booked_by: rita.id }).execute();
    await db.insertInto('user_rights').values({ account_id: joerg.id, application_id: app.id, role: index === 0 ? 'admin' : 'nutzer', granted_at: now, granted_by: rita.id }).execute();
  }

  return { reseller: { login: rita.login, password }, operator: { login: operator.login, password }, user: { login: joerg.login, password }, tenantId, linkToken };
}
