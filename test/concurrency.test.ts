import t from 'tap';
import { KeyedSemaphore, Semaphore } from '../src/concurrency.ts';

// The per-address bound in front of the login check (auth/login.ts) rests on these.

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
