// libuv's thread pool serves file reads (@fastify/static), DNS lookups and argon2. With its
// default four threads, a burst of logins kept every thread hashing and static files waited
// behind it (p99 of /static/app.css 255 ms instead of 5-20 ms). So: argon2 gets at most as many
// threads as there are cores (hashing.ts), and the pool gets FREE_THREADS more than that.
//
// libuv reads UV_THREADPOOL_SIZE once, when the pool gets its first piece of work: boot.ts, the
// first import of server.ts, calls sizeThreadPool() before any other module of the portal runs.
// An explicit UV_THREADPOOL_SIZE is respected.
import { readdirSync, readFileSync, stat } from 'node:fs';
import { availableParallelism, setPriority } from 'node:os';

/** Threads always left for file reads and DNS, whatever argon2 does (libuv's own default size). */
export const FREE_THREADS = 4;
/** libuv's limit (uv_threadpool.c). */
const MAX_POOL = 1024;

type Env = Record<string, string | undefined>;

/** The pool size the portal asks for: one thread per core for argon2 plus FREE_THREADS. */
export function choosePoolSize(cores = availableParallelism()): number {
  return Math.min(MAX_POOL, cores + FREE_THREADS);
}

/** The pool size libuv uses (or will use): UV_THREADPOOL_SIZE, else libuv's default of 4. */
export function readPoolSize(env: Env = process.env): number {
  const value = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(value) && value >= 1 ? Math.min(MAX_POOL, value) : 4;
}

/**
 * How many argon2 operations run at once: no more than the cores can compute, and never so many
 * that fewer than two threads stay free (with a small pool given by hand, e.g. in tests).
 */
export function chooseHashingSlots(env: Env = process.env, cores = availableParallelism()): number {
  return Math.max(1, Math.min(cores, readPoolSize(env) - 2));
}

export function sizeThreadPool(env: Env = process.env): void {
  if (!env.UV_THREADPOOL_SIZE) env.UV_THREADPOOL_SIZE = String(choosePoolSize());
}

/** The nice value of the pool's threads: below the event loop and PostgreSQL, above idle work. */
export const POOL_NICE = 10;

/**
 * On Linux each thread has its own nice value. While argon2 keeps every core busy, the event
 * loop (and PostgreSQL) would only get their fair share of the CPU, and pages and static files
 * waited tens of milliseconds; with the pool's threads at POOL_NICE the scheduler runs them
 * first and argon2 gets the rest. The pool is started here (one stat) so that its threads exist.
 * Returns how many threads were lowered (0 where /proc or per-thread priorities do not exist).
 */
export async function lowerPoolPriority(nice = POOL_NICE): Promise<number> {
  await new Promise((resolve) => stat('.', resolve));
  let lowered = 0;
  try {
    for (const id of readdirSync('/proc/self/task')) {
      if (readFileSync(`/proc/self/task/${id}/comm`, 'utf8').trim() !== 'libuv-worker') continue;
      setPriority(Number(id), nice);
      lowered++;
    }
  } catch {
    // not Linux, or not allowed: the pool keeps the process's priority
  }
  return lowered;
}
