import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import nodemailer, { type TransportOptions } from 'nodemailer';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Only for the development transport: the link to print on the console. */
  devLink?: string;
}

export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

export interface SmtpPoolSettings {
  /** SMTP_MAX_CONNECTIONS: conversations held open at once, so mails in flight at once. */
  maxConnections: number;
  /** SMTP_TIMEOUT_SECONDS: how long the server may keep us waiting at any step of one mail. */
  timeoutSeconds: number;
}

/**
 * SMTP when SMTP_URL is set: a pool of connections, each reused for many mails. A stalled
 * conversation holds one connection until the timeout; the others carry on with the rest.
 */
export function createSmtpTransport(smtpUrl: string, from: string, pool: SmtpPoolSettings = { maxConnections: 5, timeoutSeconds: 30 }): MailTransport {
  const timeout = pool.timeoutSeconds * 1000;
  const transporter = nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: pool.maxConnections,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  } as TransportOptions);
  return {
    async send(mail) {
      await transporter.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
    },
    close: () => transporter.close(),
  };
}

/**
 * Without SMTP_URL (development): each mail becomes an .eml file under DATA_DIR/mail, and the
 * link is printed so that a new user can follow it without a mail server.
 */
export function createFileTransport(folder: string, from: string, printLine: (line: string) => void): MailTransport {
  const transporter = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(mail) {
      const info = await transporter.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
      mkdirSync(folder, { recursive: true });
      const file = join(folder, `${new Date().toISOString().replace(/[:.]/g, '-')}-${info.messageId.replace(/[^A-Za-z0-9]/g, '').slice(0, 16)}.eml`);
      writeFileSync(file, info.message as Buffer);
      printLine(`Mail an ${mail.to} („${mail.subject}“) gespeichert: ${file}${mail.devLink ? `\n  Link: ${mail.devLink}` : ''}`);
    },
    close: () => transporter.close(),
  };
}

/** SMTP 5xx answers are final (unknown mailbox, policy); everything else may pass with time. */
export function isPermanentMailError(error: unknown): boolean {
  const code = (error as { responseCode?: unknown } | null)?.responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
}

export function describeMailError(error: unknown): string {
  const e = error as { responseCode?: number; code?: string; response?: string; message?: string } | null;
  const text = e?.response || e?.message || String(error);
  return [e?.responseCode, e?.code, text].filter(Boolean).join(' ').replace(/\s+/g, ' ').slice(0, 300);
}
