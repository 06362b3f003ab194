import { type Kysely, sql } from 'kysely';

// Frozen. The budget of MAIL_RATE_PER_MINUTE, shared by every instance of the portal: one row
// per time window (numbered from the epoch), counting the mails the instances claimed in it.
// An instance claims with one upsert; the row lock makes concurrent claims add up, never pass the
// cap. `last_grant` tells the claiming statement how many of its wish it got (every SET
// expression sees the row before the update). Old windows are deleted by the worker.

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('mail_rate_windows')
    .addColumn('window_no', 'bigint', (c) => c.primaryKey())
    .addColumn('claimed', 'integer', (c) => c.notNull())
    .addColumn('last_grant', 'integer', (c) => c.notNull())
    .addCheckConstraint('mail_rate_windows_claimed_check', sql`claimed >= 0 and last_grant >= 0`)
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('mail_rate_windows').execute();
}
