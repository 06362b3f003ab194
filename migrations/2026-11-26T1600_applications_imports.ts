import { type Kysely, sql } from 'kysely';

// Frozen. The application catalogue, bookings per Mandant, rights per Anwender, and import runs.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('applications')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('launch_url', 'text', (c) => c.notNull())
    // The role codes the application knows, e.g. ["nutzer", "admin"].
    .addColumn('roles', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index applications_code_unique on applications (lower(code))`.execute(db);

  await db.schema
    .createTable('tenant_applications')
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('application_id', 'uuid', (c) => c.notNull().references('applications.id').onDelete('cascade'))
    .addColumn('booked_at', 'timestamptz', (c) => c.notNull())
    .addColumn('booked_by', 'uuid', (c) => c.references('accounts.id').onDelete('set null'))
    .addPrimaryKeyConstraint('tenant_applications_pk', ['tenant_id', 'application_id'])
    .execute();

  await db.schema
    .createTable('user_rights')
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('application_id', 'uuid', (c) => c.notNull().references('applications.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('granted_at', 'timestamptz', (c) => c.notNull())
    .addColumn('granted_by', 'uuid', (c) => c.references('accounts.id').onDelete('set null'))
    .addPrimaryKeyConstraint('user_rights_pk', ['account_id', 'application_id'])
    .execute();
  await db.schema.createIndex('user_rights_application').on('user_rights').column('application_id').execute();

  await db.schema
    .createTable('import_runs')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('reseller_id', 'uuid', (c) => c.notNull().references('resellers.id'))
    .addColumn('created_by', 'uuid', (c) => c.references('accounts.id').onDelete('set null'))
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('preview', 'imported', 'discarded')`))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .addColumn('imported_at', 'timestamptz')
    .addColumn('links_requested_at', 'timestamptz')
    // The rows as read from the file (normalised), the options chosen, the counts of the plan or
    // of what was done, and the list of new Anwender with their logins.
    .addColumn('rows', 'jsonb', (c) => c.notNull())
    .addColumn('options', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('counts', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('result', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .execute();
  await db.schema.createIndex('import_runs_reseller').on('import_runs').columns(['reseller_id', 'created_at']).execute();

  // One row per submitted "create" form: a second post of the same form (double click, back
  // button, reload) finds it and shows the first result instead of creating again.
  await db.schema
    .createTable('form_submissions')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('account_id', 'uuid', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('location', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull())
    .execute();

  await db.schema.alterTable('accounts').addColumn('import_run_id', 'uuid', (c) => c.references('import_runs.id').onDelete('set null')).execute();
  await db.schema.createIndex('accounts_import_run').on('accounts').column('import_run_id').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('accounts').dropColumn('import_run_id').execute();
  for (const table of ['form_submissions', 'import_runs', 'user_rights', 'tenant_applications', 'applications']) await db.schema.dropTable(table).execute();
}
