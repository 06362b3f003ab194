import { sql } from 'kysely';
import t from 'tap';
import { MAX_NAMED_PER_CONNECTION, openDatabase } from '../../src/db/database.ts';
import { createPostgresTestDatabase } from '../helpers/database.ts';

// Issue 16: on PostgreSQL the app's statements are named (prepared once per connection), so the
// server need not plan the list pages anew on every request. Only on a real server (PGlite has
// no connections to prepare on).

const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  t.pass('PostgreSQL only: runs with DATABASE_URL');
} else {
  const fresh = await createPostgresTestDatabase(databaseUrl);
  // One connection, so every statement below meets the same session's prepared statements.
  const handle = await openDatabase({ databaseUrl: fresh.url, pgliteDir: null, poolSize: 1 });
  t.teardown(async () => {
    await handle.close();
    await fresh.drop();
  });
  const prepared = async () => (await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(handle.db)).rows.map((r) => r.statement);

  t.test('a query sent again is prepared once and answers the same', async (t) => {
    const find = (login: string) => handle.db.selectFrom('accounts').select('id').where('login', '=', login).executeTakeFirst();
    t.equal(await find('niemand'), undefined);
    t.equal(await find('auch.niemand'), undefined, 'other values, same statement');
    const texts = (await prepared()).filter((text) => text.includes('from "accounts"'));
    t.equal(texts.length, 1, 'one prepared statement for the query');
  });

  t.test('transactions and DDL are not prepared, and work as before', async (t) => {
    await handle.db.transaction().execute(async (trx) => {
      await sql`create temporary table office_probe (n int) on commit drop`.execute(trx);
      await trx.insertInto('office_probe' as never).values({ n: 1 } as never).execute();
    });
    const texts = await prepared();
    t.notOk(texts.some((text) => /^\s*(begin|commit|create)/i.test(text)), 'neither transaction control nor DDL');
  });

  t.test(`at most ${MAX_NAMED_PER_CONNECTION} different texts per connection; the rest still run`, async (t) => {
    let sum = 0;
    for (let i = 0; i < MAX_NAMED_PER_CONNECTION + 20; i++) {
      const row = await sql<{ n: number }>`select ${i}::int + ${sql.lit(i)} as n`.execute(handle.db);
      sum += row.rows[0]!.n;
    }
    t.equal(sum, (MAX_NAMED_PER_CONNECTION + 19) * (MAX_NAMED_PER_CONNECTION + 20), 'every answer right');
    t.equal((await prepared()).length, MAX_NAMED_PER_CONNECTION, 'and no more prepared than the bound');
  });
}
