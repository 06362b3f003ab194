import { type Kysely, sql } from 'kysely';

// Frozen: a migration that has run somewhere is never edited; later changes get a new file.
// It imports no application code, so it keeps meaning the same thing when the app changes.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('resellers')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('customer_number', 'text')
    .addColumn('street', 'text')
    .addColumn('postal_code', 'text')
    .addColumn('city', 'text')
    .addColumn('country', 'text', (c) => c.notNull().defaultTo('DE'))
    .addColumn('vat_id', 'text')
    .addColumn('phone', 'text')
    .addColumn('email', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('tenants')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('reseller_id', 'uuid', (c) => c.notNull().references('resellers.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('customer_number', 'text')
    .addColumn('street', 'text', (c) => c.notNull())
    .addColumn('postal_code', 'text', (c) => c.notNull())
    .addColumn('city', 'text', (c) => c.notNull())
    .addColumn('country', 'text', (c) => c.notNull().defaultTo('DE'))
    .addColumn('vat_id', 'text')
    .addColumn('phone', 'text')
    .addColumn('email', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index tenants_customer_number_per_reseller on tenants (reseller_id, customer_number) where customer_number is not null`.execute(db);
  await db.schema.createIndex('tenants_reseller_name').on('tenants').columns(['reseller_id', 'name']).execute();

  await db.schema
    .createTable('accounts')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('operator', 'reseller', 'user')`))
    .addColumn('reseller_id', 'uuid', (c) => c.references('resellers.id'))
    .addColumn('tenant_id', 'uuid', (c) => c.references('tenants.id'))
    .addColumn('login', 'text', (c) => c.notNull())
    .addColumn('first_name', 'text', (c) => c.notNull())
    .addColumn('last_name', 'text', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('password_hash', 'text')
    .addColumn('password_changed_at', 'timestamptz')
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('active').check(sql`status in ('active', 'disabled')`))
    .addColumn('last_login_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      'accounts_role_scope',
      sql`(role = 'operator' and reseller_id is null and tenant_id is null)
       or (role = 'reseller' and reseller_id is not null and tenant_id is null)
       or (role = 'user' and reseller_id is not null and tenant_id is not null)`,
    )
    .execute();
  // Logins are unique across the platform, whatever the case.
  await sql`create unique index accounts_login_unique on accounts (lower(login))`.execute(db);
  await db.schema.createIndex('accounts_tenant').on('accounts').columns(['tenant_id', 'last_name', 'first_name']).execute();
  await db.schema.createIndex('accounts_reseller').on('accounts').columns(['reseller_id', 'role']).execute();

  await db.schema
    .createTable('password_links')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('invitation', 'reset')`))
    // SHA-256 of the token; null until the mail worker has minted the token it sends.
    .addColumn('token_hash', 'text', (c) => c.unique())
    .addColumn('created_by', 'uuid', (c) => c.references('accounts.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .addColumn('revoked_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('password_links_account').on('password_links').columns(['account_id', 'created_at']).execute();

  await db.schema
    .createTable('mail_deliveries')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('link_id', 'uuid', (c) => c.references('password_links.id').onDelete('cascade'))
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('queued').check(sql`state in ('queued', 'sent', 'retrying', 'failed', 'dropped')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull())
    .addColumn('sent_at', 'timestamptz')
    .execute();
  await db.schema.createIndex('mail_deliveries_link').on('mail_deliveries').column('link_id').execute();
  await db.schema.createIndex('mail_deliveries_account').on('mail_deliveries').columns(['account_id', 'created_at']).execute();

  await db.schema
    .createTable('sessions')
    // SHA-256 of the session id: a leaked table does not hand out live sessions.
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.references('accounts.id').onDelete('cascade'))
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('last_seen_at', 'timestamptz', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sessions_account').on('sessions').column('account_id').execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
    .addColumn('occurred_at', 'timestamptz', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('actor_account_id', 'uuid', (c) => c.references('accounts.id').onDelete('set null'))
    .addColumn('subject_account_id', 'uuid', (c) => c.references('accounts.id').onDelete('set null'))
    .addColumn('reseller_id', 'uuid', (c) => c.references('resellers.id').onDelete('set null'))
    .addColumn('tenant_id', 'uuid', (c) => c.references('tenants.id').onDelete('set null'))
    .addColumn('ip', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .execute();
  await db.schema.createIndex('audit_events_reseller').on('audit_events').columns(['reseller_id', 'occurred_at']).execute();
  await db.schema.createIndex('audit_events_occurred').on('audit_events').column('occurred_at').execute();

  await db.schema
    .createTable('login_throttle')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('failures', 'integer', (c) => c.notNull())
    .addColumn('window_started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('blocked_until', 'timestamptz')
    .execute();

  await db.schema
    .createTable('setup_tokens')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('used_at', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['setup_tokens', 'login_throttle', 'audit_events', 'sessions', 'mail_deliveries', 'password_links', 'accounts', 'tenants', 'resellers']) {
    await db.schema.dropTable(table).execute();
  }
}
