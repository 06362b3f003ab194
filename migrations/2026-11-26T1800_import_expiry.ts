import { type Kysely, sql } from 'kysely';

// Frozen. An import preview nobody finished is dropped after a while by the housekeeping job
// (its rows hold names and e-mail addresses); such a run is marked "expired", not "discarded",
// so that the reseller learns why it is gone.

export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table import_runs drop constraint import_runs_state_check`.execute(db);
  await sql`alter table import_runs add constraint import_runs_state_check check (state in ('preview', 'imported', 'discarded', 'expired'))`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`update import_runs set state = 'discarded' where state = 'expired'`.execute(db);
  await sql`alter table import_runs drop constraint import_runs_state_check`.execute(db);
  await sql`alter table import_runs add constraint import_runs_state_check check (state in ('preview', 'imported', 'discarded'))`.execute(db);
}
