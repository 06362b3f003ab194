// Whether the database answers, as the queries see it. A failure that means "the database is
// not there" (refused, dropped, timed out, shutting down) turns the request into a German 503
// with Retry-After (web/errors.ts) instead of a 500 with a stack trace, and the outage is
// logged once when it starts and once when it ends, not once per request.

/** SQLSTATEs of a database that is away, restarting, overloaded or too slow, not of a bad query. */
const unavailableStates = new Set(['57P01', '57P02', '57P03', '53300', '57014', '55P03', '25P03']);
const unavailableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const unavailableMessages = [
  /timeout exceeded when trying to connect/i,
  /connection terminated/i,
  /query read timeout/i,
  /client was closed and is not queryable/i,
  /client has encountered a connection error/i,
  /cannot use a pool after calling end/i,
  /terminating connection/i,
];

export function isDatabaseUnavailable(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 3) return false;
  const e = error as { code?: unknown; message?: unknown; errors?: unknown[]; cause?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (unavailableStates.has(code) || code.startsWith('08') || unavailableCodes.has(code)) return true;
  if (typeof e.message === 'string' && unavailableMessages.some((pattern) => pattern.test(e.message as string))) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isDatabaseUnavailable(inner, depth + 1))) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}

/** One line for the log: the reason without a stack (and never a connection string). */
export function describeDatabaseError(error: unknown): string {
  const e = error as { message?: string; code?: string; errors?: unknown[] } | null;
  const message = e?.message || (e?.errors?.length ? describeDatabaseError(e.errors[0]) : '') || e?.code || String(error);
  return message.replace(/postgres(ql)?:\/\/\S+/gi, '[DATABASE_URL]').replace(/\s+/g, ' ').trim();
}

export type HealthListener = (event: { kind: 'down'; reason: string } | { kind: 'up'; downForMs: number; refused: number }) => void;

export class DatabaseHealth {
  #downSince: number | null = null;
  #refused = 0;
  readonly #listeners = new Set<HealthListener>();

  get available(): boolean {
    return this.#downSince === null;
  }

  onChange(listener: HealthListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A query failed: when the failure means the database is away, an outage starts (once). */
  noteFailure(error: unknown): void {
    if (!isDatabaseUnavailable(error)) return;
    if (this.#downSince !== null) return;
    this.#downSince = Date.now();
    this.#refused = 0;
    for (const listener of this.#listeners) listener({ kind: 'down', reason: describeDatabaseError(error) });
  }

  /** A request was answered with 503 because of the outage (counted for the line at its end). */
  noteRefused(): void {
    this.#refused += 1;
  }

  /** A query succeeded: an outage, if there was one, is over. */
  noteSuccess(): void {
    if (this.#downSince === null) return;
    const downForMs = Date.now() - this.#downSince;
    const refused = this.#refused;
    this.#downSince = null;
    for (const listener of this.#listeners) listener({ kind: 'up', downForMs, refused });
  }
}
