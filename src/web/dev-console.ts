import { Writable } from 'node:stream';

// `npm start` in development: a person reads the console. The setup link and every mail's link
// stand out in a frame; log lines are one short readable line each instead of JSON, and the two
// lines Fastify writes per request become one compact line, shown only at LOG_LEVEL=debug (or
// trace). Production keeps pino's JSON lines untouched (server.ts uses this only without
// NODE_ENV=production).

const levelNames: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'FEHLER', 60: 'FATAL' };
const shownElsewhere = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'reqId', 'req', 'res', 'responseTime']);

interface Colours {
  bold(text: string): string;
  dim(text: string): string;
}

export function coloursFor(tty: boolean): Colours {
  // Escape codes only on a terminal: piped output (tests, log files) stays plain text.
  return tty ? { bold: (t) => `\u001b[1m${t}\u001b[22m`, dim: (t) => `\u001b[2m${t}\u001b[22m` } : { bold: (t) => t, dim: (t) => t };
}

/** A framed block for what a person must find again: the setup link, a mail and its link. */
export function frame(lines: string[], colours: Colours = coloursFor(false)): string {
  const rule = '─'.repeat(72);
  // Every URL on a line of its own, with nothing after it, so that it can be copied (or clicked) whole.
  const body = lines.map((line) => (/^\s*https?:\/\//.test(line) || /^\s*Link: /.test(line) ? colours.bold(`  ${line.trim()}`) : `  ${line.trim()}`));
  return ['', colours.dim(rule), ...body, colours.dim(rule), ''].join('\n');
}

function formatTime(epochMs: unknown): string {
  const date = new Date(typeof epochMs === 'number' ? epochMs : Date.now());
  return date.toTimeString().slice(0, 8);
}

/** One pino JSON line as a person reads it, or null when it is not shown. */
export function formatLogLine(line: string, showRequests: boolean, requests: Map<unknown, string> = new Map()): string | null {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const level = levelNames[Number(entry.level)] ?? String(entry.level);
  const time = formatTime(entry.time);
  // Fastify writes two lines per request: the method and (redacted) URL on the first, status
  // and time on the second. The first is remembered by request id, the second prints both.
  if (entry.msg === 'incoming request') {
    const req = (entry.req ?? {}) as { method?: string; url?: string };
    if (showRequests) {
      if (requests.size >= 1000) requests.clear();
      requests.set(entry.reqId, `${req.method ?? ''} ${req.url ?? ''}`);
    }
    return null;
  }
  if (entry.msg === 'request completed') {
    if (!showRequests) return null;
    const started = requests.get(entry.reqId) ?? '';
    requests.delete(entry.reqId);
    const res = (entry.res ?? {}) as { statusCode?: number };
    const ms = typeof entry.responseTime === 'number' ? `${Math.round(entry.responseTime)} ms` : '';
    return `${time} ${started} → ${res.statusCode ?? ''} ${ms}`.trimEnd();
  }
  const details = Object.entries(entry)
    .filter(([key]) => !shownElsewhere.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return [time, level, String(entry.msg ?? ''), ...details].join(' ').trimEnd();
}

/**
 * The stream pino writes to in development: each JSON line reformatted; the request logs
 * (with their URLs already redacted by the serializer) only when `showRequests`.
 */
export function createDevelopmentLogStream(out: NodeJS.WritableStream, showRequests: boolean): Writable {
  let pending = '';
  const requests = new Map<unknown, string>();
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        const shown = formatLogLine(line, showRequests, requests);
        if (shown !== null) out.write(`${shown}\n`);
      }
      done();
    },
  });
}
