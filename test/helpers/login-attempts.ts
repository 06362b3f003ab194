import type { FastifyInstance } from 'fastify';
import { BASE_URL } from './app.ts';
import { type Page, pageOf } from './browser.ts';

export interface AttemptSource {
  /** The socket address the request comes from (what Fastify sees without a trusted proxy). */
  remoteAddress?: string;
  headers?: Record<string, string>;
}

export type LoginAttempt = (login: string, password: string, from?: AttemptSource) => Promise<Page>;

/**
 * Posts the real login form the way a guessing script does: it fetches the form once (one CSRF
 * cookie and token) and then posts as often as it likes, from any source address. Unlike Browser
 * it keeps no session, and it can vary the socket address to stay clear of the per-minute rate
 * limit (or to prove that a per-address rule holds).
 */
export async function loginAttempts(app: FastifyInstance): Promise<LoginAttempt> {
  const host = new URL(BASE_URL).host;
  const form = await app.inject({ method: 'GET', url: '/anmelden', headers: { host } });
  const token = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1];
  if (!token) throw new Error('login form without CSRF token');
  const cookie = (form.cookies as { name: string; value: string }[]).map((c) => `${c.name}=${c.value}`).join('; ');
  return async (login, password, from = {}) => {
    const response = await app.inject({
      method: 'POST',
      url: '/anmelden',
      remoteAddress: from.remoteAddress ?? '127.0.0.1',
      headers: { host, origin: BASE_URL, cookie, 'content-type': 'application/x-www-form-urlencoded', ...from.headers },
      payload: new URLSearchParams({ _csrf: token, login, password }).toString(),
    });
    return pageOf(response);
  };
}
