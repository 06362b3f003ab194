import type { Executor } from '../db/database.ts';
import { text } from '../i18n/de.ts';
import type { FormErrors } from '../web/forms.ts';
import { listCatalogue, type RightsRefusedError, tenantBookings, userRights } from './applications.ts';

// The data of the two sections other pages carry: "Gebuchte Anwendungen" on the Mandant's edit
// page and "Zugriffsrechte" on the Anwender's. The pages' routes call these once; the templates
// (views/applications/bookings.eta and rights.eta) only render what comes back.

export interface BookingSection {
  action: string;
  rows: { id: string; code: string; name: string; description: string; booked: boolean }[];
  formError?: string;
}

export async function bookingSection(db: Executor, tenantId: string, formError?: string): Promise<BookingSection> {
  const { catalogue, bookedIds } = await tenantBookings(db, tenantId);
  return {
    action: `/mandanten/${tenantId}/anwendungen`,
    rows: catalogue.map((entry) => ({ id: entry.id, code: entry.code, name: entry.name, description: entry.description, booked: bookedIds.includes(entry.id) })),
    formError,
  };
}

export interface RightsSection {
  action: string;
  rows: { field: string; id: string; code: string; name: string; description: string; roles: string[]; selected: string }[];
  errors: FormErrors;
  formError?: string;
}

/** The select of an application on the form: `recht-<application id>`. */
export const rightField = (applicationId: string) => `recht-${applicationId}`;

/**
 * The booked applications with the Anwender's role. After a refused save: the posted choices
 * instead, a message at each refused select, and a select for an application that was refused
 * because it is no longer booked (so the message stands where the choice was made).
 */
export async function rightsSection(
  db: Executor,
  tenantId: string,
  accountId: string,
  refused?: { posted: Record<string, string>; problems: RightsRefusedError['problems'] },
): Promise<RightsSection> {
  const booked = await userRights(db, tenantId, accountId);
  const rows: RightsSection['rows'] = booked.map((row) => ({
    field: rightField(row.id),
    id: row.id,
    code: row.code,
    name: row.name,
    description: row.description,
    roles: row.roles,
    selected: refused && row.id in refused.posted ? refused.posted[row.id]! : (row.role ?? ''),
  }));
  const errors: FormErrors = {};
  let formError: string | undefined;
  if (refused) {
    const catalogue = await listCatalogue(db);
    for (const problem of refused.problems) {
      const entry = catalogue.find((application) => application.id === problem.applicationId);
      if (problem.reason === 'unknown-application' || !entry) {
        formError = text.applications.rights.unknownApplication;
        continue;
      }
      const field = rightField(entry.id);
      if (problem.reason === 'not-booked') {
        errors[field] = text.applications.rights.notBooked(entry.name);
        if (!rows.some((row) => row.id === entry.id)) rows.push({ field, id: entry.id, code: entry.code, name: entry.name, description: entry.description, roles: entry.roles, selected: '' });
      } else {
        errors[field] = text.applications.rights.unknownRole(entry.name);
        // The posted role is not one of the options: the select shows the role as it is stored.
        const row = rows.find((candidate) => candidate.id === entry.id);
        if (row) row.selected = booked.find((candidate) => candidate.id === entry.id)?.role ?? '';
      }
    }
  }
  return { action: `/anwender/${accountId}/zugriffsrechte`, rows, errors, formError };
}
