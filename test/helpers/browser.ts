import type { FastifyInstance } from 'fastify';
import { BASE_URL } from './app.ts';

export interface Page {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
  /** The redirect target's path, if the answer was a redirect. */
  location: string | null;
}

/**
 * A cookie-keeping client over app.inject, like a browser without JavaScript: it remembers
 * cookies and the CSRF token of the last page, and posts forms as urlencoded bodies.
 */
export class Browser {
  readonly cookies = new Map<string, string>();
  csrfToken: string | null = null;
  readonly app: FastifyInstance;
  readonly headers: Record<string, string>;

  constructor(app: FastifyInstance, headers: Record<string, string> = {}) {
    this.app = app;
    this.headers = headers;
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(path: string): Promise<Page> {
    return this.#request('GET', path);
  }

  /** Posts a form; the last page's CSRF token is added unless the form has its own `_csrf`. */
  async post(path: string, form: Record<string, string> = {}, extraHeaders: Record<string, string> = {}): Promise<Page> {
    const body = new URLSearchParams({ ...(this.csrfToken ? { _csrf: this.csrfToken } : {}), ...form }).toString();
    return this.#request('POST', path, body, extraHeaders);
  }

  /** Follows a redirect chain with GETs, as a browser does after a 303. */
  async follow(page: Page): Promise<Page> {
    let current = page;
    for (let i = 0; current.location && i < 5; i++) current = await this.get(current.location);
    return current;
  }

  async #request(method: 'GET' | 'POST', path: string, payload?: string, extraHeaders: Record<string, string> = {}): Promise<Page> {
    const response = await this.app.inject({
      method,
      url: path,
      headers: {
        host: new URL(BASE_URL).host,
        ...(payload !== undefined ? { 'content-type': 'application/x-www-form-urlencoded', origin: BASE_URL } : {}),
        ...(this.cookies.size ? { cookie: this.cookieHeader() } : {}),
        ...this.headers,
        ...extraHeaders,
      },
      payload,
    });
    for (const cookie of response.cookies as { name: string; value: string; maxAge?: number; expires?: Date }[]) {
      const expired = cookie.maxAge === 0 || (cookie.expires && cookie.expires.getTime() < Date.now()) || cookie.value === '';
      if (expired) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(response.body);
    if (token) this.csrfToken = token[1]!;
    return pageOf(response);
  }
}

/** An inject response as a Page: the redirect target as path and query on our own host. */
export function pageOf(response: { statusCode: number; headers: Page['headers']; body: string }): Page {
  const location = response.headers.location;
  return {
    status: response.statusCode,
    headers: response.headers,
    body: response.body,
    location: typeof location === 'string' ? new URL(location, BASE_URL).pathname + new URL(location, BASE_URL).search : null,
  };
}

/** Text of the page without tags, whitespace folded: for asserting what a person reads. */
export function visibleText(html: string): string {
  return html
    .replace(/<(script|style)[\s\S]*?<\/\1>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/\s+/g, ' ')
    .trim();
}
