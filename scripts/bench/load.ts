// Load generator for the benchmark, run as its own process so that it does not share the
// portal's event loop. Three modes:
//   open   — a steady rate (requests/s) regardless of answers, latency measured per request
//   closed — N concurrent clients, each sending its next request when the last one answered
//   login  — N concurrent clients posting the real login form, each time for another account
//            (`${loginPrefix}${n}`, n counting up from 1), all from this one address; 303 is
//            a success
// Arguments come as one JSON string; the result is printed as JSON on stdout.
import http from 'node:http';

interface Job {
  mode: 'open' | 'closed' | 'login';
  baseUrl: string;
  paths: string[];
  cookies: string[];
  rate?: number;
  concurrency?: number;
  seconds: number;
  loginPrefix?: string;
  loginCount?: number;
  password?: string;
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const latencies: number[] = [];
const byPath = new Map<string, number[]>();
let errors = 0;
let sent = 0;

function record(path: string, ms: number): void {
  latencies.push(ms);
  let list = byPath.get(path);
  if (!list) byPath.set(path, (list = []));
  list.push(ms);
}

function request(i: number): Promise<void> {
  const path = job.paths[i % job.paths.length]!;
  const cookie = job.cookies.length ? job.cookies[i % job.cookies.length]! : '';
  const started = performance.now();
  sent++;
  return new Promise((resolve) => {
    const req = http.get(`${job.baseUrl}${path}`, { agent, headers: cookie ? { cookie } : {} }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode !== 200) errors++;
        record(path, performance.now() - started);
        resolve();
      });
    });
    req.on('error', () => {
      errors++;
      resolve();
    });
  });
}

function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; setCookie: string[]; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${job.baseUrl}${path}`, { method, agent, headers: { ...headers, ...(body ? { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, setCookie: ([] as string[]).concat(res.headers['set-cookie'] ?? []), text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function runLogins(): Promise<void> {
  const deadline = performance.now() + job.seconds * 1000;
  let next = 0;
  await Promise.all(
    Array.from({ length: job.concurrency! }, async () => {
      // Like a browser: the form once (CSRF cookie and token), then the posts.
      const form = await send('GET', '/anmelden', {});
      const cookie = form.setCookie.map((c) => c.split(';')[0]).join('; ');
      const token = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1] ?? '';
      while (performance.now() < deadline) {
        const n = (next++ % job.loginCount!) + 1;
        const body = new URLSearchParams({ _csrf: token, login: `${job.loginPrefix}${n}`, password: job.password! }).toString();
        const started = performance.now();
        sent++;
        try {
          const answer = await send('POST', '/anmelden', { cookie, origin: job.baseUrl }, body);
          if (answer.status !== 303) errors++;
        } catch {
          errors++;
        }
        record('/anmelden', performance.now() - started);
      }
    }),
  );
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
await (job.mode === 'open' ? runOpen() : job.mode === 'login' ? runLogins() : runClosed());
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
    byPath: Object.fromEntries([...byPath].map(([path, list]) => [path, { count: list.length, p99: Number(percentile(list.sort((a, b) => a - b), 99).toFixed(2)) }])),
  }),
);
agent.destroy();
