// Baseline of the login rows: raw argon2 verify of one hash with the portal's parameters
// (hashing.ts) at the same concurrency as the login load, in a process of its own: the same
// library (@node-rs/argon2), its async verify on Node's default thread pool; logins.ts runs it at
// the nice value of the portal's argon2 threads.
// Arguments: one JSON string { concurrency, seconds }. Prints JSON.
import { hash, verify } from '@node-rs/argon2';
import { hashOptions } from '../../src/passwords/hashing.ts';

const { concurrency, seconds } = JSON.parse(process.argv[2] ?? '{}') as { concurrency: number; seconds: number };
const password = 'Benchmark im Hafen 2026';
const hashed = await hash(password, hashOptions);
const deadline = performance.now() + seconds * 1000;
let done = 0;
const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, async () => {
  while (performance.now() < deadline) {
    if (!(await verify(hashed, password))) throw new Error('verify failed');
    done++;
  }
}));
process.stdout.write(JSON.stringify({ verifies: done, perSecond: Number((done / ((performance.now() - started) / 1000)).toFixed(1)) }));
