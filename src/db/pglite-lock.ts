import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { text } from '../i18n/de.ts';

// Two processes on one PGlite data directory can corrupt it (each is a whole Postgres backend
// that believes it is alone). So the directory is locked before it is even opened: a file
// beside it, created exclusively, holding the owner's pid. A lock whose process has died
// (SIGKILL, power loss) is stale and taken over; a living owner makes the start refuse.

export class DataDirLockedError extends Error {
  readonly pid: number;
  readonly dir: string;
  constructor(dir: string, pid: number) {
    super(text.startup.dataDirLocked(dir, pid));
    this.dir = dir;
    this.pid = pid;
  }
}

export interface DataDirLock {
  release(): void;
}

export function lockFileFor(dir: string): string {
  return `${dir.replace(/[\\/]+$/, '')}.lock`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else; only ESRCH means it is gone.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isRecent(file: string): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs < 5000;
  } catch {
    return false;
  }
}

function readOwner(file: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Takes the lock for `dir` or throws DataDirLockedError naming the living owner. */
export function lockDataDir(dir: string): DataDirLock {
  const file = lockFileFor(dir);
  mkdirSync(dirname(file), { recursive: true });
  for (let attempt = 0; attempt < 40; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      const release = () => {
        process.off('exit', release);
        // Only our own lock is removed (a later owner's stays).
        if (readOwner(file) === process.pid) {
          try {
            unlinkSync(file);
          } catch {
            // already gone
          }
        }
      };
      process.on('exit', release);
      return { release };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(file);
    if (owner !== null && owner !== process.pid && isAlive(owner)) throw new DataDirLockedError(dir, owner);
    if (owner === null && isRecent(file)) {
      // Another starter has just created it and is writing its pid: look again in a moment.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
      continue;
    }
    // Stale (dead owner) or never written (an owner that died between create and write): removed
    // only if it still says what we just read, so a lock another starter took meanwhile stays.
    if (readOwner(file) === owner) {
      try {
        unlinkSync(file);
      } catch {
        // another starter removed it first
      }
    }
  }
  throw new DataDirLockedError(dir, readOwner(file) ?? 0);
}
