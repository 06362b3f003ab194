// Shared by the benchmark sections: a bench database on the PostgreSQL server of DATABASE_URL
// (default the local one) and the portal started as its own production process, so that its
// memory (VmHWM) and CPU are its own and the load comes from another process.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';

export const serverUrl = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
export const benchPassword = 'Benchmark im Hafen 2026';

export function databaseUrl(name: string): string {
  const url = new URL(serverUrl.href);
  url.pathname = `/${name}`;
  return url.href;
}

/** Runs one statement on the server's maintenance database (create/drop database). */
export async function admin(sqlText: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl('postgres') });
  await client.connect();
  try {
    await client.query(sqlText);
  } finally {
    await client.end();
  }
}

export async function recreateDatabase(name: string): Promise<void> {
  await admin(`drop database if exists ${name} with (force)`);
  await admin(`create database ${name}`);
}

/** A fresh bench database with the portal's schema, ready to be seeded. */
export async function createMigratedDatabase(name: string): Promise<void> {
  await recreateDatabase(name);
  const handle = await openDatabase({ databaseUrl: databaseUrl(name), pgliteDir: null });
  await migrateToLatest(handle.db);
  await handle.close();
}

export async function dropDatabase(name: string): Promise<void> {
  if (!process.env.BENCH_KEEP_DB) await admin(`drop database if exists ${name} with (force)`);
}

export interface Portal {
  child: ChildProcess;
  baseUrl: string;
  pid: number;
  /** Everything the portal printed on stdout so far. */
  output(): string;
  stop(): Promise<void>;
}

export interface PortalOptions {
  port: number;
  /** Database name on the bench server; null runs the portal on embedded PGlite in DATA_DIR. */
  database: string | null;
  /** Extra environment (SMTP_URL, MAIL_RATE_PER_MINUTE, DATA_DIR, …). */
  env?: Record<string, string>;
}

function startScript(): string[] {
  return (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: { start: string } }).scripts.start.split(/\s+/);
}

/** The Node flags of `npm start` (package.json), so the benchmark measures what users run. */
export function startFlags(): string[] {
  return startScript().filter((part) => part.startsWith('--'));
}

/** The environment `npm start` sets before `node` (e.g. MALLOC_ARENA_MAX=2), for the same reason. */
export function startEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const part of startScript()) {
    const match = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(part);
    if (!match) break;
    env[match[1]!] = match[2]!;
  }
  return env;
}

/** Starts src/server.ts in production mode, with npm start's flags, and waits until it says it runs. */
export async function startPortal(options: PortalOptions): Promise<Portal> {
  const baseUrl = `http://127.0.0.1:${options.port}`;
  // BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the portal under load.
  const nodeArgs = [...startFlags(), ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean)];
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...startEnv(),
    NODE_ENV: 'production',
    PORT: String(options.port),
    HOST: '127.0.0.1',
    BASE_URL: baseUrl,
    SESSION_SECRET: 'benchmark-benchmark-benchmark-benchmark',
    IMPRESSUM_COMPANY: 'Benchmark GmbH',
    IMPRESSUM_ADDRESS: 'Teststraße 1, 12345 Teststadt',
    LOG_LEVEL: 'warn',
    // Production mode insists on an SMTP server; sections that send mail pass their own.
    SMTP_URL: 'smtp://127.0.0.1:2525',
    ...options.env,
  };
  if (options.database) env.DATABASE_URL = databaseUrl(options.database);
  else delete env.DATABASE_URL;
  const child = spawn(process.execPath, [...nodeArgs, 'src/server.ts'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // Up to two minutes: a first start (initdb, migrations) on a busy shared machine took over 30 s.
  for (let i = 0; i < 12000 && !output.includes('läuft') && child.exitCode === null; i++) await new Promise((r) => setTimeout(r, 10));
  if (!output.includes('läuft')) {
    child.kill('SIGKILL');
    throw new Error(`portal did not start: ${output}`);
  }
  return {
    child,
    baseUrl,
    pid: child.pid!,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/**
 * A signed-in browser-like session through the real login form: returns the cookie header.
 * `workAs` (a Kundennummer) also selects that Mandant with "Als ausgewählter Mandant arbeiten".
 */
export async function signIn(baseUrl: string, login: string, password: string, workAs?: string): Promise<string> {
  const jar = new Map<string, string>();
  const remember = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const [name = '', value = ''] = pair.split('=');
      jar.set(name, value);
    }
  };
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const post = async (path: string, formPage: string, form: Record<string, string>) => {
    const page = await fetch(`${baseUrl}${formPage}`, { headers: { cookie: cookie() }, redirect: 'manual' });
    remember(page);
    const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const res = await fetch(`${baseUrl}${path}`, { method: 'POST', body: new URLSearchParams({ _csrf: token, ...form }), headers: { cookie: cookie(), origin: baseUrl }, redirect: 'manual' });
    remember(res);
    if (res.status !== 303) throw new Error(`${path} answered ${res.status}`);
  };
  await post('/anmelden', '/anmelden', { login, password });
  if (workAs) {
    const list = await fetch(`${baseUrl}/mandanten?q=${encodeURIComponent(workAs)}&sort=customerNumber`, { headers: { cookie: cookie() } });
    const tenantId = /name="mandant" value="([^"]+)"/.exec(await list.text())?.[1] ?? '';
    await post('/mandanten/auswahl', '/mandanten', { mandant: tenantId, aktion: 'arbeiten' });
  }
  return cookie();
}
