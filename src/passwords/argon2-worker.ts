// One argon2 thread of the pool (argon2-pool.ts). It hashes synchronously on its own thread, so
// the thread's nice value applies to exactly this work: lowered first, then tasks as they come.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { hashSync, verifySync } from '@node-rs/argon2';

export interface HashTask {
  id: number;
  kind: 'hash' | 'verify';
  password: string;
  hash?: string;
  options?: { algorithm: number; memoryCost: number; timeCost: number; parallelism: number };
}

export type TaskAnswer = { id: number; value: string | boolean } | { id: number; error: string };

/** This thread's id from /proc (a synchronous read runs on the calling thread), or null off Linux. */
function readOwnThreadId(): number | null {
  try {
    return Number(readlinkSync('/proc/thread-self').split('/').at(-1));
  } catch {
    return null;
  }
}

const threadId = readOwnThreadId();
const nice = (workerData as { nice: number }).nice;
let lowered = false;
if (threadId !== null && nice !== 0) {
  try {
    setPriority(threadId, nice);
    lowered = true;
  } catch {
    // not allowed here: the thread keeps the process's priority and still works
  }
}
parentPort!.postMessage({ ready: true, threadId, lowered });

parentPort!.on('message', (task: HashTask) => {
  let answer: TaskAnswer;
  try {
    answer = { id: task.id, value: task.kind === 'hash' ? hashSync(task.password, task.options) : verifySync(task.hash!, task.password) };
  } catch (error) {
    answer = { id: task.id, error: (error as Error).message };
  }
  parentPort!.postMessage(answer);
});
