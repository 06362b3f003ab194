// Section "Mail": 10,000 Passwort-Links of one import, queued through the import's own route
// ("Passwort-Links jetzt versenden", POST /import/:id/links) on the real PostgreSQL, sent by the
// portal running as its own production process to a real SMTP server (smtp-server) in a third
// process. Same-run baseline: nodemailer sending the same 10,000 rendered mails over the same
// pool size straight to that server, without queue, database or tokens. Then 50 single links
// ("Passwort-Link versenden" on the Anwender page) 1 s apart, and MAIL_RATE_PER_MINUTE=600 with
// two portal instances on one database.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import pg from 'pg';
import { createViews } from '../../src/app.ts';
import { createMailRenderer } from '../../src/mail/templates.ts';
import { createSmtpTransport, type OutgoingMail } from '../../src/mail/transport.ts';
import { hashPassword } from '../../src/passwords/hashing.ts';
import { generateToken } from '../../src/tokens.ts';
import { benchPassword, createMigratedDatabase, databaseUrl, dropDatabase, signIn, startPortal, type Portal } from './portal.ts';
import { type BenchSection, readRssMb, round } from './report.ts';

const benchDb = process.env.BENCH_MAIL_DB || 'agileas_bench_mail';
const ports = { portal: Number(process.env.BENCH_MAIL_PORT || 3988), smtp: Number(process.env.BENCH_SMTP_PORT || 2526) };
const BULK = Number(process.env.BENCH_MAIL_COUNT || 10_000);
const SINGLES = Number(process.env.BENCH_MAIL_SINGLES || 50);
const CAPPED = Number(process.env.BENCH_MAIL_CAPPED || 200);
const POOL = 5;
const smtpUrl = `smtp://127.0.0.1:${ports.smtp}`;

const bulkEmail = (n: number) => `anwender${n}@umzug.example`;
const singleEmail = (n: number) => `einzeln${n}@umzug.example`;
const cappedEmail = (n: number) => `gedrosselt${n}@umzug.example`;
const baselineEmail = (n: number) => `baseline${n}@umzug.example`;

/** The SMTP server process and what it accepted: recipient → acceptance times (epoch ms). */
interface Sink {
  accepted: Map<string, number[]>;
  count(prefix: string): number;
  waitFor(check: () => boolean, timeoutMs: number): Promise<boolean>;
  stop(): Promise<void>;
}

async function startSink(): Promise<Sink> {
  const child: ChildProcess = spawn(process.execPath, ['scripts/bench/smtp-sink.ts', String(ports.smtp)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const accepted = new Map<string, number[]>();
  const counts = new Map<string, number>();
  let rest = '';
  let ready = false;
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('ready')) ready = true;
      if (!line.startsWith('A ')) continue;
      const [, at, to = ''] = line.split(' ');
      const list = accepted.get(to) ?? [];
      list.push(Number(at));
      accepted.set(to, list);
      const prefix = to.replace(/\d+@.*$/, '');
      counts.set(prefix, (counts.get(prefix) ?? 0) + 1);
    }
  });
  const waitFor = async (check: () => boolean, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  };
  if (!(await waitFor(() => ready, 10_000))) throw new Error('SMTP sink did not start');
  return {
    accepted,
    count: (prefix) => counts.get(prefix) ?? 0,
    waitFor,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

interface Seeded {
  bulkRunId: string;
  cappedRunId: string;
  singleIds: string[];
}

async function seed(): Promise<Seeded> {
  await createMigratedDatabase(benchDb);
  const hash = await hashPassword(benchPassword);
  const client = new pg.Client({ connectionString: databaseUrl(benchDb) });
  await client.connect();
  try {
    const reseller = (await client.query(`insert into resellers (name, street, postal_code, city) values ('Nord IT GmbH', 'Hafenstraße 1', '20095', 'Hamburg') returning id`)).rows[0].id as string;
    const staff = (await client.query(`insert into accounts (role, reseller_id, login, first_name, last_name, email, password_hash) values ('reseller', $1, 'bench.staff1', 'Bench', 'Staff', 'staff1@nord-it.example', $2) returning id`, [reseller, hash])).rows[0].id as string;
    const tenant = (await client.query(`insert into tenants (reseller_id, name, customer_number, street, postal_code, city) values ($1, 'Umzug GmbH', 'K-1', 'Hafenweg 1', '20095', 'Hamburg') returning id`, [reseller])).rows[0].id as string;
    const run = async (fileName: string) =>
      (await client.query(`insert into import_runs (reseller_id, created_by, file_name, state, created_at, imported_at, rows) values ($1, $2, $3, 'imported', now(), now(), '[]') returning id`, [reseller, staff, fileName])).rows[0].id as string;
    const bulkRunId = await run('umzug.xlsx');
    const cappedRunId = await run('gedrosselt.xlsx');
    const users = (runId: string | null, prefix: string, count: number) =>
      client.query(
        `insert into accounts (role, reseller_id, tenant_id, import_run_id, login, first_name, last_name, email)
         select 'user', $1, $2, $3, $4 || '.' || n, 'Vorname' || n, 'Nachname' || n, $4 || n || '@umzug.example' from generate_series(1, $5::int) n returning id`,
        [reseller, tenant, runId, prefix, count],
      );
    await users(bulkRunId, 'anwender', BULK);
    await users(cappedRunId, 'gedrosselt', CAPPED);
    const singles = await users(null, 'einzeln', SINGLES);
    await client.query('analyze');
    return { bulkRunId, cappedRunId, singleIds: singles.rows.map((r) => r.id as string).sort((a, b) => a.localeCompare(b)) };
  } finally {
    await client.end();
  }
}

/** The same mail the portal sends, rendered with a fresh token: what the baseline sends. */
function renderBaselineMails(count: number): OutgoingMail[] {
  const renderer = createMailRenderer(createViews(true), 'agilas-support@okit.de');
  const now = new Date();
  return Array.from({ length: count }, (_, i) =>
    renderer.render({
      kind: 'invitation',
      role: 'user',
      to: baselineEmail(i + 1),
      login: `anwender.${i + 1}`,
      firstName: `Vorname${i + 1}`,
      lastName: `Nachname${i + 1}`,
      linkUrl: `http://127.0.0.1:${ports.portal}/passwort-link/${generateToken()}`,
      linkHours: 72,
      expiresAt: new Date(now.getTime() + 72 * 3_600_000),
      changedAt: now,
    }),
  );
}

async function runBaseline(sink: Sink): Promise<number> {
  const mails = renderBaselineMails(BULK);
  const transport = createSmtpTransport(smtpUrl, 'AgileAS Portal <no-reply@localhost.localdomain>', { maxConnections: POOL, timeoutSeconds: 30 });
  const started = performance.now();
  await Promise.all(mails.map((mail) => transport.send(mail)));
  const seconds = (performance.now() - started) / 1000;
  transport.close();
  if (!(await sink.waitFor(() => sink.count('baseline') >= BULK, 10_000))) throw new Error(`the SMTP sink counted ${sink.count('baseline')} of ${BULK} baseline mails`);
  return BULK / seconds;
}

/** Posts a form of the portal the way the browser does: CSRF token and submission id from the page. */
async function postForm(baseUrl: string, cookie: string, pagePath: string, action: string, form: Record<string, string>): Promise<{ status: number; clickedAt: number }> {
  const page = await fetch(`${baseUrl}${pagePath}`, { headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const clickedAt = Date.now();
  const res = await fetch(`${baseUrl}${action}`, {
    method: 'POST',
    body: new URLSearchParams({ _csrf: csrf, formular: randomUUID(), ...form }),
    headers: { cookie, origin: baseUrl },
    redirect: 'manual',
  });
  await res.arrayBuffer();
  return { status: res.status, clickedAt };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function rssAt(samples: { accepted: number; rss: number }[], share: number): number {
  const target = BULK * share;
  return (samples.find((s) => s.accepted >= target) ?? samples[samples.length - 1]!).rss;
}

export async function runMailBench(log: (line: string) => void): Promise<BenchSection> {
  const section: BenchSection = { title: `Mail (${BULK.toLocaleString('de-DE')} Passwort-Links, SMTP_MAX_CONNECTIONS=${POOL})`, rows: [], notes: [] };
  log(`Daten anlegen (${BULK} Anwender eines Imports, ${CAPPED} eines zweiten, ${SINGLES} einzelne) …`);
  const seeded = await seed();
  const sink = await startSink();
  const portals: Portal[] = [];
  const portalEnv = (extra: Record<string, string> = {}) => ({ SMTP_URL: smtpUrl, SMTP_MAX_CONNECTIONS: String(POOL), ...extra });
  try {
    log('Baseline: nodemailer direkt, gleicher Pool …');
    const baselineRate = await runBaseline(sink);
    log(`  ${round(baselineRate, 0)} Mails/s`);

    const portal = await startPortal({ port: ports.portal, database: benchDb, env: portalEnv() });
    portals.push(portal);
    const cookie = await signIn(portal.baseUrl, 'bench.staff1', benchPassword, 'K-1');

    log(`Portal: „Passwort-Links jetzt versenden“ für ${BULK} Anwender …`);
    const samples: { at: number; accepted: number; rss: number }[] = [];
    const sampler = setInterval(() => {
      try {
        samples.push({ at: Date.now(), accepted: sink.count('anwender'), rss: readRssMb(portal.pid) });
      } catch {
        // the portal is gone: the run below reports it
      }
    }, 100);
    const rssBefore = readRssMb(portal.pid);
    const click = await postForm(portal.baseUrl, cookie, `/import/${seeded.bulkRunId}`, `/import/${seeded.bulkRunId}/links`, {});
    if (click.status !== 303) throw new Error(`POST /import/:id/links answered ${click.status}`);
    const delivered = await sink.waitFor(() => sink.count('anwender') >= BULK, 600_000);
    clearInterval(sampler);
    samples.push({ at: Date.now(), accepted: sink.count('anwender'), rss: readRssMb(portal.pid) });
    const times = [...sink.accepted.entries()].filter(([to]) => to.startsWith('anwender')).flatMap(([, at]) => at);
    const last = Math.max(...times);
    const first = Math.min(...times);
    const seconds = (last - click.clickedAt) / 1000;
    const rate = sink.count('anwender') / seconds;
    const twice = [...sink.accepted.entries()].filter(([to, at]) => to.startsWith('anwender') && at.length > 1).length;
    log(`  ${sink.count('anwender')} Mails in ${round(seconds)} s (${round(rate, 0)}/s, ab der ersten ${round(sink.count('anwender') / ((last - first) / 1000), 0)}/s; erste nach ${last === first ? 0 : round((first - click.clickedAt) / 1000, 2)} s), doppelt: ${twice}`);
    section.rows.push({
      figure: `Mails pro Sekunde, ${BULK.toLocaleString('de-DE')} Links`,
      value: `${round(rate, 0)} /s`,
      baseline: `${round(baselineRate, 0)} /s (nodemailer direkt)`,
      ratio: round(rate / baselineRate, 2),
      target: '≥ 200 /s und ≥ 0,5 × Baseline',
      met: delivered && twice === 0 && rate >= 200 && rate >= 0.5 * baselineRate,
    });
    section.rows.push({
      figure: '„Passwort-Links jetzt versenden“ bis zur letzten angenommenen Mail',
      value: `${round(seconds)} s${delivered ? '' : ` (nur ${sink.count('anwender')} angekommen)`}`,
      baseline: `${round(BULK / baselineRate)} s (nodemailer direkt)`,
      ratio: round(seconds / (BULK / baselineRate), 2),
      target: '≤ 60 s',
      met: delivered && seconds <= 60,
    });
    log(`  RSS (MB) bei 10 %, 20 %, … 100 % der Mails: ${[0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1].map((share) => round(rssAt(samples, share), 0)).join(' ')}`);
    const rss20 = rssAt(samples, 0.2);
    const rss50 = rssAt(samples, 0.5);
    const rss100 = rssAt(samples, 1);
    const peak = Math.max(...samples.map((s) => s.rss));
    // Growth with the number of mails shows in the second half; the first part is the heap taking
    // its working size (the click's transaction of 10,000 links, the batches in flight).
    section.rows.push({
      figure: 'RSS des Portals während des Versands (bei 20 % / 50 % / 100 % der Mails)',
      value: `${round(rss20, 0)} / ${round(rss50, 0)} / ${round(rss100, 0)} MB (Spitze ${round(peak, 0)} MB)`,
      baseline: `${round(rssBefore, 0)} MB vor dem Klick`,
      ratio: round(rss100 / rss50, 2),
      target: 'flach: 100 % ≤ 1,05 × 50 %',
      met: rss100 <= rss50 * 1.05,
    });

    log(`Einzelne Links: ${SINGLES} × „Passwort-Link versenden“, 1 s Abstand …`);
    const latencies: number[] = [];
    for (let i = 0; i < seeded.singleIds.length; i++) {
      const id = seeded.singleIds[i]!;
      const email = await emailOf(id);
      const sent = await postForm(portal.baseUrl, cookie, '/anwender', '/anwender/auswahl', { anwender: id, aktion: 'link' });
      if (sent.status !== 303) throw new Error(`POST /anwender/auswahl answered ${sent.status}`);
      const arrived = await sink.waitFor(() => sink.accepted.has(email), 30_000);
      latencies.push(arrived ? sink.accepted.get(email)![0]! - sent.clickedAt : 30_000);
      const wait = sent.clickedAt + 1000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const p95 = percentile(latencies, 95) / 1000;
    log(`  p50 ${percentile(latencies, 50)} ms, p95 ${round(p95, 2)} s, max ${Math.max(...latencies)} ms`);
    section.rows.push({
      figure: `Einzelner Link, Klick bis SMTP-Annahme, p95 von ${SINGLES} (1 s Abstand)`,
      value: `${round(p95, 2)} s (p50 ${round(percentile(latencies, 50) / 1000, 2)} s)`,
      baseline: '—',
      ratio: null,
      target: '≤ 2 s',
      met: p95 <= 2,
    });
    await portal.stop();
    portals.length = 0;

    log(`MAIL_RATE_PER_MINUTE=600, zwei Instanzen, ${CAPPED} Links …`);
    const capped = portalEnv({ MAIL_RATE_PER_MINUTE: '600' });
    const one = await startPortal({ port: ports.portal + 1, database: benchDb, env: capped });
    portals.push(one);
    const two = await startPortal({ port: ports.portal + 2, database: benchDb, env: capped });
    portals.push(two);
    const cappedCookie = await signIn(one.baseUrl, 'bench.staff1', benchPassword, 'K-1');
    const cappedClick = await postForm(one.baseUrl, cappedCookie, `/import/${seeded.cappedRunId}`, `/import/${seeded.cappedRunId}/links`, {});
    if (cappedClick.status !== 303) throw new Error(`POST /import/:id/links answered ${cappedClick.status}`);
    const allCapped = await sink.waitFor(() => sink.count('gedrosselt') >= CAPPED, CAPPED * 200 + 30_000);
    // A moment longer: a mail sent twice would arrive now.
    await new Promise((r) => setTimeout(r, 2000));
    const perSecond = new Map<number, number>();
    let cappedTwice = 0;
    for (const [to, at] of sink.accepted) {
      if (!to.startsWith('gedrosselt')) continue;
      if (at.length > 1) cappedTwice += 1;
      for (const t of at) perSecond.set(Math.floor(t / 1000), (perSecond.get(Math.floor(t / 1000)) ?? 0) + 1);
    }
    const busiest = Math.max(...perSecond.values());
    const distinct = [...sink.accepted.keys()].filter((to) => to.startsWith('gedrosselt')).length;
    log(`  höchstens ${busiest} in einer Sekunde, ${distinct}/${CAPPED} angekommen, doppelt: ${cappedTwice}`);
    section.rows.push({
      figure: `MAIL_RATE_PER_MINUTE=600, zwei Instanzen, ${CAPPED} Links: Mails in einer Sekunde (höchstens)`,
      value: `${busiest} (${distinct}/${CAPPED} angekommen, ${cappedTwice} doppelt)`,
      baseline: '—',
      ratio: null,
      target: '≤ 10 je Sekunde, keine verloren',
      met: allCapped && busiest <= 10 && distinct === CAPPED && cappedTwice === 0,
    });
    section.notes!.push(
      `Gemessen mit \`BENCH_ONLY=mail npm run bench\`: Portal als eigener Produktionsprozess (PostgreSQL ${benchDb}), SMTP-Server (smtp-server) als dritter Prozess auf 127.0.0.1:${ports.smtp}, Baseline im Messprozess. Mails/s = angenommene Mails ÷ Zeit vom Klick bis zur letzten Annahme.`,
    );
  } finally {
    for (const p of portals) await p.stop();
    await sink.stop();
    await dropDatabase(benchDb);
  }
  return section;

  async function emailOf(id: string): Promise<string> {
    const client = new pg.Client({ connectionString: databaseUrl(benchDb) });
    await client.connect();
    try {
      return (await client.query('select email from accounts where id = $1', [id])).rows[0].email as string;
    } finally {
      await client.end();
    }
  }
}
