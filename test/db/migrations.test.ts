import { promises as fs } from 'node:fs';
import path from 'node:path';
import { FileMigrationProvider, Migrator } from 'kysely/migration';
import { sql } from 'kysely';
import t from 'tap';
import { migrationFolder } from '../../src/db/migrate.ts';
import { claimRateBudget } from '../../src/mail/rate-limit.ts';
import { countHit } from '../../src/ops/rate-limit-store.ts';
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

  // Down to the migration before it: the newer ones go down first.
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

t.test('counters per statement and one e-mail per Mandant: down and up again keep the counters right', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.close());
  const { db } = database;
  const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder }) });
  const reseller = await createReseller(db);
  const counts = async () => {
    const tenants = await db.selectFrom('tenants').select(['name', 'user_count']).orderBy('name').execute();
    const { tenant_count } = await db.selectFrom('resellers').select('tenant_count').where('id', '=', reseller.id).executeTakeFirstOrThrow();
    return { tenant_count, users: Object.fromEntries(tenants.map((x) => [x.name, x.user_count])) };
  };
  const addTenants = (names: string[]) =>
    db.insertInto('tenants').values(names.map((name) => ({ reseller_id: reseller.id, name, street: 'Weg 1', postal_code: '24103', city: 'Kiel' }))).returning('id').execute();
  const addUsers = (tenantId: string, prefix: string, n: number) =>
    db
      .insertInto('accounts')
      .values(Array.from({ length: n }, (_, i) => ({ role: 'user' as const, reseller_id: reseller.id, tenant_id: tenantId, login: `${prefix}${i}`, first_name: 'A', last_name: 'B', email: `${prefix}${i}@x.example` })))
      .execute();

  // Several rows in one statement, the way an import writes them.
  const [a, b] = await addTenants(['A', 'B']);
  await addUsers(a!.id, 'a', 3);
  await addUsers(b!.id, 'b', 2);
  t.same(await counts(), { tenant_count: 2, users: { A: 3, B: 2 } }, 'one statement, every row counted');
  await db.deleteFrom('accounts').where('login', 'in', ['a0', 'b0']).execute();
  await db.updateTable('accounts').set({ tenant_id: b!.id }).where('login', '=', 'a1').execute();
  t.same(await counts(), { tenant_count: 2, users: { A: 1, B: 2 } }, 'deleted rows and a moved Anwender counted');
  const again = (email: string) => db.insertInto('accounts').values({ role: 'user', reseller_id: reseller.id, tenant_id: a!.id, login: `x-${email}`, first_name: 'A', last_name: 'B', email }).execute();
  await t.rejects(again('A2@X.example'), { code: '23505' }, 'a2@x.example is in Mandant A: the same address in capitals is refused');
  await t.resolves(again('A0@X.example'), 'a0@x.example was deleted: the address is free again');
  await db.deleteFrom('accounts').where('email', '=', 'A0@X.example').execute();

  const down = await migrator.migrateTo('2026-12-03T1000_mail_rate_windows');
  t.equal(down.error, undefined);
  t.same(down.results?.map((r) => r.migrationName), ['2026-12-03T1200_link_token_retry', '2026-12-03T1100_ops_shared_limits', '2026-12-03T1020_bulk_count_triggers', '2026-12-03T1015_user_email_per_tenant']);
  await addUsers(a!.id, 'c', 2);
  await db.deleteFrom('accounts').where('tenant_id', '=', b!.id).execute();
  await db.deleteFrom('tenants').where('id', '=', b!.id).execute();
  t.same(await counts(), { tenant_count: 1, users: { A: 3 } }, 'down: the row triggers count again');

  const up = await migrator.migrateToLatest();
  t.equal(up.error, undefined);
  await addUsers(a!.id, 'd', 2);
  await addTenants(['C']);
  t.same(await counts(), { tenant_count: 2, users: { A: 5, C: 0 } }, 'up again: counted per statement');
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

t.test('shared limits (ops): down drops the counters and known addresses, up brings them back working', async (t) => {
  const database = await createTestDatabase();
  t.teardown(() => database.close());
  const { db } = database;
  const migrator = new Migrator({ db, provider: new FileMigrationProvider({ fs, path, migrationFolder }) });
  t.same(await countHit(db, 'GET /x|10.0.0.1', 60_000).then((r) => r.current), 1);

  const down = await migrator.migrateTo('2026-12-03T1020_bulk_count_triggers');
  t.equal(down.error, undefined);
  t.same(down.results?.map((r) => [r.migrationName, r.direction, r.status]), [['2026-12-03T1200_link_token_retry', 'Down', 'Success'], ['2026-12-03T1100_ops_shared_limits', 'Down', 'Success']]);
  await t.rejects(countHit(db, 'GET /x|10.0.0.1', 60_000), 'no counters without the migration');
  const index = await sql<{ n: number }>`select count(*)::int as n from pg_indexes where indexname = 'mail_deliveries_waiting'`.execute(db);
  t.equal(index.rows[0]!.n, 0, 'the queue index is gone too');

  const up = await migrator.migrateToLatest();
  t.equal(up.error, undefined);
  const first = await countHit(db, 'GET /x|10.0.0.1', 60_000);
  const second = await countHit(db, 'GET /x|10.0.0.1', 60_000);
  t.same([first.current, second.current], [1, 2], 'up again: counting works');
  t.ok(second.ttl > 0 && second.ttl <= 60_000, 'with the time left in the window');
});
