import type { FastifyReply, FastifyRequest } from 'fastify';
import { recordAuditEvent } from '../audit/audit.ts';
import { text } from '../i18n/de.ts';
import { redirectWithFlash } from '../web/flash.ts';

// The workspace is the reseller whose Mandanten a page shows: a reseller's own, or the one an
// operator works for in support mode. It always comes from the session, never from a form.

export interface Workspace {
  resellerId: string;
  resellerName: string;
  /** An operator acting for the reseller. */
  support: boolean;
}

export interface SelectedTenant {
  id: string;
  name: string;
  customerNumber: string | null;
}

export function currentWorkspace(request: FastifyRequest): Workspace | null {
  const account = request.session.account;
  if (!account) return null;
  if (account.role === 'reseller' && account.resellerId) {
    return { resellerId: account.resellerId, resellerName: account.resellerName ?? '', support: false };
  }
  const support = request.session.support;
  if (account.role === 'operator' && support) return { resellerId: support.resellerId, resellerName: support.resellerName, support: true };
  return null;
}

/** preHandler for the Mandanten/Anwender/Import pages: an operator first picks a reseller. */
export async function requireWorkspace(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (!currentWorkspace(request)) await redirectWithFlash(reply, '/reseller', text.resellers.needWorkspace);
}

export function workspaceOf(request: FastifyRequest): Workspace {
  const workspace = currentWorkspace(request);
  if (!workspace) throw new Error('requireWorkspace must run before this handler');
  return workspace;
}

/** The Mandant the session works as, if it belongs to the current workspace. */
export function selectedTenant(request: FastifyRequest): SelectedTenant | null {
  const tenant = request.session.tenant;
  const workspace = currentWorkspace(request);
  if (!tenant || !workspace || tenant.resellerId !== workspace.resellerId) return null;
  return { id: tenant.id, name: tenant.name, customerNumber: tenant.customerNumber };
}

/**
 * Someone asked for a record that is not theirs (or does not exist): the answer is the same 404
 * as for a missing page, and the attempt is written to the audit log.
 */
export async function denyAccess(request: FastifyRequest, reply: FastifyReply, kind: string, id: unknown): Promise<FastifyReply> {
  const account = request.session.account;
  const workspace = currentWorkspace(request);
  await recordAuditEvent(request.server.db, {
    action: 'access.denied',
    at: request.server.clock.now(),
    actorId: account?.id ?? null,
    resellerId: workspace?.resellerId ?? null,
    ip: request.ip,
    details: { kind, id: typeof id === 'string' ? id.slice(0, 64) : null, path: request.routeOptions.url ?? null },
  });
  return reply.page('pages/error.eta', { title: text.pages.notFoundTitle, message: text.pages.notFoundText }, 404);
}
