import { type Kysely, sql } from 'kysely';

// Frozen. The counters of 2026-11-26T1500 (resellers.tenant_count, tenants.user_count) were kept
// by a trigger per row: an import of 20,000 Anwender updated their Mandanten's rows 20,000 times,
// each update writing every index of tenants (the search index included) — seconds of the
// commit. For inserts and deletes the counters are now kept once per statement, from its
// transition table; a change of tenant_id (one row at a time) keeps its row trigger.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`drop trigger accounts_count on accounts`.execute(db);
  await sql`drop trigger tenants_count on tenants`.execute(db);

  await sql`
    create function accounts_count_inserted() returns trigger language plpgsql as $$
    begin
      update tenants t set user_count = t.user_count + d.n
      from (select tenant_id, count(*) as n from new_rows where tenant_id is not null group by tenant_id) d
      where t.id = d.tenant_id;
      return null;
    end $$`.execute(db);
  await sql`
    create function accounts_count_deleted() returns trigger language plpgsql as $$
    begin
      update tenants t set user_count = t.user_count - d.n
      from (select tenant_id, count(*) as n from old_rows where tenant_id is not null group by tenant_id) d
      where t.id = d.tenant_id;
      return null;
    end $$`.execute(db);
  await sql`create trigger accounts_count_insert after insert on accounts referencing new table as new_rows for each statement execute function accounts_count_inserted()`.execute(db);
  await sql`create trigger accounts_count_delete after delete on accounts referencing old table as old_rows for each statement execute function accounts_count_deleted()`.execute(db);
  await sql`create trigger accounts_count after update of tenant_id on accounts for each row execute function accounts_count_trigger()`.execute(db);

  await sql`
    create function tenants_count_inserted() returns trigger language plpgsql as $$
    begin
      update resellers r set tenant_count = r.tenant_count + d.n
      from (select reseller_id, count(*) as n from new_rows group by reseller_id) d
      where r.id = d.reseller_id;
      return null;
    end $$`.execute(db);
  await sql`
    create function tenants_count_deleted() returns trigger language plpgsql as $$
    begin
      update resellers r set tenant_count = r.tenant_count - d.n
      from (select reseller_id, count(*) as n from old_rows group by reseller_id) d
      where r.id = d.reseller_id;
      return null;
    end $$`.execute(db);
  await sql`create trigger tenants_count_insert after insert on tenants referencing new table as new_rows for each statement execute function tenants_count_inserted()`.execute(db);
  await sql`create trigger tenants_count_delete after delete on tenants referencing old table as old_rows for each statement execute function tenants_count_deleted()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger tenants_count_insert on tenants`.execute(db);
  await sql`drop trigger tenants_count_delete on tenants`.execute(db);
  await sql`drop function tenants_count_inserted()`.execute(db);
  await sql`drop function tenants_count_deleted()`.execute(db);
  await sql`create trigger tenants_count after insert or delete on tenants for each row execute function tenants_count_trigger()`.execute(db);
  await sql`drop trigger accounts_count on accounts`.execute(db);
  await sql`drop trigger accounts_count_insert on accounts`.execute(db);
  await sql`drop trigger accounts_count_delete on accounts`.execute(db);
  await sql`drop function accounts_count_inserted()`.execute(db);
  await sql`drop function accounts_count_deleted()`.execute(db);
  await sql`create trigger accounts_count after insert or delete or update of tenant_id on accounts for each row execute function accounts_count_trigger()`.execute(db);
}
