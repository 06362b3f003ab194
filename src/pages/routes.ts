import type { FastifyInstance } from 'fastify';
import { text } from '../i18n/de.ts';

export async function pageRoutes(app: FastifyInstance): Promise<void> {
  app.get('/impressum', { config: { public: true } }, async (_request, reply) =>
    reply.page('pages/impressum.eta', { title: text.pages.impressumTitle, impressum: app.config.impressum }),
  );
  app.get('/hilfe', { config: { public: true } }, async (_request, reply) => reply.page('pages/help.eta', { title: text.pages.helpTitle }));
}
