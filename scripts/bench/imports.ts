// Section "Import": 10,000 and 20,000 Anwender in 1,000 Mandanten, as XLSX and as CSV, uploaded
// through the real routes of the portal (its own production process, a fresh one per file so
// that VmHWM is the peak of that file alone): preview = upload + preview page, commit = "Import
// ausführen". Beside each: the same-run baseline, exceljs' streaming reader or csv-parse alone
// reading the same file in a process of its own. Plus a legitimate sheet with 100 MB of XML.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { openDatabase } from '../../src/db/database.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { hashPassword } from '../../src/passwords/hashing.ts';
import { writeBenchCsv, writeBenchXlsx } from './import-files.ts';
import { benchPassword, databaseUrl, dropDatabase, startEnv, startFlags, recreateDatabase, signIn, startPortal } from './portal.ts';
import { type BenchRow, type BenchSection, readPeakRssMb, round } from './report.ts';

const run = promisify(execFile);
// startPortal runs the portal with the V8 flags of `npm start`, as in production: the young
// generation is capped there (--max-semi-space-size), which bounds the peak RSS of an import.
const benchDb = process.env.BENCH_IMPORT_DB || 'agileas_bench_import';
const port = Number(process.env.BENCH_IMPORT_PORT || 3996);
// BENCH_IMPORT_SIZES=1000,2000 for a quick try; the issue's sizes by default.
const sizes = (process.env.BENCH_IMPORT_SIZES ?? '10000,20000').split(',').map(Number);
const tenants = Number(process.env.BENCH_IMPORT_TENANTS || 1000);

async function seed(): Promise<void> {
  await recreateDatabase(benchDb);
  const handle = await openDatabase({ databaseUrl: databaseUrl(benchDb), pgliteDir: null });
  await migrateToLatest(handle.db);
  await handle.close();
  const client = new pg.Client({ connectionString: databaseUrl(benchDb) });
  await client.connect();
  const { rows } = await client.query(`insert into resellers (name, street, postal_code, city) values ('Nord IT GmbH', 'Hafenstraße 1', '20095', 'Hamburg') returning id`);
  await client.query(`insert into accounts (role, reseller_id, login, first_name, last_name, email, password_hash) values ('reseller', $1, 'bench.import', 'Bench', 'Import', 'import@nord-it.example', $2)`, [rows[0].id, await hashPassword(benchPassword)]);
  await client.query(`insert into applications (code, name, launch_url, roles) values ('buchhaltung', 'Buchhaltung', 'https://buchhaltung.example', '["nutzer", "admin"]')`);
  await client.end();
}

// The portal's own peak after start and sign-in, before any file: what every figure starts from.
let idlePeak = 0;

interface Measured {
  previewMs: number;
  commitMs: number;
  peakRssMb: number;
  outcome: string;
}

/** One file through a fresh portal: upload, preview page, commit; the portal's peak RSS. */
async function importThroughPortal(path: string, name: string, commit: boolean): Promise<Measured> {
  await seed();
  const portal = await startPortal({ port, database: benchDb });
  try {
    const cookie = await signIn(portal.baseUrl, 'bench.import', benchPassword);
    idlePeak = Math.max(idlePeak, readPeakRssMb(portal.pid));
    const form = await fetch(`${portal.baseUrl}/import`, { headers: { cookie } });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const body = new FormData();
    body.set('_csrf', csrf);
    body.set('datei', new Blob([readFileSync(path)]), name);
    const started = performance.now();
    const uploaded = await fetch(`${portal.baseUrl}/import`, { method: 'POST', body, headers: { cookie, origin: portal.baseUrl }, redirect: 'manual' });
    if (uploaded.status !== 303) {
      const message = /id="f-datei-error">([^<]*)</.exec(await uploaded.text())?.[1] ?? `HTTP ${uploaded.status}`;
      return { previewMs: performance.now() - started, commitMs: 0, peakRssMb: readPeakRssMb(portal.pid), outcome: `abgelehnt: ${message}` };
    }
    const runPath = uploaded.headers.get('location')!;
    const preview = await fetch(`${portal.baseUrl}${runPath}`, { headers: { cookie } });
    const html = await preview.text();
    const previewMs = performance.now() - started;
    if (preview.status !== 200) throw new Error(`preview answered ${preview.status}`);
    const errors = Number(/Zeilen mit Fehlern<\/dt><dd[^>]*>(\d+)/.exec(html)?.[1] ?? 'NaN');
    if (!commit) return { previewMs, commitMs: 0, peakRssMb: readPeakRssMb(portal.pid), outcome: `Vorschau, ${errors} Fehlerzeilen` };
    if (errors !== 0) throw new Error(`${name}: ${errors} rows with errors in the preview`);
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const commitStarted = performance.now();
    const committed = await fetch(`${portal.baseUrl}${runPath}/ausfuehren`, { method: 'POST', body: new URLSearchParams({ _csrf: token }), headers: { cookie, origin: portal.baseUrl }, redirect: 'manual' });
    const commitMs = performance.now() - commitStarted;
    if (committed.status !== 303) throw new Error(`commit answered ${committed.status}`);
    const result = await fetch(`${portal.baseUrl}${runPath}`, { headers: { cookie } });
    const created = Number(/Neue Anwender<\/dt><dd[^>]*>(\d+)/.exec(await result.text())?.[1] ?? 'NaN');
    return { previewMs, commitMs, peakRssMb: readPeakRssMb(portal.pid), outcome: `${created} Anwender angelegt` };
  } finally {
    await portal.stop();
  }
}

async function baseline(path: string, format: 'xlsx' | 'csv'): Promise<{ ms: number; peakRssMb: number }> {
  const { stdout } = await run(process.execPath, ['scripts/bench/import-baseline.ts', path, format], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout);
}

const seconds = (ms: number) => `${round(ms / 1000, 2)} s`;
const mb = (value: number) => `${Math.round(value)} MB`;

export async function runImportBench(log: (line: string) => void): Promise<BenchSection> {
  const dir = mkdtempSync(join(tmpdir(), 'agileas-import-bench-'));
  const section: BenchSection = { title: `Import (Anwender in ${tenants.toLocaleString('de-DE')} Mandanten)`, rows: [], notes: [] };
  idlePeak = 0;
  try {
    // One small import of each format first, not measured: a portal that has run before, as in
    // production. Node's compile cache (NODE_COMPILE_CACHE of `npm start`) then holds every
    // module the import loads, and a start compiles none of them again.
    for (const format of ['xlsx', 'csv'] as const) {
      const path = join(dir, `warm-up.${format}`);
      if (format === 'xlsx') await writeBenchXlsx(path, 100, 10);
      else await writeBenchCsv(path, 100, 10);
      await importThroughPortal(path, `warm-up.${format}`, true);
    }
    idlePeak = 0;
    for (const n of sizes) {
      for (const format of ['xlsx', 'csv'] as const) {
        const path = join(dir, `anwender-${n}.${format}`);
        if (format === 'xlsx') await writeBenchXlsx(path, n, tenants);
        else await writeBenchCsv(path, n, tenants);
        const label = `${n.toLocaleString('de-DE')} Anwender, ${format.toUpperCase()} (${round(statSync(path).size / 1024 / 1024, 1)} MB)`;
        log(`${label} …`);
        const base = await baseline(path, format);
        const measured = await importThroughPortal(path, `anwender-${n}.${format}`, true);
        log(`  ${measured.outcome}: Vorschau ${seconds(measured.previewMs)}, Ausführen ${seconds(measured.commitMs)}, VmHWM ${mb(measured.peakRssMb)}; Baseline ${seconds(base.ms)}, ${mb(base.peakRssMb)}`);
        const timeTarget = n <= 10_000 ? 3000 : null;
        const rssTarget = n <= 10_000 ? 220 : 300;
        const rows: BenchRow[] = [
          { figure: `${label}: Vorschau (Hochladen + Vorschauseite)`, value: seconds(measured.previewMs), baseline: `${seconds(base.ms)} (nur lesen)`, ratio: measured.previewMs / base.ms, target: timeTarget ? '≤ 3 s' : '—', met: timeTarget ? measured.previewMs <= timeTarget : true },
          { figure: `${label}: Import ausführen`, value: seconds(measured.commitMs), baseline: '—', ratio: null, target: timeTarget ? '≤ 3 s' : '—', met: timeTarget ? measured.commitMs <= timeTarget : true },
          { figure: `${label}: Spitzen-RSS des Portals (VmHWM)`, value: mb(measured.peakRssMb), baseline: `${mb(base.peakRssMb)} (nur lesen)`, ratio: measured.peakRssMb / base.peakRssMb, target: `≤ ${rssTarget} MB`, met: measured.peakRssMb <= rssTarget },
        ];
        section.rows.push(...rows);
      }
    }
    // A legitimate sheet whose XML is large: 20,000 rows with a long note column nobody reads.
    const bigRows = Math.max(...sizes);
    const big = join(dir, 'gross.xlsx');
    // Just under the 100 MB the archive may unpack to in total (zip-check.ts).
    await writeBenchXlsx(big, bigRows, tenants, Math.round((85 * 1024 * 1024) / bigRows) - 330);
    const label = `${bigRows.toLocaleString('de-DE')} Zeilen, ~100 MB XML (${round(statSync(big).size / 1024 / 1024, 1)} MB XLSX)`;
    log(`${label} …`);
    const base = await baseline(big, 'xlsx');
    const measured = await importThroughPortal(big, 'gross.xlsx', false);
    log(`  ${measured.outcome}: ${seconds(measured.previewMs)}, VmHWM ${mb(measured.peakRssMb)}; Baseline ${seconds(base.ms)}, ${mb(base.peakRssMb)}`);
    section.rows.push({ figure: `${label}: Spitzen-RSS bei der Vorschau (${measured.outcome})`, value: mb(measured.peakRssMb), baseline: `${mb(base.peakRssMb)} (nur lesen)`, ratio: measured.peakRssMb / base.peakRssMb, target: '≤ 300 MB', met: measured.peakRssMb <= 300 });
    section.notes!.push(
      'Vorschau = Hochladen (Prüfen, Lesen, Speichern der Zeilen) bis zur fertigen Vorschauseite; Ausführen = „Import ausführen“ bis zur Antwort (eine Transaktion). Das Portal läuft als eigener Produktionsprozess auf PostgreSQL, für jede Datei frisch gestartet; VmHWM ist seine Spitze über Anmelden, Hochladen, Vorschau, Ausführen und Ergebnisseite.',
      'Baseline: ein eigener Prozess, der dieselbe Datei nur mit exceljs (Streaming-WorkbookReader) bzw. csv-parse (Stream) liest – ohne Prüfungen, Plan und Datenbank; Zeit und VmHWM dieses Prozesses.',
      `Das Portal läuft mit den Optionen aus \`npm start\` (${[...Object.entries(startEnv()).map(([k, v]) => `${k}=${v}`), ...startFlags()].join(' ') || 'keine'}); vor den Messungen einmal mit je einer kleinen XLSX- und CSV-Datei (100 Zeilen), nicht gemessen, wie ein Portal, das schon gelaufen ist. Was die Spitze begrenzt: Das Portal selbst belegt nach dem Start und der Anmeldung (argon2id) schon rund ${Math.round(idlePeak)} MB; exceljs zu laden kostet rund 37 MB; der Rest ist der Plan der Vorschau und die Transaktion des Imports.`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await dropDatabase(benchDb);
  }
  return section;
}
