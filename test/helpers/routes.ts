import type { FastifyInstance } from 'fastify';

export interface RouteEntry {
  method: string;
  path: string;
}

/** Method and path of every route of the app, read from Fastify's route tree. */
export async function listRoutes(app: FastifyInstance): Promise<RouteEntry[]> {
  await app.ready();
  const routes: RouteEntry[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const match = /^([\s│]*)[└├]── (\S+) \(([^)]+)\)/.exec(line);
    if (!match) continue;
    const depth = [...match[1]!].length / 4;
    stack.length = depth;
    const segment = match[2]!;
    const parent = stack[depth - 1] ?? '';
    const path = depth === 0 ? segment : `${parent}${parent.endsWith('/') || segment.startsWith('/') ? '' : '/'}${segment}`;
    stack[depth] = path;
    for (const method of match[3]!.split(',').map((m) => m.trim())) routes.push({ method, path });
  }
  return routes;
}

/** A route path with every :param filled in, for a request that reaches the route. */
export function concretePath(path: string): string {
  return path.replace(/:[^/]+/g, '00000000-0000-4000-8000-000000000000');
}
