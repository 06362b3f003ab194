import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { KeyedSemaphore, Semaphore } from '../src/concurrency.ts';
import { chooseHashingSlots, choosePoolSize, FREE_THREADS, POOL_NICE } from '../src/threadpool.ts';
import { freePort, startServer } from './helpers/server-process.ts';

// Issue 16: argon2 must not starve file reads and DNS. The pool gets one thread per core for
// argon2 plus FREE_THREADS, set before libuv starts it; argon2 waits in a semaphore of its own.

t.setTimeout(300_000);

t.test('pool size and hashing slots', async (t) => {
  t.equal(choosePoolSize(2), 2 + FREE_THREADS, 'one thread per core for argon2, plus the free ones');
  t.equal(chooseHashingSlots({ UV_THREADPOOL_SIZE: String(2 + FREE_THREADS) }, 2), 2, 'argon2 gets as many slots as cores');
  t.equal(chooseHashingSlots({ UV_THREADPOOL_SIZE: '64' }, 2), 2, 'never more than the cores, however large the pool');
  t.equal(chooseHashingSlots({}, 8), 2, "with libuv's default of 4 threads, two stay free");
  t.equal(chooseHashingSlots({ UV_THREADPOOL_SIZE: '2' }, 8), 1, 'and at least one slot, even with a tiny pool');
});

t.test('Semaphore: never more than its limit at once, in arrival order', async (t) => {
  const semaphore = new Semaphore(2);
  let running = 0;
  let most = 0;
  const order: number[] = [];
  const releases: (() => void)[] = [];
  const tasks = Array.from({ length: 6 }, (_, i) =>
    semaphore.run(async () => {
      running++;
      most = Math.max(most, running);
      order.push(i);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
      return i;
    }),
  );
  while (order.length < 6) {
    await new Promise((resolve) => setImmediate(resolve));
    releases.shift()?.();
  }
  releases.forEach((release) => release());
  t.same(await Promise.all(tasks), [0, 1, 2, 3, 4, 5]);
  t.equal(most, 2, 'at most two ran at once');
  t.same(order, [0, 1, 2, 3, 4, 5], 'started in arrival order');
  t.equal(semaphore.active, 0, 'all slots free at the end');
  await t.rejects(semaphore.run(async () => Promise.reject(new Error('kaputt'))), /kaputt/, 'a failing task passes its error on');
  t.equal(semaphore.active, 0, 'and frees its slot');
});

t.test('KeyedSemaphore: a limit per key, keys forgotten when idle', async (t) => {
  const gate = new KeyedSemaphore(1);
  const seen: string[] = [];
  let releaseA: () => void = () => {};
  const a1 = gate.run('a', () => new Promise<void>((resolve) => (releaseA = resolve)).then(() => seen.push('a1')));
  const a2 = gate.run('a', async () => seen.push('a2'));
  await gate.run('b', async () => seen.push('b'));
  t.same(seen, ['b'], 'another key is not held up; the second of key a waits');
  releaseA();
  await Promise.all([a1, a2]);
  t.same(seen, ['b', 'a1', 'a2']);
  t.equal(gate.keys, 0, 'no key is kept once idle');
});

function poolThreads(pid: number): { count: number; nice: number[] } {
  const nice: number[] = [];
  for (const id of readdirSync(`/proc/${pid}/task`)) {
    if (readFileSync(`/proc/${pid}/task/${id}/comm`, 'utf8').trim() !== 'libuv-worker') continue;
    // Field 19 of /proc/<pid>/task/<tid>/stat is the nice value; the name before it may hold spaces.
    nice.push(Number(readFileSync(`/proc/${pid}/task/${id}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]));
  }
  return { count: nice.length, nice };
}

t.test('node src/server.ts really runs with the sized pool, its threads below the event loop', { skip: process.platform === 'linux' ? false : 'reads /proc (Linux only)' }, async (t) => {
  for (const [label, extra, expected] of [
    ['by default', {}, choosePoolSize(availableParallelism())],
    ['with UV_THREADPOOL_SIZE given', { UV_THREADPOOL_SIZE: '5' }, 5],
  ] as const) {
    const dataDir = mkdtempSync(join(tmpdir(), 'agileas-pool-'));
    t.teardown(() => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const server = startServer(t, { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', BASE_URL: `http://127.0.0.1:${port}`, ...extra });
    await server.waitForOutput(/AgileAS Reseller-Portal läuft/);
    const threads = poolThreads(server.child.pid!);
    t.equal(threads.count, expected, `${label}: ${expected} pool threads`);
    t.same(threads.nice, Array(expected).fill(POOL_NICE), `${label}: every pool thread at nice ${POOL_NICE}`);
    server.child.kill('SIGTERM');
    await server.exited;
  }
});
