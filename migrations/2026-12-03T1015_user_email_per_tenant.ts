import { type Kysely, sql } from 'kysely';

// Frozen. One Anwender per e-mail address within a Mandant, whatever the case it is written in:
// the address is stored as written ("Max.Mustermann@…"), so the rule is on lower(email). Until
// now only the forms and the import checked it; two requests at the same moment could both pass.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`create unique index accounts_user_email_per_tenant on accounts (tenant_id, lower(email)) where role = 'user'`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index accounts_user_email_per_tenant`.execute(db);
}
