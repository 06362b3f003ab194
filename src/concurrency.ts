/**
 * At most `limit` tasks at once; the rest wait in arrival order. Used per address in front of
 * the login check (KeyedSemaphore); argon2 has a queue of its own in front of its threads
 * (passwords/argon2-pool.ts).
 */
export class Semaphore {
  readonly limit: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`Semaphore limit must be a positive integer, got ${limit}`);
    this.limit = limit;
  }

  get active(): number {
    return this.#active;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#active++;
    try {
      return await task();
    } finally {
      // The slot passes straight to the next waiter, so a newcomer cannot jump the queue.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }
}

/** One Semaphore per key (e.g. client address), dropped again when its key is idle. */
export class KeyedSemaphore {
  readonly limit: number;
  readonly #byKey = new Map<string, Semaphore>();

  constructor(limit: number) {
    this.limit = limit;
  }

  get keys(): number {
    return this.#byKey.size;
  }

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let semaphore = this.#byKey.get(key);
    if (!semaphore) {
      semaphore = new Semaphore(this.limit);
      this.#byKey.set(key, semaphore);
    }
    try {
      return await semaphore.run(task);
    } finally {
      if (semaphore.active === 0 && semaphore.waiting === 0) this.#byKey.delete(key);
    }
  }
}
