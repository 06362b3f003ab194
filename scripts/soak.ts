// npm run soak — not part of npm test: SOAK_MINUTES (default 10) of mixed traffic against two
// portal instances on one PostgreSQL database (DATABASE_URL's server, database agileas_soak),
// both sending to one real SMTP server in a process of its own. Browsing, logins of Anwender,
// new Anwender (each an invitation) and "(Ersatz-) Passwort-Link versenden", spread over both
// instances. Afterwards: every answer below 500, every queued mail delivered exactly once, and
// the memory of each instance levelled off (RSS in the last third of the run within 10 % of the
// middle third's). Prints a Markdown summary for the README; exit code 1 when a check fails.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { hashPassword } from '../src/passwords/hashing.ts';
import { benchPassword, createMigratedDatabase, databaseUrl, dropDatabase, signIn, startPortal, type Portal } from './bench/portal.ts';

const minutes = Number(process.env.SOAK_MINUTES || 10);
const clients = Number(process.env.SOAK_CLIENTS || 8);
const dbName = process.env.SOAK_DB || 'agileas_soak';
const ports = [Number(process.env.SOAK_PORT || 3993), Number(process.env.SOAK_PORT || 3993) + 1];
const smtpPort = Number(process.env.SOAK_SMTP_PORT || 2527);
const STAFF = 8;
const USERS = 400;
if (!(minutes > 0) || !(clients > 0)) {
  console.error('SOAK_MINUTES und SOAK_CLIENTS müssen positive Zahlen sein.');
  process.exit(2);
}

/** The SMTP server process: counts accepted mails per recipient. */
async function startSink(): Promise<{ perRecipient: Map<string, number>; total(): number; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(process.execPath, ['scripts/bench/smtp-sink.ts', String(smtpPort)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const perRecipient = new Map<string, number>();
  let rest = '';
  let ready = false;
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('ready')) ready = true;
      const [kind, , to = ''] = line.split(' ');
      if (kind === 'A') perRecipient.set(to, (perRecipient.get(to) ?? 0) + 1);
    }
  });
  for (let i = 0; i < 500 && !ready; i++) await sleep(20);
  if (!ready) throw new Error('SMTP sink did not start');
  return {
    perRecipient,
    total: () => [...perRecipient.values()].reduce((a, b) => a + b, 0),
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** Names take letters only: 0 → a, 27 → bb … */
function letters(n: number): string {
  let out = '';
  do {
    out = String.fromCharCode(97 + (n % 26)) + out;
    n = Math.floor(n / 26) - 1;
  } while (n >= 0);
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function seed(): Promise<void> {
  await createMigratedDatabase(dbName);
  const hash = await hashPassword(benchPassword);
  const client = new pg.Client({ connectionString: databaseUrl(dbName) });
  await client.connect();
  try {
    const reseller = (await client.query(`insert into resellers (name, street, postal_code, city) values ('Nord IT GmbH', 'Hafenstraße 1', '20095', 'Hamburg') returning id`)).rows[0].id as string;
    await client.query(
      `insert into accounts (role, reseller_id, login, first_name, last_name, email, password_hash)
       select 'reseller', $1, 'soak.staff' || n, 'Soak', 'Staff' || n, 'staff' || n || '@nord-it.example', $2 from generate_series(1, $3::int) n`,
      [reseller, hash, STAFF],
    );
    await client.query(
      `insert into tenants (reseller_id, name, customer_number, street, postal_code, city)
       select $1, 'Firma ' || n, 'K-' || n, 'Weg ' || n, '20095', 'Hamburg' from generate_series(1, 300) n`,
      [reseller],
    );
    const tenant = (await client.query(`select id from tenants where customer_number = 'K-1'`)).rows[0].id as string;
    await client.query(
      `insert into accounts (role, reseller_id, tenant_id, login, first_name, last_name, email, password_hash)
       select 'user', $1, $2, 'soak.anwender' || n, 'Vorname' || n, 'Nachname' || n, 'anwender' || n || '@soak.example', $3 from generate_series(1, $4::int) n`,
      [reseller, tenant, hash, USERS],
    );
    await client.query('analyze');
  } finally {
    await client.end();
  }
}

function readRss(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

interface Tally {
  requests: number;
  byKind: Record<string, number>;
  serverErrors: string[];
  expectedMails: Map<string, number>;
}

/** One client: a staff member working as Mandant K-1 on one instance, and Anwender signing in. */
async function runClient(portals: Portal[], index: number, until: number, tally: Tally): Promise<void> {
  const portal = portals[index % portals.length]!;
  const other = portals[(index + 1) % portals.length]!;
  const cookie = await signIn(portal.baseUrl, `soak.staff${(index % STAFF) + 1}`, benchPassword, 'K-1');
  let created = 0;
  // Logins at a person's pace (one per client every 1.5 s at most): the soak is about staying
  // up, not about the login ceiling per address, which the login tests and benchmark cover.
  let nextLogin = 0;
  const record = (kind: string, path: string, status: number) => {
    tally.requests++;
    tally.byKind[kind] = (tally.byKind[kind] ?? 0) + 1;
    if (status >= 500) tally.serverErrors.push(`${status} ${kind} ${path}`);
  };
  const expectMail = (email: string) => tally.expectedMails.set(email, (tally.expectedMails.get(email) ?? 0) + 1);
  const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  while (Date.now() < until) {
    const roll = Math.random();
    // The session lives in PostgreSQL: every other request goes to the other instance.
    const base = Math.random() < 0.5 ? portal.baseUrl : other.baseUrl;
    try {
      if (roll < 0.55) {
        const path = ['/mandanten', '/anwender', `/anwender?q=Nachname${1 + Math.floor(Math.random() * USERS)}`, `/mandanten?seite=${1 + Math.floor(Math.random() * 6)}`, '/protokoll'][Math.floor(Math.random() * 5)]!;
        const res = await fetch(`${base}${path}`, { headers: { cookie } });
        await res.arrayBuffer();
        record('Seite', path, res.status);
      } else if (roll < 0.7 && Date.now() >= nextLogin) {
        nextLogin = Date.now() + 1_500;
        const n = 1 + Math.floor(Math.random() * USERS);
        const jar: string[] = [];
        const form = await fetch(`${base}/anmelden`);
        jar.push(...form.headers.getSetCookie().map((c) => c.split(';')[0]!));
        const res = await fetch(`${base}/anmelden`, {
          method: 'POST',
          headers: { cookie: jar.join('; '), origin: base },
          body: new URLSearchParams({ _csrf: csrfOf(await form.text()), login: `soak.anwender${n}`, password: benchPassword }),
          redirect: 'manual',
        });
        await res.arrayBuffer();
        record('Anmeldung', '/anmelden', res.status);
        if (res.status !== 303) tally.serverErrors.push(`Anmeldung abgelehnt: ${res.status}`);
      } else if (roll < 0.7) {
        continue;
      } else if (roll < 0.82) {
        const form = await fetch(`${base}/anwender/neu`, { headers: { cookie } });
        const email = `neu${index}x${++created}@soak.example`;
        const res = await fetch(`${base}/anwender`, {
          method: 'POST',
          headers: { cookie, origin: base },
          body: new URLSearchParams({ _csrf: csrfOf(await form.text()), firstName: `Neu ${letters(index)}`, lastName: `Person ${letters(created)}`, email }),
          redirect: 'manual',
        });
        await res.arrayBuffer();
        record('Anwender neu', '/anwender', res.status);
        if (res.status === 303) expectMail(email);
        else tally.serverErrors.push(`Anwender neu: ${res.status}`);
      } else {
        const n = 1 + Math.floor(Math.random() * USERS);
        const list = await fetch(`${base}/anwender?q=${encodeURIComponent(`soak.anwender${n}`)}`, { headers: { cookie } });
        const html = await list.text();
        const id = /name="anwender" value="([^"]+)"/.exec(html)?.[1] ?? '';
        const res = await fetch(`${base}/anwender/auswahl`, {
          method: 'POST',
          headers: { cookie, origin: base },
          body: new URLSearchParams({ _csrf: csrfOf(html), anwender: id, aktion: 'link' }),
          redirect: 'manual',
        });
        await res.arrayBuffer();
        record('Passwort-Link', '/anwender/auswahl', res.status);
        if (res.status === 303) expectMail(`anwender${n}@soak.example`);
        else tally.serverErrors.push(`Passwort-Link: ${res.status}`);
      }
    } catch (error) {
      tally.serverErrors.push(`Verbindung: ${(error as Error).message}`);
    }
  }
}

console.log(`Soak: ${minutes} min, ${clients} Clients, zwei Instanzen auf ${databaseUrl(dbName)}`);
await seed();
const sink = await startSink();
const smtp = { SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, MAIL_POLLING_SECONDS: '2' };
const portals: Portal[] = [];
for (const port of ports) portals.push(await startPortal({ port, database: dbName, env: smtp }));
const samples: { at: number; rss: number[] }[] = [];
const sampler = setInterval(() => samples.push({ at: Date.now(), rss: portals.map((p) => readRss(p.pid).rss) }), 5_000);
const tally: Tally = { requests: 0, byKind: {}, serverErrors: [], expectedMails: new Map() };
const until = Date.now() + minutes * 60_000;
await Promise.all(Array.from({ length: clients }, (_, i) => runClient(portals, i, until, tally)));
clearInterval(sampler);

// Every mail that a 303 promised, delivered exactly once (per recipient, as often as queued).
// Every mail that a 303 promised is sent, unless a newer link for the same person replaced it
// before its turn (then it is dropped, by design). So the database's deliveries decide: nothing
// left waiting, every "sent" one arrived at the SMTP server, none arrived twice.
const expectedTotal = [...tally.expectedMails.values()].reduce((a, b) => a + b, 0);
const deliveries = async () => {
  const client = new pg.Client({ connectionString: databaseUrl(dbName) });
  await client.connect();
  try {
    const rows = (await client.query(`select d.state, a.email, count(*)::int as n from mail_deliveries d join accounts a on a.id = d.account_id group by 1, 2`)).rows as { state: string; email: string; n: number }[];
    return rows;
  } finally {
    await client.end();
  }
};
let settled = await deliveries();
for (let i = 0; i < 120 && settled.some((r) => r.state === 'queued' || r.state === 'retrying'); i++) {
  await sleep(1_000);
  settled = await deliveries();
}
await sleep(3_000); // a duplicate would arrive after the last "sent"
const sentTo = new Map<string, number>();
for (const row of settled) if (row.state === 'sent') sentTo.set(row.email, (sentTo.get(row.email) ?? 0) + row.n);
const sentTotal = [...sentTo.values()].reduce((a, b) => a + b, 0);
const dropped = settled.filter((r) => r.state === 'dropped').reduce((a, r) => a + r.n, 0);
const unsettled = settled.filter((r) => r.state !== 'sent' && r.state !== 'dropped').reduce((a, r) => a + r.n, 0);
const missing = [...sentTo].filter(([email, n]) => (sink.perRecipient.get(email) ?? 0) < n);
const twice = [...sink.perRecipient].filter(([email, n]) => n > (sentTo.get(email) ?? 0));
// The portals' own error lines, when a request failed: what a 500 was.
const portalErrors = tally.serverErrors.length ? portals.flatMap((p) => p.output().split('\n').filter((line) => /"level":(50|60)/.test(line))).slice(0, 5) : [];
const hwm = portals.map((p) => readRss(p.pid).hwm);
for (const portal of portals) await portal.stop();
await sink.stop();
await dropDatabase(dbName);

// Samples split into thirds of the run by their order (one every 5 s).
const third = (k: number) => samples.slice(Math.floor((k * samples.length) / 3), Math.floor(((k + 1) * samples.length) / 3));
const maxOf = (list: { rss: number[] }[], i: number) => Math.max(0, ...list.map((s) => s.rss[i]!));
const levels = portals.map((_, i) => ({ middle: maxOf(third(1), i), last: maxOf(third(2), i) }));
const levelledOff = levels.every((l) => l.last <= l.middle * 1.1);
const ok = tally.serverErrors.length === 0 && unsettled === 0 && missing.length === 0 && twice.length === 0 && levelledOff;

const mb = (n: number) => `${n.toFixed(0)} MB`;
console.log(`
| Soak (${new Date().toISOString().slice(0, 10)}, ${minutes} min, ${clients} Clients, 2 Instanzen) | Ergebnis |
|---|---|
| Anfragen | ${tally.requests} (${Object.entries(tally.byKind).map(([k, v]) => `${k} ${v}`).join(', ')}) |
| Antworten ≥ 500 oder abgelehnt | ${tally.serverErrors.length} |
| Mails eingereiht / gesendet / angekommen | ${expectedTotal} / ${sentTotal} / ${sink.total()} (ersetzt vor dem Versand ${dropped}, nicht erledigt ${unsettled}, fehlend ${missing.length}, doppelt ${twice.length}) |
| RSS mittleres / letztes Drittel | ${levels.map((l, i) => `Instanz ${i + 1}: ${mb(l.middle)} / ${mb(l.last)}`).join('; ')} |
| Spitze (VmHWM) | ${hwm.map(mb).join(' / ')} |
| Bestanden | ${ok ? 'ja' : 'nein'} |`);
if (tally.serverErrors.length) console.log(`Fehler (erste 20):\n${tally.serverErrors.slice(0, 20).join('\n')}\n${portalErrors.join('\n')}`);
process.exit(ok ? 0 : 1);
