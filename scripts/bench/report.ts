// What every benchmark section reports: each figure beside its same-run baseline, the ratio and
// the target, so a reader sees at once what was met. run.ts prints the sections as Markdown
// (for the README) and writes them as JSON (bench-results.json).
import { readFileSync } from 'node:fs';

export interface BenchRow {
  /** What was measured, in words ("Mails pro Sekunde, 10.000 Links"). */
  figure: string;
  /** The measured value with its unit ("412 /s", "1.8 s", "212 MB"). */
  value: string;
  /** The same-run baseline with its unit, or "—" where the issue names none. */
  baseline: string;
  /** value ÷ baseline (or as the target defines it), null where there is no baseline. */
  ratio: number | null;
  /** The target in words ("≥ 200 /s und ≥ 0,5 × Baseline"). */
  target: string;
  met: boolean;
}

export interface BenchSection {
  title: string;
  rows: BenchRow[];
  /** Short lines under the table: what limits a figure, how it was measured. */
  notes?: string[];
}

export function formatSection(section: BenchSection): string {
  const lines = [`### ${section.title}`, '', '| Messgröße | Wert | Baseline (gleicher Lauf) | Verhältnis | Ziel | erreicht |', '| --- | --- | --- | --- | --- | --- |'];
  for (const row of section.rows) {
    lines.push(`| ${row.figure} | ${row.value} | ${row.baseline} | ${row.ratio === null ? '—' : row.ratio.toFixed(2)} | ${row.target} | ${row.met ? 'ja' : '**nein**'} |`);
  }
  for (const note of section.notes ?? []) lines.push('', note);
  return lines.join('\n');
}

/** Peak resident set size (VmHWM) of a process in MB, read from /proc while it still runs. */
export function readPeakRssMb(pid: number): number {
  return readStatusKb(pid, 'VmHWM') / 1024;
}

/** Current resident set size (VmRSS) of a process in MB. */
export function readRssMb(pid: number): number {
  return readStatusKb(pid, 'VmRSS') / 1024;
}

function readStatusKb(pid: number, field: string): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`${field} not found for process ${pid}`);
  return Number(match[1]);
}

export const round = (value: number, digits = 1): number => Number(value.toFixed(digits));
