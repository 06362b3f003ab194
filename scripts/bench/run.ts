// npm run bench — the speed goals of the workspace issue, measured, not asserted:
// 10,000 Mandanten of one reseller and 2,000 Anwender in one Mandant on the real PostgreSQL;
// the portal runs as its own production process; a separate load process measures the first
// page of each tab and a search at a steady 200 requests/s, then 20 concurrent sessions at full
// load. Needs a PostgreSQL server (DATABASE_URL, default the local one at 127.0.0.1:5432).
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { hashPassword } from '../../src/passwords/hashing.ts';

const run = promisify(execFile);
const serverUrl = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
const benchDb = 'agileas_bench';
const port = Number(process.env.BENCH_PORT || 3987);
const baseUrl = `http://127.0.0.1:${port}`;
const seconds = Number(process.env.BENCH_SECONDS || 15);
const password = 'Benchmark im Hafen 2026';

function databaseUrl(name: string): string {
  const url = new URL(serverUrl.href);
  url.pathname = `/${name}`;
  return url.href;
}

async function admin(sqlText: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  await client.query(sqlText);
  await client.end();
}

async function seed(): Promise<void> {
  await admin(`drop database if exists ${benchDb} with (force)`);
  await admin(`create database ${benchDb}`);
  const handle = await openDatabase({ databaseUrl: databaseUrl(benchDb), pgliteDir: null });
  await migrateToLatest(handle.db);
  const hash = await hashPassword(password);
  const client = new pg.Client({ connectionString: databaseUrl(benchDb) });
  await client.connect();
  const { rows } = await client.query(`insert into resellers (name, street, postal_code, city) values ('Nord IT GmbH', 'Hafenstraße 1', '20095', 'Hamburg') returning id`);
  const resellerId = rows[0].id as string;
  await client.query(
    `insert into accounts (role, reseller_id, login, first_name, last_name, email, password_hash)
     select 'reseller', $1, 'bench.staff' || n, 'Bench', 'Staff' || n, 'staff' || n || '@nord-it.example', $2 from generate_series(1, 20) n`,
    [resellerId, hash],
  );
  const cities = ['Hamburg', 'Kiel', 'Lübeck', 'Bremen', 'Rostock', 'Flensburg', 'Schwerin', 'Husum'];
  await client.query(
    `insert into tenants (reseller_id, name, customer_number, street, postal_code, city)
     select $1, (array['Bau', 'Handel', 'Praxis', 'Logistik', 'Technik'])[1 + n % 5] || ' ' || md5(n::text)::varchar(8) || ' GmbH', 'K-' || n, 'Straße ' || n, lpad((20000 + n % 9000)::text, 5, '0'), ($2::text[])[1 + n % 8]
     from generate_series(1, 10000) n`,
    [resellerId, cities],
  );
  const big = await client.query(`select id from tenants where customer_number = 'K-1'`);
  await client.query(
    `insert into accounts (role, reseller_id, tenant_id, login, first_name, last_name, email, password_hash)
     select 'user', $1, $2, 'anwender.' || n, 'Vorname' || n, 'Nachname' || md5(n::text)::varchar(6), 'anwender' || n || '@example.de', case when n % 3 = 0 then null else 'x' end
     from generate_series(1, 2000) n`,
    [resellerId, big.rows[0].id],
  );
  await client.query(
    `with l as (insert into password_links (account_id, kind, created_at, expires_at)
       select id, 'invitation', now(), now() + interval '72 hours' from accounts where password_hash is null and role = 'user' returning id, account_id)
     insert into mail_deliveries (kind, account_id, link_id, state, created_at, updated_at) select 'invitation', account_id, id, 'sent', now(), now() from l`,
  );
  await client.query('analyze');
  await client.end();
  await handle.close();
}

async function startPortal(): Promise<ChildProcess> {
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the portal under load.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, 'src/server.ts'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl(benchDb),
      PORT: String(port),
      HOST: '127.0.0.1',
      BASE_URL: baseUrl,
      SESSION_SECRET: 'benchmark-benchmark-benchmark-benchmark',
      IMPRESSUM_COMPANY: 'Benchmark GmbH',
      IMPRESSUM_ADDRESS: 'Teststraße 1, 12345 Teststadt',
      LOG_LEVEL: 'warn',
      // No mail is sent during the benchmark; production mode just insists on an SMTP server.
      SMTP_URL: 'smtp://127.0.0.1:2525',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  for (let i = 0; i < 100 && !output.includes('läuft'); i++) await new Promise((r) => setTimeout(r, 200));
  if (!output.includes('läuft')) throw new Error(`portal did not start: ${output}`);
  return child;
}

/** A signed-in session working as the big Mandant, through the real forms. */
async function signIn(n: number): Promise<string> {
  const jar = new Map<string, string>();
  const remember = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      jar.set(name, value);
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const post = async (path: string, form: Record<string, string>) => {
    const page = await fetch(`${baseUrl}${path === '/anmelden' ? '/anmelden' : '/mandanten'}`, { headers: { cookie: cookie() }, redirect: 'manual' });
    remember(page);
    const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const res = await fetch(`${baseUrl}${path}`, { method: 'POST', body: new URLSearchParams({ _csrf: token, ...form }), headers: { cookie: cookie(), origin: baseUrl }, redirect: 'manual' });
    remember(res);
    if (res.status !== 303) throw new Error(`${path} answered ${res.status}`);
  };
  await post('/anmelden', { login: `bench.staff${n}`, password });
  const list = await fetch(`${baseUrl}/mandanten?q=K-1&sort=customerNumber`, { headers: { cookie: cookie() } });
  const html = await list.text();
  const tenantId = /name="mandant" value="([^"]+)"/.exec(html)?.[1] ?? '';
  await post('/mandanten/auswahl', { mandant: tenantId, aktion: 'arbeiten' });
  return cookie();
}

async function load(job: Record<string, unknown>): Promise<Record<string, number>> {
  const { stdout } = await run(process.execPath, ['scripts/bench/load.ts', JSON.stringify({ baseUrl, seconds, ...job })], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout);
}

// BENCH_REUSE_DB=1 measures again on the data a BENCH_KEEP_DB=1 run left behind.
if (process.env.BENCH_REUSE_DB) {
  process.stdout.write(`Vorhandene Daten in ${benchDb} …\n`);
} else {
  process.stdout.write('Daten anlegen (10.000 Mandanten, 2.000 Anwender) …\n');
  await seed();
}
const portal = await startPortal();
try {
  const cookies = await Promise.all(Array.from({ length: 20 }, (_, i) => signIn(i + 1)));
  const pages = { 'Mandanten, Seite 1': '/mandanten', 'Anwender, Seite 1': '/anwender', 'Mandanten-Suche': '/mandanten?q=bau', 'Anwender-Suche': '/anwender?q=nachname1' };
  await load({ mode: 'closed', paths: Object.values(pages), cookies, concurrency: 4, seconds: 3 });
  const rows: string[] = [];
  for (const [label, path] of Object.entries(pages)) {
    const r = await load({ mode: 'open', paths: [path], cookies, rate: 200 });
    rows.push(`| ${label} | 200/s konstant | ${r.throughput} | ${r.p50} | ${r.p99} | ${r.errors} |`);
  }
  const full = await load({ mode: 'closed', paths: Object.values(pages), cookies, concurrency: 20 });
  rows.push(`| alle vier gemischt | 20 Sitzungen, Volllast | ${full.throughput} | ${full.p50} | ${full.p99} | ${full.errors} |`);
  process.stdout.write(`\n| Seite | Last | Anfragen/s | p50 ms | p99 ms | Fehler |\n| --- | --- | --- | --- | --- | --- |\n${rows.join('\n')}\n`);
} finally {
  portal.kill('SIGTERM');
  await once(portal, 'exit');
  // BENCH_KEEP_DB=1 keeps the data for profiling a single page by hand.
  if (!process.env.BENCH_KEEP_DB) await admin(`drop database if exists ${benchDb} with (force)`);
}
