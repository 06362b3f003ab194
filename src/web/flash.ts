import type { FastifyReply, FastifyRequest } from 'fastify';

// One message for the next page, carried in a short signed cookie: it works for visitors
// without a session too (after logout, after setting a password).
const FLASH_COOKIE = 'flash';

export function setFlash(reply: FastifyReply, message: string): void {
  reply.setCookie(FLASH_COOKIE, message, { path: '/', httpOnly: true, sameSite: 'lax', signed: true, secure: reply.server.secureCookies, maxAge: 60 });
}

export function takeFlash(request: FastifyRequest, reply: FastifyReply): string | null {
  const raw = request.cookies[FLASH_COOKIE];
  if (!raw) return null;
  reply.clearCookie(FLASH_COOKIE, { path: '/' });
  const unsigned = request.unsignCookie(raw);
  return unsigned.valid ? unsigned.value : null;
}

export function redirectWithFlash(reply: FastifyReply, location: string, message: string): FastifyReply {
  setFlash(reply, message);
  return reply.redirect(location, 303);
}
