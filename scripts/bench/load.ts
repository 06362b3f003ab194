// Load generator for the benchmark, run as its own process so that it does not share the
// portal's event loop. Two modes:
//   open   — a steady rate (requests/s) regardless of answers, latency measured per request
//   closed — N concurrent clients, each sending its next request when the last one answered
// Arguments come as one JSON string; the result is printed as JSON on stdout.
import http from 'node:http';

interface Job {
  mode: 'open' | 'closed';
  baseUrl: string;
  paths: string[];
  cookies: string[];
  rate?: number;
  concurrency?: number;
  seconds: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const latencies: number[] = [];
let errors = 0;
let sent = 0;

function request(i: number): Promise<void> {
  const path = job.paths[i % job.paths.length]!;
  const cookie = job.cookies[i % job.cookies.length]!;
  const started = performance.now();
  sent++;
  return new Promise((resolve) => {
    const req = http.get(`${job.baseUrl}${path}`, { agent, headers: { cookie } }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) errors++;
        latencies.push(performance.now() - started);
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      resolve();
    });
  });
}

async function runOpen(): Promise<void> {
  const interval = 1000 / job.rate!;
  const total = Math.round(job.rate! * job.seconds);
  const start = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(request(i));
  }
  await Promise.all(pending);
}

async function runClosed(): Promise<void> {
  const deadline = performance.now() + job.seconds * 1000;
  let counter = 0;
  await Promise.all(
    Array.from({ length: job.concurrency! }, async () => {
      while (performance.now() < deadline) await request(counter++);
    }),
  );
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const started = performance.now();
await (job.mode === 'open' ? runOpen() : runClosed());
const elapsed = (performance.now() - started) / 1000;
const sorted = latencies.sort((a, b) => a - b);
process.stdout.write(
  JSON.stringify({
    requests: sent,
    errors,
    seconds: Number(elapsed.toFixed(2)),
    throughput: Number((latencies.length / elapsed).toFixed(1)),
    p50: Number(percentile(sorted, 50).toFixed(2)),
    p90: Number(percentile(sorted, 90).toFixed(2)),
    p99: Number(percentile(sorted, 99).toFixed(2)),
    max: Number((sorted.at(-1) ?? NaN).toFixed(2)),
  }),
);
agent.destroy();
