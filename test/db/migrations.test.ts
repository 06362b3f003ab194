import { promises as fs } from 'node:fs';
import path from 'node:path';
import { FileMigrationProvider, Migrator } from 'kysely/migration';
import { sql } from 'kysely';
import t from 'tap';
import { migrationFolder } from '../../src/db/migrate.ts';
import { createReseller, createResellerStaff } from '../helpers/fixtures.ts';
import { createTestDatabase } from '../helpers/database.ts';

// The newest migration goes down and up again on a database that has data in it.

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

  const down = await migrator.migrateDown();
  t.equal(down.error, undefined);
  t.same(down.results?.map((r) => [r.migrationName, r.direction, r.status]), [['2026-11-26T1800_import_expiry', 'Down', 'Success']]);
  const after = await db.selectFrom('import_runs').select('state').where('id', '=', run.id).executeTakeFirstOrThrow();
  t.equal(after.state, 'discarded', 'the expired run became a discarded one');
  await t.rejects(insertRun('expired'), 'without the migration "expired" is refused');

  const up = await migrator.migrateToLatest();
  t.equal(up.error, undefined);
  await insertRun('expired');
  const states = await sql<{ n: number }>`select count(*)::int as n from import_runs where state = 'expired'`.execute(db);
  t.equal(states.rows[0]!.n, 1, 'up again: "expired" is accepted');
});
