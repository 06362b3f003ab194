// The helper processes of the benchmark sections: the load generator (load.ts), the bare
// Fastify + Eta baseline (bare.ts), raw argon2 (argon2-alone.ts), PGlite alone (pglite-alone.ts).
// Each runs as its own process so that it neither shares the portal's event loop nor its memory.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  throughput: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  byPath: Record<string, { count: number; p99: number }>;
}

export async function runLoad(job: Record<string, unknown>): Promise<LoadResult> {
  const { stdout } = await run(process.execPath, ['scripts/bench/load.ts', JSON.stringify(job)], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as LoadResult;
}

/** Runs a script to its end and parses its JSON output; `nice` runs the whole process at that nice value (coreutils nice). */
export async function runScript<T>(script: string, args: string[], options: { nice?: number } = {}): Promise<T> {
  const { stdout } = options.nice
    ? await run('nice', ['-n', String(options.nice), process.execPath, script, ...args], { maxBuffer: 1 << 20 })
    : await run(process.execPath, [script, ...args], { maxBuffer: 1 << 20 });
  return JSON.parse(stdout) as T;
}

/** Spawns a script and resolves, with the milliseconds it took, when it prints "bereit". */
export async function startUntilReady(script: string, args: string[], nodeArgs: string[] = []): Promise<{ child: ChildProcess; ms: number }> {
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('bereit')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`${script} ended with ${code} before it was ready: ${output}`)));
  });
  return { child, ms: performance.now() - started };
}

export async function startBare(databaseUrl: string, port: number): Promise<{ baseUrl: string; stop(): Promise<void> }> {
  const { child } = await startUntilReady('scripts/bench/bare.ts', [JSON.stringify({ databaseUrl, port })]);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
