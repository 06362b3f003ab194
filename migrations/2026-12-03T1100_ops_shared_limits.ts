import { type Kysely, sql } from 'kysely';

// Frozen. Operations (issue 12):
// * rate_limit_counters: the route rate limits of every instance in one place. One row per
//   route and key (usually the client address); `hits` counts requests in the window that ends
//   at `resets_at`. An instance counts with one upsert, so two instances count together.
// * login_known_addresses: the addresses an account has signed in from. A correct password
//   from such an address passes the account-wide failure ceiling, so strangers guessing a
//   login cannot lock its owner out.
// * mail_deliveries_waiting: the queue's depth and age for /metrics without reading the table.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('rate_limit_counters')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('hits', 'integer', (c) => c.notNull())
    .addColumn('resets_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('rate_limit_counters_resets').on('rate_limit_counters').column('resets_at').execute();

  await db.schema
    .createTable('login_known_addresses')
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('last_success_at', 'timestamptz', (c) => c.notNull())
    .addPrimaryKeyConstraint('login_known_addresses_pkey', ['account_id', 'ip'])
    .execute();
  await db.schema.createIndex('login_known_addresses_last').on('login_known_addresses').column('last_success_at').execute();

  await sql`create index mail_deliveries_waiting on mail_deliveries (created_at) where state in ('queued', 'retrying')`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop index if exists mail_deliveries_waiting`.execute(db);
  await db.schema.dropTable('login_known_addresses').execute();
  await db.schema.dropTable('rate_limit_counters').execute();
}
