import { promises as fs } from 'node:fs';
import path from 'node:path';
import { FileMigrationProvider, Migrator } from 'kysely/migration';
import { sql } from 'kysely';
import t from 'tap';
import { migrationFolder } from '../../src/db/migrate.ts';
import { claimRateBudget } from '../../src/mail/rate-limit.ts';
import { createReseller, createResellerStaff } from '../helpers/fixtures.ts';
import { createTestDatabase } from '../helpers/database.ts';

// Migrations go down and up again on a database that has data in it.

t.test('import expiry: "expired" is a state; down turns expired runs into discarded ones, up allows it again', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.close());
  const { db } = database;
  const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder }) });
  const reseller = await createReseller(db);
  const staff = await createResellerStaff(db, reseller.id);
  const insertRun = (state: string) =>
    db.insertInto('import_runs').values({ reseller_id: reseller.id, created_by: staff.id, file_name: 'a.csv', state: state as 'expired', rows: '[]', created_at: new Date() }).returning('id').executeTakeFirstOrThrow();

  const run = await insertRun('expired');
  await t.rejects(insertRun('unknown'), 'other states are still refused');

  // Down to the migration before it (later ones go down first).
  const down = await migrator.migrateTo('2026-11-26T1600_applications_imports');
  t.equal(down.error, undefined);
  t.same(down.results?.at(-1) && [down.results.at(-1)!.migrationName, down.results.at(-1)!.direction, down.results.at(-1)!.status], ['2026-11-26T1800_import_expiry', 'Down', 'Success']);
  const after = await db.selectFrom('import_runs').select('state').where('id', '=', run.id).executeTakeFirstOrThrow();
  t.equal(after.state, 'discarded', 'the expired run became a discarded one');
  await t.rejects(insertRun('expired'), 'without the migration "expired" is refused');

  const up = await migrator.migrateToLatest();
  t.equal(up.error, undefined);
  await insertRun('expired');
  const states = await sql<{ n: number }>`select count(*)::int as n from import_runs where state = 'expired'`.execute(db);
  t.equal(states.rows[0]!.n, 1, 'up again: "expired" is accepted');
});

t.test('mail rate windows: down drops the shared budget table, up brings it back empty and working', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.close());
  const { db } = database;
  const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder }) });
  const windows = { perWindow: 10, windowMs: 3_600_000 };
  await claimRateBudget(db, windows, 3);

  const down = await migrator.migrateTo('2026-11-26T1800_import_expiry');
  t.equal(down.error, undefined);
  t.same(down.results?.at(-1) && [down.results.at(-1)!.migrationName, down.results.at(-1)!.direction, down.results.at(-1)!.status], ['2026-12-03T1000_mail_rate_windows', 'Down', 'Success']);
  await t.rejects(claimRateBudget(db, windows, 1), 'no budget table without the migration');

  const up = await migrator.migrateToLatest();
  t.equal(up.error, undefined);
  const claim = await claimRateBudget(db, windows, 3);
  t.ok(claim.granted === 3 || claim.granted === 0, 'up again: claims work on an empty table (0 only in the last half of the hour window)');
});
