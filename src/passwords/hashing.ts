import { randomBytes } from 'node:crypto';
import argon2 from 'argon2';

// OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane). argon2 runs on libuv's thread
// pool, so hashing never blocks the event loop.
export const hashOptions = { type: argon2.argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, hashOptions);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
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
