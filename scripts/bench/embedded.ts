// Section "embedded" (issue 16): the portal as a newcomer runs it first, on embedded PGlite.
// Start to first page, beside PGlite alone starting with the same options and Node flags
// (pglite-alone.ts): once on an empty data directory (the very first `npm start`: initdb,
// migrations, setup link; compile cache empty too) and once as a restart of that installation.
// RSS (VmRSS) at the first page and idle, and the peak (VmHWM) of the start.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startUntilReady } from './processes.ts';
import { startFlags, startPortal } from './portal.ts';
import { type BenchRow, type BenchSection, readPeakRssMb, readRssMb, round } from './report.ts';

const port = 4003;
const runs = 3;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const freshDir = (name: string) => mkdtempSync(join(tmpdir(), `agileas_bench_office_${name}-`));

/** Milliseconds from spawning PGlite alone (same options, same Node flags) to its first answer. */
async function startPgliteAlone(dir: string, cacheDir: string): Promise<number> {
  process.env.NODE_COMPILE_CACHE = cacheDir;
  try {
    const alone = await startUntilReady('scripts/bench/pglite-alone.ts', [dir], startFlags());
    await new Promise((resolve) => (alone.child.exitCode !== null ? resolve(null) : alone.child.once('exit', resolve)));
    return alone.ms;
  } finally {
    delete process.env.NODE_COMPILE_CACHE;
  }
}

interface PortalStart {
  ms: number;
  rssAtFirstPage: number;
  peak: number;
  idle: number | null;
}

/** Milliseconds from spawning the portal to its answered login page, and its memory. */
async function startPortalOnce(dataDir: string, cacheDir: string, idleSeconds: number): Promise<PortalStart> {
  const started = performance.now();
  const portal = await startPortal({ port, database: null, env: { DATA_DIR: dataDir, NODE_COMPILE_CACHE: cacheDir } });
  try {
    const page = await fetch(`${portal.baseUrl}/anmelden`);
    await page.text();
    if (page.status !== 200) throw new Error(`first page answered ${page.status}`);
    const ms = performance.now() - started;
    const rssAtFirstPage = readRssMb(portal.pid);
    const peak = readPeakRssMb(portal.pid);
    let idle: number | null = null;
    if (idleSeconds) {
      await sleep(idleSeconds * 1000);
      idle = readRssMb(portal.pid);
    }
    return { ms, rssAtFirstPage, peak, idle };
  } finally {
    await portal.stop();
  }
}

function startRow(figure: string, portalMs: number[], aloneMs: number[]): BenchRow {
  const ratio = median(portalMs) / median(aloneMs);
  return {
    figure,
    value: `${round(median(portalMs) / 1000, 2)} s`,
    baseline: `${round(median(aloneMs) / 1000, 2)} s PGlite allein`,
    ratio: round(ratio, 2),
    target: '≤ 1,5 × Baseline',
    met: ratio <= 1.5,
  };
}

export async function runEmbeddedBench(log: (line: string) => void): Promise<BenchSection> {
  const section: BenchSection = {
    title: 'Eingebettete Datenbank (PGlite)',
    rows: [],
    notes: [
      'Start bis zur ersten Seite: vom Prozessstart bis zur beantworteten Anmeldeseite, Median aus drei Starts, mit den Node-Optionen von `npm start`. Baseline: ein Node-Prozess, der nur PGlite mit denselben Optionen (Erweiterung pg_trgm, Speichereinstellungen) startet und eine Abfrage stellt. Beim ersten Start ist auch der Compile-Cache leer.',
      'Was der Neustart über PGlite hinaus braucht: Node und das Laden der Module (Fastify, Kysely, Routen; ~1 s CPU gegen ~0,5 s CPU für PGlite allein, gemessen mit utime+stime bis zur ersten Seite), erste Seite. Die Mail-Warteschlange (pg-boss, nodemailer) startet im Hintergrund und teilt sich dabei den einen Haupt-Thread mit der ersten Seite. Beim ersten Start legt ein eigener Kindprozess das Datenverzeichnis an und migriert es (dessen Speicher geht mit ihm), dann öffnet das Portal es ein zweites Mal.',
      'RSS: VmRSS des Prozesses `node src/server.ts`; den größten Teil hält PGlite selbst (WebAssembly-Code und -Speicher mit 16 MB shared_buffers).',
    ],
  };
  const dirs: string[] = [];
  try {
    const firstPortal: number[] = [];
    const firstAlone: number[] = [];
    const restartPortal: number[] = [];
    const restartAlone: number[] = [];
    let last: PortalStart | null = null;
    let peak = 0;
    let firstStartRss = 0;
    let restartRss = 0;
    for (let i = 0; i < runs; i++) {
      const dataDir = freshDir('embedded');
      const aloneDir = freshDir('pglite');
      const cacheDir = freshDir('compile-cache');
      const aloneCache = freshDir('compile-cache');
      dirs.push(dataDir, aloneDir, cacheDir, aloneCache);
      firstAlone.push(await startPgliteAlone(aloneDir, aloneCache));
      const first = await startPortalOnce(dataDir, cacheDir, 0);
      firstPortal.push(first.ms);
      restartAlone.push(await startPgliteAlone(join(dataDir, 'pglite'), aloneCache));
      last = await startPortalOnce(dataDir, cacheDir, i === runs - 1 ? 10 : 0);
      restartPortal.push(last.ms);
      peak = Math.max(peak, first.peak, last.peak);
      firstStartRss = Math.max(firstStartRss, first.rssAtFirstPage);
      restartRss = Math.max(restartRss, last.rssAtFirstPage);
    }
    log(`  erster Start ${firstPortal.map(Math.round).join(', ')} ms; PGlite allein ${firstAlone.map(Math.round).join(', ')} ms`);
    log(`  Neustart ${restartPortal.map(Math.round).join(', ')} ms; PGlite allein ${restartAlone.map(Math.round).join(', ')} ms`);
    section.rows.push(startRow('Erster Start (leeres Datenverzeichnis) bis zur ersten Seite', firstPortal, firstAlone));
    section.rows.push(startRow('Neustart (eingerichtet) bis zur ersten Seite', restartPortal, restartAlone));
    section.rows.push({ figure: 'RSS bei der ersten Seite nach einem Neustart (höchster von drei)', value: `${round(restartRss)} MB`, baseline: '—', ratio: null, target: '≤ 300 MB', met: restartRss <= 300 });
    section.rows.push({ figure: `RSS bei der ersten Seite des allerersten Starts (höchster von drei; Spitze aller Starts VmHWM ${round(peak)} MB)`, value: `${round(firstStartRss)} MB`, baseline: '—', ratio: null, target: '≤ 300 MB', met: firstStartRss <= 300 });
    section.rows.push({ figure: 'RSS im Leerlauf (10 s nach der ersten Seite)', value: `${round(last!.idle!)} MB`, baseline: '—', ratio: null, target: '≤ 300 MB', met: last!.idle! <= 300 });
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
  return section;
}
