// argon2 on threads of its own (issue 16). On libuv's pool it shared the four threads that file
// reads (@fastify/static) and DNS need: a burst of logins held static files for 250 ms. Here:
// * one worker thread per core: argon2 is pure CPU work, more at once only makes each slower;
// * in the server, every thread at nice ARGON2_NICE (start.ts), so the event loop and PostgreSQL
//   get the cores first and argon2 what is left (Linux gives each thread its own nice value).
//   Elsewhere (tests, CLI) the threads keep the process's priority: on a machine busy with other
//   work at nice 0, a nice-10 thread gets a tenth of a core's share and a test of 300 logins
//   ran into its timeout;
// * further tasks wait in order in a queue here (the semaphore of before, in one place);
// * threads end after IDLE_MS without work: each keeps ~19 MiB of argon2 memory in its
//   allocator, which an idle portal should not hold; the next login starts them again (~30 ms).
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { HashTask, TaskAnswer } from './argon2-worker.ts';

export const ARGON2_NICE = 10;
export const IDLE_MS = 30_000;

type Job = Omit<HashTask, 'id'>;

interface Pending {
  task: HashTask;
  resolve: (value: string | boolean) => void;
  reject: (error: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: Pending | null;
  threadId: number | null;
  lowered: boolean;
}

export interface Argon2PoolOptions {
  threads?: number;
  nice?: number;
  idleMs?: number;
}

export class Argon2Pool {
  readonly threads: number;
  #nice: number;
  readonly idleMs: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  #nextId = 1;
  #idleTimer: NodeJS.Timeout | null = null;

  constructor(options: Argon2PoolOptions = {}) {
    this.threads = options.threads ?? availableParallelism();
    this.#nice = options.nice ?? 0;
    this.idleMs = options.idleMs ?? IDLE_MS;
  }

  get nice(): number {
    return this.#nice;
  }

  /** The nice value of threads started from now on (the idle ones end soon anyway). */
  setNice(nice: number): void {
    this.#nice = nice;
  }

  /** Running worker threads (0 when idle long enough). */
  get running(): number {
    return this.#slots.length;
  }

  /** Tasks waiting for a free thread. */
  get waiting(): number {
    return this.#queue.length;
  }

  /** The OS thread ids of the running workers and whether each could lower its priority. */
  get threadIds(): { threadId: number | null; lowered: boolean }[] {
    return this.#slots.map(({ threadId, lowered }) => ({ threadId, lowered }));
  }

  run(job: Job): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ task: { ...job, id: this.#nextId++ }, resolve, reject });
      this.#dispatch();
    });
  }

  /** Ends every thread now; queued tasks are refused. The pool starts threads again on demand. */
  async close(): Promise<void> {
    this.#clearIdleTimer();
    for (const pending of this.#queue.splice(0)) pending.reject(new Error('argon2 pool closed'));
    const slots = this.#slots.splice(0);
    for (const slot of slots) slot.busy?.reject(new Error('argon2 pool closed while hashing'));
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  #dispatch(): void {
    this.#clearIdleTimer();
    while (this.#queue.length) {
      let slot = this.#slots.find((s) => !s.busy);
      if (!slot) {
        if (this.#slots.length >= this.threads) return;
        slot = this.#startWorker();
      }
      const pending = this.#queue.shift()!;
      slot.busy = pending;
      // A thread at work keeps the process alive (a CLI awaiting a hash); an idle one does not.
      slot.worker.ref();
      slot.worker.postMessage(pending.task);
    }
    if (this.#slots.every((s) => !s.busy) && this.#slots.length) {
      this.#idleTimer = setTimeout(() => void this.close(), this.idleMs);
      // An idle pool must not keep the process alive.
      this.#idleTimer.unref();
    }
  }

  #clearIdleTimer(): void {
    if (this.#idleTimer) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }

  #startWorker(): Slot {
    const worker = new Worker(new URL('./argon2-worker.ts', import.meta.url), { workerData: { nice: this.#nice } });
    const slot: Slot = { worker, busy: null, threadId: null, lowered: false };
    worker.on('message', (message: TaskAnswer | { ready: true; threadId: number | null; lowered: boolean }) => {
      if ('ready' in message) {
        slot.threadId = message.threadId;
        slot.lowered = message.lowered;
        return;
      }
      const pending = slot.busy;
      slot.busy = null;
      worker.unref();
      if (pending) {
        if ('error' in message) pending.reject(new Error(message.error));
        else pending.resolve(message.value);
      }
      this.#dispatch();
    });
    // A thread that dies takes only its own task with it; the next task starts a new one.
    const drop = (error: Error) => {
      const index = this.#slots.indexOf(slot);
      if (index === -1) return;
      this.#slots.splice(index, 1);
      slot.busy?.reject(error);
      slot.busy = null;
      this.#dispatch();
    };
    worker.on('error', drop);
    worker.on('exit', (code) => drop(new Error(`argon2 thread ended (${code})`)));
    this.#slots.push(slot);
    return slot;
  }
}
