import { type Kysely, sql } from 'kysely';

// Frozen. A mail whose worker died after the SMTP server took it is sent again with a fresh
// token (the plain token is never stored, so the first one cannot be repeated). The person may
// already hold the first mail: its token stays valid beside the new one until either is used.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table password_links add column previous_token_hash text`.execute(db);
  await sql`create unique index password_links_previous_token_hash on password_links (previous_token_hash) where previous_token_hash is not null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index password_links_previous_token_hash`.execute(db);
  await sql`alter table password_links drop column previous_token_hash`.execute(db);
}
