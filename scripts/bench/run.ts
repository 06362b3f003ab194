// npm run bench — every speed and memory figure of the issues, measured, not asserted: each
// section starts what it needs (bench database on the PostgreSQL server of DATABASE_URL, the
// portal as its own production process, SMTP peers, load processes) and reports each figure
// beside its same-run baseline. Prints Markdown tables (for the README) and writes
// bench-results.json. BENCH_ONLY=pages,mail picks sections.
import { writeFileSync } from 'node:fs';
import { runEmbeddedBench } from './embedded.ts';
import { runImportBench } from './imports.ts';
import { runLoginsBench } from './logins.ts';
import { runMailBench } from './mail.ts';
import { runPagesBench } from './pages.ts';
import { type BenchSection, formatSection } from './report.ts';

const sections: Record<string, (log: (line: string) => void) => Promise<BenchSection>> = {
  pages: runPagesBench,
  logins: runLoginsBench,
  embedded: runEmbeddedBench,
  mail: runMailBench,
  imports: runImportBench,
};

const only = (process.env.BENCH_ONLY ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const chosen = only.length ? only : Object.keys(sections);
const unknown = chosen.filter((name) => !sections[name]);
if (unknown.length) {
  process.stderr.write(`Unbekannte Abschnitte in BENCH_ONLY: ${unknown.join(', ')} (vorhanden: ${Object.keys(sections).join(', ')})\n`);
  process.exit(2);
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const results: BenchSection[] = [];
for (const name of chosen) {
  log(`\n== ${name}`);
  const section = await sections[name]!(log);
  results.push(section);
  log(`\n${formatSection(section)}`);
}
const when = new Date().toISOString();
writeFileSync('bench-results.json', `${JSON.stringify({ when, cpus: (await import('node:os')).cpus().length, sections: results }, null, 2)}\n`);
log(`\n${results.map(formatSection).join('\n\n')}`);
log(`\nAlle Ziele erreicht: ${results.every((s) => s.rows.every((r) => r.met)) ? 'ja' : 'nein'} (bench-results.json)`);
