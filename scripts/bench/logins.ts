// Section "logins" (issue 16): an office signs in from one address at full speed. The portal
// runs on PostgreSQL as its own production process; a load process posts the real login form
// for ever other accounts (distinct logins, one address, 10 at a time). Baseline: raw
// argon2.verify with the portal's parameters at the same concurrency (argon2-alone.ts).
// Meanwhile a probe asks for a static file and a page at a steady 50/s; the same probe idle
// is its baseline.
import pg from 'pg';
import { ARGON2_NICE } from '../../src/passwords/argon2-pool.ts';
import { hashPassword } from '../../src/passwords/hashing.ts';
import { runLoad, runScript } from './processes.ts';
import { benchPassword, createMigratedDatabase, databaseUrl, dropDatabase, startPortal } from './portal.ts';
import { type BenchSection, round } from './report.ts';

const benchDb = 'agileas_bench_office_login';
const port = 4000;
const seconds = Number(process.env.BENCH_SECONDS || 15);
const concurrency = 10;
const accounts = 3000;
const loginCeiling = 100_000;
const probe = { mode: 'open', paths: ['/static/app.css', '/impressum'], cookies: [], rate: 50 };

async function seed(): Promise<void> {
  await createMigratedDatabase(benchDb);
  const hash = await hashPassword(benchPassword);
  const client = new pg.Client({ connectionString: databaseUrl(benchDb) });
  await client.connect();
  const { rows } = await client.query(`insert into resellers (name, street, postal_code, city) values ('Nord IT GmbH', 'Hafenstraße 1', '20095', 'Hamburg') returning id`);
  const tenant = await client.query(`insert into tenants (reseller_id, name, customer_number, street, postal_code, city) values ($1, 'Büro nach dem Umzug GmbH', 'K-1', 'Kai 1', '20095', 'Hamburg') returning id`, [rows[0].id]);
  await client.query(
    `insert into accounts (role, reseller_id, tenant_id, login, first_name, last_name, email, password_hash)
     select 'user', $1, $2, 'buero.' || n, 'Büro', 'Kollege' || n, 'buero' || n || '@example.de', $3 from generate_series(1, ${accounts}) n`,
    [rows[0].id, tenant.rows[0].id, hash],
  );
  await client.query('analyze');
  await client.end();
}

export async function runLoginsBench(log: (line: string) => void): Promise<BenchSection> {
  log(`Daten anlegen (${accounts} Anwender mit Passwort) …`);
  await seed();
  // The per-address ceiling (1,000 a minute, README) would cap an office's burst at ~17/s; the
  // row measures what argon2 and the login's statements allow, so it is lifted here.
  const portal = await startPortal({ port, database: benchDb, env: { LOGIN_CEILING_PER_MINUTE: String(loginCeiling) } });
  const section: BenchSection = {
    title: 'Anmeldungen (PostgreSQL, verschiedene Konten, eine Adresse)',
    rows: [],
    notes: [
      `Anmeldungen: ${concurrency} gleichzeitige Clients von 127.0.0.1, jedes Mal ein anderes Konto. Begrenzt durch argon2id (19 MiB, 2 Durchläufe): höchstens so viele Prüfungen gleichzeitig wie Kerne; dazu je Anmeldung fünf kurze PostgreSQL-Anweisungen und eine neue Sitzung.`,
      `Die Decke von LOGIN_CEILING_PER_MINUTE (Standard 1.000 je Minute und Adresse) ist für diese Messung auf ${loginCeiling.toLocaleString('de-DE')} gehoben: gemessen wird, was argon2 und die Anweisungen einer Anmeldung schaffen. Baseline: @node-rs/argon2 verify allein, gleiche Parameter, ${concurrency} gleichzeitig, mit derselben Priorität wie die argon2-Threads des Portals (nice ${ARGON2_NICE}).`,
      'Probe: /static/app.css und /impressum mit je 25/s, einmal im Leerlauf, einmal während der Anmeldungen.',
    ],
  };
  try {
    await fetch(`${portal.baseUrl}/anmelden`).then((r) => r.text());
    const idle = await runLoad({ baseUrl: portal.baseUrl, seconds, ...probe });
    const [burst, during] = await Promise.all([
      runLoad({ baseUrl: portal.baseUrl, seconds, mode: 'login', paths: [], cookies: [], concurrency, loginPrefix: 'buero.', loginCount: accounts, password: benchPassword }),
      // The probe starts a moment later and ends earlier, so it sees only the burst.
      new Promise((r) => setTimeout(r, 1000)).then(() => runLoad({ baseUrl: portal.baseUrl, seconds: seconds - 2, ...probe })),
    ]);
    log(`  Anmeldungen: ${burst.throughput}/s, p99 ${burst.p99} ms, ${burst.errors} Fehler`);
    // At the nice value of the portal's argon2 threads: on a machine busy with other work both get
    // the same share of it, so the ratio shows the login's own cost, not the neighbours' load.
    const raw = await runScript<{ perSecond: number }>('scripts/bench/argon2-alone.ts', [JSON.stringify({ concurrency, seconds })], { nice: ARGON2_NICE });
    const ratio = burst.throughput / raw.perSecond;
    section.rows.push({
      figure: `Anmeldungen pro Sekunde (${concurrency} gleichzeitig, p99 ${burst.p99} ms)`,
      value: `${burst.throughput}/s (${burst.errors} Fehler)`,
      baseline: `${raw.perSecond}/s argon2 verify allein (nice ${ARGON2_NICE})`,
      ratio: round(ratio, 2),
      target: '≥ 0,85 × Baseline',
      met: ratio >= 0.85 && burst.errors === 0,
    });
    for (const [label, path] of [['statische Datei', '/static/app.css'], ['Seite (Impressum)', '/impressum']] as const) {
      const busy = during.byPath[path]!.p99;
      const calm = idle.byPath[path]!.p99;
      section.rows.push({
        figure: `${label}: p99 während der Anmeldungen`,
        value: `${busy} ms`,
        baseline: `${calm} ms (Leerlauf)`,
        ratio: round(busy / calm, 2),
        target: 'p99 ≤ 20 ms',
        met: busy <= 20 && during.errors === 0,
      });
    }
  } finally {
    await portal.stop();
    await dropDatabase(benchDb);
  }
  return section;
}
