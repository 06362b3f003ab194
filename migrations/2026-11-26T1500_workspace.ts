import { type Kysely, sql } from 'kysely';

// Frozen. Counters kept by triggers: list pages show "how many" without counting thousands of
// rows on every request, and no code path (form, import, script) can forget to update them.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('resellers').addColumn('tenant_count', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('tenants').addColumn('user_count', 'integer', (c) => c.notNull().defaultTo(0)).execute();

  await sql`
    create function tenants_count_trigger() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        update resellers set tenant_count = tenant_count + 1 where id = new.reseller_id;
      elsif tg_op = 'DELETE' then
        update resellers set tenant_count = tenant_count - 1 where id = old.reseller_id;
      end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger tenants_count after insert or delete on tenants for each row execute function tenants_count_trigger()`.execute(db);

  await sql`
    create function accounts_count_trigger() returns trigger language plpgsql as $$
    begin
      if tg_op in ('UPDATE', 'DELETE') and old.tenant_id is not null then
        update tenants set user_count = user_count - 1 where id = old.tenant_id;
      end if;
      if tg_op in ('INSERT', 'UPDATE') and new.tenant_id is not null then
        update tenants set user_count = user_count + 1 where id = new.tenant_id;
      end if;
      return null;
    end $$`.execute(db);
  await sql`create trigger accounts_count after insert or delete or update of tenant_id on accounts for each row execute function accounts_count_trigger()`.execute(db);

  // Search: one lower-cased text per row, matched with LIKE '%…%' and served by a trigram
  // index, instead of four ILIKEs over every row of a reseller.
  await sql`create extension if not exists pg_trgm`.execute(db);
  await sql`alter table tenants add column search_text text generated always as (lower(name || ' ' || coalesce(customer_number, '') || ' ' || postal_code || ' ' || city)) stored`.execute(db);
  await sql`create index tenants_search on tenants using gin (search_text gin_trgm_ops)`.execute(db);
  await sql`alter table accounts add column search_text text generated always as (lower(first_name || ' ' || last_name || ' ' || login || ' ' || email)) stored`.execute(db);
  await sql`create index accounts_search on accounts using gin (search_text gin_trgm_ops)`.execute(db);

  // The list sorts case-insensitively; these serve its first page without sorting everything.
  await sql`create index tenants_reseller_lower_name on tenants (reseller_id, lower(name), id)`.execute(db);
  await sql`create index tenants_reseller_lower_customer_number on tenants (reseller_id, lower(customer_number), id)`.execute(db);
  await sql`create index tenants_reseller_lower_city on tenants (reseller_id, lower(city), id)`.execute(db);
  await sql`create index tenants_reseller_user_count on tenants (reseller_id, user_count, id)`.execute(db);
  await sql`create index accounts_tenant_lower_name on accounts (tenant_id, lower(last_name), lower(first_name), id)`.execute(db);
  await db.schema.createIndex('resellers_name').on('resellers').column('name').execute();
  await db.schema.createIndex('audit_events_tenant').on('audit_events').columns(['tenant_id', 'occurred_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger accounts_count on accounts`.execute(db);
  await sql`drop function accounts_count_trigger()`.execute(db);
  await sql`drop trigger tenants_count on tenants`.execute(db);
  await sql`drop function tenants_count_trigger()`.execute(db);
  await db.schema.alterTable('accounts').dropColumn('search_text').execute();
  await db.schema.alterTable('tenants').dropColumn('search_text').execute();
  for (const index of ['tenants_reseller_lower_name', 'tenants_reseller_lower_customer_number', 'tenants_reseller_lower_city', 'tenants_reseller_user_count', 'accounts_tenant_lower_name']) {
    await db.schema.dropIndex(index).execute();
  }
  await db.schema.dropIndex('resellers_name').execute();
  await db.schema.dropIndex('audit_events_tenant').execute();
  await db.schema.alterTable('tenants').dropColumn('user_count').execute();
  await db.schema.alterTable('resellers').dropColumn('tenant_count').execute();
}
