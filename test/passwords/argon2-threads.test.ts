import { readFileSync } from 'node:fs';
import * as argon2 from '@node-rs/argon2';
import t from 'tap';
import { ARGON2_NICE, Argon2Pool } from '../../src/passwords/argon2-pool.ts';
import { hashOptions, hashPassword, needsRehash, verifyPassword } from '../../src/passwords/hashing.ts';

// Issue 16: argon2 must not starve file reads, pages and PostgreSQL. It runs on worker threads of
// its own, one per core at most, each below the event loop's priority; more tasks wait in order;
// idle threads end. The hashes stay argon2id with m=19456, t=2, p=1, and old ones still verify.

/** The nice value of one thread of this process (field 19 of its stat; the name before it may hold spaces). */
function niceOf(threadId: number): number {
  return Number(readFileSync(`/proc/self/task/${threadId}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
}

t.test('a hash written by the earlier argon2 package (parameters in another order) still verifies', async (t) => {
  // Made with node-argon2 0.45: argon2.hash('Alter Hash vom Umzug', { type: argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 }).
  const old = '$argon2id$v=19$m=19456,p=1,t=2$cUrUsD3TTa8sjLiWcpEtpg$MLFVwMbxWmMUQvUdrgt5dXyLSy4mz6En/oAtAbmpR5w';
  t.equal(await verifyPassword(old, 'x'), true, 'the right password');
  t.equal(await verifyPassword(old, 'y'), false, 'a wrong one');
  t.equal(needsRehash(old), false, 'same parameters: no re-hash');
});

t.test('new hashes: argon2id, v=19, m=19456, t=2, p=1, verifiable by the library itself', async (t) => {
  const hash = await hashPassword('Grüße aus Köln 🚲');
  t.match(hash, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22,}\$[A-Za-z0-9+/]{43}$/);
  t.equal(await argon2.verify(hash, 'Grüße aus Köln 🚲'), true);
  t.equal(needsRehash(hash), false);
  t.equal(needsRehash(await argon2.hash('x', { ...hashOptions, timeCost: 1 })), true, 'fewer passes: re-hash');
  t.equal(needsRehash(await argon2.hash('x', { ...hashOptions, algorithm: 0 as typeof hashOptions.algorithm })), true, 'argon2d: re-hash');
  t.equal(needsRehash('$2b$10$abcdefghijklmnopqrstuv'), true, 'not argon2 at all: re-hash');
  t.equal(await verifyPassword('kein Hash', 'x'), false, 'a damaged hash is a wrong password, not an error');
});

t.test('never more threads than asked, extra tasks wait in order, threads below the event loop', { skip: process.platform === 'linux' ? false : 'reads /proc (Linux only)' }, async (t) => {
  const pool = new Argon2Pool({ threads: 2, idleMs: 60_000, nice: ARGON2_NICE });
  t.teardown(() => pool.close());
  const hash = await argon2.hash('richtig', hashOptions);
  const finished: number[] = [];
  const tasks = Array.from({ length: 6 }, (_, i) =>
    pool.run({ kind: 'verify', hash, password: i % 2 ? 'richtig' : 'falsch' }).then((value) => {
      finished.push(i);
      return value;
    }),
  );
  t.equal(pool.running, 2, 'two threads for six tasks');
  t.equal(pool.waiting, 4, 'four wait in the queue');
  t.same(await Promise.all(tasks), [false, true, false, true, false, true], 'each answer belongs to its task');
  t.equal(pool.waiting, 0);
  const threads = pool.threadIds;
  t.equal(threads.length, 2);
  for (const { threadId, lowered } of threads) {
    t.ok(lowered, `thread ${threadId} lowered its priority`);
    t.equal(niceOf(threadId!), ARGON2_NICE, `thread ${threadId} runs at nice ${ARGON2_NICE}`);
  }
  t.equal(niceOf(Number(readFileSync('/proc/self/stat', 'utf8').split(' ')[0])), 0, 'the event loop keeps nice 0');
});

t.test('outside the server the threads keep the process priority', { skip: process.platform === 'linux' ? false : 'reads /proc (Linux only)' }, async (t) => {
  const pool = new Argon2Pool({ threads: 1 });
  t.teardown(() => pool.close());
  await pool.run({ kind: 'hash', password: 'Test', options: hashOptions });
  const [thread] = pool.threadIds;
  t.equal(thread?.lowered, false, 'not lowered');
  t.equal(niceOf(thread!.threadId!), 0, 'nice 0 like the event loop');
  pool.setNice(ARGON2_NICE);
  t.equal(pool.nice, ARGON2_NICE, 'the server lowers threads started after setNice (start.ts)');
});

t.test('idle threads end, and the next task starts them again', async (t) => {
  const pool = new Argon2Pool({ threads: 2, idleMs: 50 });
  t.teardown(() => pool.close());
  const hash = await pool.run({ kind: 'hash', password: 'Büro', options: hashOptions });
  t.equal(pool.running, 1, 'one thread for one task');
  while (pool.running > 0) await new Promise((resolve) => setTimeout(resolve, 20));
  t.pass('the idle thread ended');
  t.equal(await pool.run({ kind: 'verify', hash: hash as string, password: 'Büro' }), true, 'a new thread answers the next task');
});

t.test('closing fails the running and the queued tasks; the pool starts again on demand', async (t) => {
  const pool = new Argon2Pool({ threads: 1, idleMs: 60_000 });
  t.teardown(() => pool.close());
  const hash = await pool.run({ kind: 'hash', password: 'Hafen', options: hashOptions });
  const doomed = t.rejects(pool.run({ kind: 'verify', hash: hash as string, password: 'Hafen' }), /closed while hashing/, 'the running task is refused');
  const next = t.rejects(pool.run({ kind: 'verify', hash: hash as string, password: 'Hafen' }), /pool closed/, 'and so is the queued one');
  await pool.close();
  await Promise.all([doomed, next]);
  t.equal(await pool.run({ kind: 'verify', hash: hash as string, password: 'Hafen' }), true, 'afterwards the pool works again');
});
