// Ad-hoc measurement for issue 12, finding 10 (not part of npm test): p50/p90 of POST
// /passwort-vergessen for a known account against an unknown one, interleaved in one run so the
// shared machine's noise hits both alike. Run: node scripts/forgot-timing.ts [rounds]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { createTestDatabase } from '../test/helpers/database.ts';
import { createReseller, createTenant, createUser } from '../test/helpers/fixtures.ts';

const rounds = Number(process.argv[2] ?? 200);
const database = await createTestDatabase();
const config = loadConfig({ BASE_URL: 'http://portal.test', DATA_DIR: mkdtempSync(join(tmpdir(), 'forgot-timing-')), SESSION_SECRET: 'timing-secret-timing-secret-0123456789abcdef', LOG_LEVEL: 'warn' });
const app = await buildApp({ config, database, startWorker: false, housekeeping: false, printLine: () => {} });
const tenant = await createTenant(database.db, (await createReseller(database.db)).id);
const joerg = await createUser(database.db, tenant);

const form = await app.inject({ url: '/passwort-vergessen', headers: { host: 'portal.test' } });
const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
const cookie = form.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
const times: Record<'known' | 'unknown', number[]> = { known: [], unknown: [] };
for (let i = 0; i < rounds * 2; i++) {
  const kind = i % 2 === 0 ? 'known' : 'unknown';
  const identifier = kind === 'known' ? joerg.login : `niemand.${i}`;
  const started = process.hrtime.bigint();
  const res = await app.inject({
    method: 'POST',
    url: '/passwort-vergessen',
    remoteAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    headers: { host: 'portal.test', cookie, origin: 'http://portal.test', 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: token, identifier }).toString(),
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (res.statusCode !== 303) throw new Error(`answered ${res.statusCode}`);
  if (i >= 20) times[kind].push(ms); // the first rounds warm up
}
const quantile = (list: number[], q: number) => [...list].sort((a, b) => a - b)[Math.floor(q * (list.length - 1))]!.toFixed(2);
for (const kind of ['known', 'unknown'] as const) console.log(`${kind.padEnd(8)} n=${times[kind].length} p50=${quantile(times[kind], 0.5)} ms p90=${quantile(times[kind], 0.9)} ms`);
await app.close();
await database.close();
