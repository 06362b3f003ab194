import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';
import { Semaphore } from '../concurrency.ts';
import { chooseHashingSlots } from '../threadpool.ts';

// OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane). argon2 runs on libuv's thread
// pool, so hashing never blocks the event loop.
export const hashOptions = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

// argon2 is pure CPU work: more hashes at once than cores only makes each slower, and every one
// holds a thread of libuv's pool that file reads and DNS need too (threadpool.ts sizes the pool
// so that FREE_THREADS stay free). The rest wait here, in order, not in libuv's queue.
export const hashingSlots = new Semaphore(chooseHashingSlots());

export function hashPassword(password: string): Promise<string> {
  return hashingSlots.run(() => argon2.hash(password, hashOptions));
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await hashingSlots.run(() => argon2.verify(hash, password));
  } catch {
    return false;
  }
}

export function needsRehash(hash: string): boolean {
  return argon2.needsRehash(hash, hashOptions);
}

// A real hash of a random string: an unknown login still costs one verification, so the
// response time does not tell which logins exist.
let dummyHash: Promise<string> | null = null;
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(24).toString('base64'));
  await verifyPassword(await dummyHash, password);
  return false;
}
