// The same-run baseline of the page rows: a bare Fastify + Eta server that renders the portal's
// own list templates (layout included) with the same rows, read once from the bench database at
// start. No session, CSRF, security headers, audit or per-request query: what is left is
// Fastify, Eta and the socket writes. Arguments: one JSON string { databaseUrl, port }.
import fastifyView from '@fastify/view';
import Fastify from 'fastify';
import { createViews, viewsDir } from '../../src/app.ts';
import { openDatabase } from '../../src/db/database.ts';
import { text } from '../../src/i18n/de.ts';
import { listTenants, tenantSorts } from '../../src/tenants/tenants.ts';
import { describeUserStatus, listUsers } from '../../src/users/users.ts';
import { listUrl, readListQuery } from '../../src/web/listing.ts';

const { databaseUrl, port } = JSON.parse(process.argv[2] ?? '{}') as { databaseUrl: string; port: number };
const handle = await openDatabase({ databaseUrl, pgliteDir: null });
const staff = await handle.db.selectFrom('accounts').innerJoin('resellers', 'resellers.id', 'accounts.reseller_id').select(['accounts.id', 'login', 'first_name', 'last_name', 'reseller_id', 'resellers.name as reseller_name']).where('login', '=', 'bench.staff1').executeTakeFirstOrThrow();
const tenantRow = await handle.db.selectFrom('tenants').select(['id', 'name', 'customer_number']).where('customer_number', '=', 'K-1').executeTakeFirstOrThrow();
const resellerId = staff.reseller_id!;
const tenant = { id: tenantRow.id, name: tenantRow.name, customerNumber: tenantRow.customer_number };
const tenantQuery = readListQuery({}, tenantSorts, 'name');
const userQuery = readListQuery({}, ['name'] as const, 'name');
const tenants = await listTenants(handle.db, resellerId, tenantQuery);
const users = await listUsers(handle.db, { resellerId, tenantId: tenant.id }, userQuery);
await handle.close();

const me = { id: staff.id, role: 'reseller', login: staff.login, firstName: staff.first_name, lastName: staff.last_name, resellerId, resellerName: staff.reseller_name, tenantId: null };
const common = (path: string) => ({
  t: text,
  me,
  workspace: { resellerId, resellerName: staff.reseller_name, support: false },
  selectedTenant: tenant,
  csrfToken: 'bare-baseline-token',
  submissionId: 'bare-baseline-submission',
  flash: null,
  supportEmail: 'agilas-support@okit.de',
  path,
  values: {},
  errors: {},
});

const app = Fastify({ logger: false });
await app.register(fastifyView, { engine: { eta: createViews(true) }, root: viewsDir, layout: 'layout.eta', production: true });
app.get('/mandanten', (_request, reply) =>
  reply.view('tenants/index.eta', {
    ...common('/mandanten'),
    title: text.tenants.title,
    rows: tenants.rows,
    info: tenants.info,
    query: tenantQuery,
    sorts: tenantSorts,
    listUrl: (change: Parameters<typeof listUrl>[2]) => listUrl('/mandanten', tenantQuery, change),
    markedId: tenant.id,
    selectedId: tenant.id,
  }),
);
app.get('/anwender', (_request, reply) => {
  const now = new Date();
  return reply.view('users/index.eta', {
    ...common('/anwender'),
    title: text.users.title(tenant.name),
    tenant,
    rows: users.rows.map((row) => ({ ...row, statusText: describeUserStatus(row, now) })),
    info: users.info,
    query: userQuery,
    listUrl: (change: Parameters<typeof listUrl>[2]) => listUrl('/anwender', userQuery, change),
    markedId: null,
  });
});
await app.listen({ port, host: '127.0.0.1' });
process.stdout.write('bereit\n');
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
