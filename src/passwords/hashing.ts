import { randomBytes } from 'node:crypto';
import type { Algorithm } from '@node-rs/argon2';
import { Argon2Pool } from './argon2-pool.ts';

// OWASP's argon2id recommendation (19 MiB, 2 passes, 1 lane), as PHC strings
// ($argon2id$v=19$m=19456,t=2,p=1$…): hashes written by the earlier `argon2` package verify
// unchanged (it only wrote the parameters in another order).
// Algorithm is a const enum (no value under type stripping): 2 is its Argon2id.
export const hashOptions = { algorithm: 2 as Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

// argon2 runs on worker threads of its own, one per core, below the event loop's priority, and
// tasks beyond that wait in the pool's queue (argon2-pool.ts): logins never starve file reads,
// pages or PostgreSQL.
export const argon2Pool = new Argon2Pool();

export async function hashPassword(password: string): Promise<string> {
  return (await argon2Pool.run({ kind: 'hash', password, options: hashOptions })) as string;
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return (await argon2Pool.run({ kind: 'verify', hash, password })) === true;
  } catch {
    // A damaged or foreign hash is a wrong password, never an error page.
    return false;
  }
}

/** True when a stored hash is not argon2id (v=19) with exactly the current parameters. */
export function needsRehash(hash: string): boolean {
  const match = /^\$argon2id\$v=19\$([a-z]=\d+(?:,[a-z]=\d+)*)\$/.exec(hash);
  if (!match) return true;
  const params = Object.fromEntries(match[1]!.split(',').map((pair) => pair.split('=') as [string, string]));
  return Number(params.m) !== hashOptions.memoryCost || Number(params.t) !== hashOptions.timeCost || Number(params.p) !== hashOptions.parallelism;
}

// A real hash of a random string: an unknown login still costs one verification, so the
// response time does not tell which logins exist.
let dummyHash: Promise<string> | null = null;
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword(randomBytes(24).toString('base64'));
  await verifyPassword(await dummyHash, password);
  return false;
}
