import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  to: string[];
  subject: string;
  text: string;
  html: string;
  raw: string;
  /** Date.now() when the peer accepted the mail (counting per second). */
  acceptedAt?: number;
}

/** A real SMTP server on a free local port; tests read what arrived and can make it refuse. */
export interface SmtpPeer {
  url: string;
  received: ReceivedMail[];
  /** The next `count` messages are answered with this SMTP code (e.g. 451 or 550). */
  refuseNext(code: number, count: number): void;
  /** Every RCPT TO for this address is answered with this code (e.g. 550). */
  refuseRecipient(address: string, code: number): void;
  /** A RCPT TO for this address gets no answer at all (until close): a stalled conversation. */
  stallRecipient(address: string): void;
  /** The most SMTP connections that were open at the same time. */
  maxOpenConnections(): number;
  /** Resolves with the first received mail matching, waiting up to timeoutMs. */
  waitForMail(match: (mail: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export async function startSmtpPeer(): Promise<SmtpPeer> {
  const received: ReceivedMail[] = [];
  let refusals: { code: number; count: number } = { code: 0, count: 0 };
  const refusedRecipients = new Map<string, number>();
  const stalledRecipients = new Set<string>();
  const stalled: (() => void)[] = [];
  let open = 0;
  let maxOpen = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onConnect(_session, callback) {
      open += 1;
      maxOpen = Math.max(maxOpen, open);
      callback();
    },
    onClose() {
      open -= 1;
    },
    onRcptTo(address, _session, callback) {
      const code = refusedRecipients.get(address.address);
      if (code) {
        callback(Object.assign(new Error(code >= 500 ? 'Mailbox unavailable' : 'Try again later'), { responseCode: code }));
        return;
      }
      if (stalledRecipients.has(address.address)) {
        stalled.push(() => callback(Object.assign(new Error('Shutting down'), { responseCode: 421 })));
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (refusals.count > 0) {
          refusals.count -= 1;
          const error = Object.assign(new Error(refusals.code >= 500 ? 'Mailbox unavailable' : 'Try again later'), { responseCode: refusals.code });
          callback(error);
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        simpleParser(raw).then((parsed: ParsedMail) => {
          received.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            raw,
            acceptedAt: Date.now(),
          });
          callback();
        }, callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as { port: number };
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    refuseNext(code, count) {
      refusals = { code, count };
    },
    refuseRecipient(address, code) {
      refusedRecipients.set(address, code);
    },
    stallRecipient(address) {
      stalledRecipients.add(address);
    },
    maxOpenConnections: () => maxOpen,
    async waitForMail(match, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = received.find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no matching mail within ${timeoutMs} ms (received: ${received.map((m) => `${m.to.join(',')}: ${m.subject}`).join(' | ') || 'none'})`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => {
      for (const release of stalled.splice(0)) release();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const linkPattern = /https?:\/\/[^\s"<>]+\/passwort-link\/([A-Za-z0-9_-]{43})/;

/** The set-password link in a mail, as path and token. */
export function linkFromMail(mail: ReceivedMail): { url: string; path: string; token: string } {
  const match = linkPattern.exec(mail.text);
  if (!match) throw new Error(`no link in mail "${mail.subject}"`);
  const url = new URL(match[0]);
  return { url: match[0], path: url.pathname, token: match[1]! };
}
