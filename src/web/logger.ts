import type { FastifyServerOptions } from 'fastify';

// Paths that carry a secret in the URL; the log gets the path with the secret cut out.
const secretPaths = /^(\/(?:passwort-link|einrichtung)\/)[^/?#]+/;

export function redactUrl(url: string): string {
  const [path = '', query] = url.split('?', 2);
  return path.replace(secretPaths, '$1[verborgen]') + (query ? '?[verborgen]' : '');
}

/** pino settings: no password, token, cookie or link ever reaches a log line. */
export function loggerOptions(level: string, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: {
      paths: ['req.headers.cookie', 'req.headers.authorization', 'res.headers["set-cookie"]', '*.password', '*.passwordRepeat', '*.currentPassword', '*.token', '*._csrf', '*.linkUrl', '*.devLink'],
      censor: '[verborgen]',
    },
    serializers: {
      req(request) {
        return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip };
      },
    },
  };
}
