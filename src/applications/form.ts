import { text } from '../i18n/de.ts';
import { checkText, type FormErrors, readForm, tidy } from '../web/forms.ts';

// The catalogue form: code, name, short description, launch URL and the roles an application
// knows. Every field gets its own German message; the roles arrive as one comma-separated line.

export const applicationFields = ['code', 'name', 'description', 'launchUrl', 'roles'] as const;
export type ApplicationValues = Record<(typeof applicationFields)[number], string>;

/** Codes and role codes: what the import file and other systems can rely on. */
export const codePattern = /^[a-z0-9-]{2,40}$/;

export function readApplicationForm(body: unknown): ApplicationValues {
  const form = readForm(body, applicationFields);
  return {
    code: form.code.trim(),
    name: tidy(form.name),
    description: tidy(form.description),
    launchUrl: form.launchUrl.trim(),
    roles: form.roles.trim(),
  };
}

/** "nutzer, admin" → ["nutzer", "admin"]; empty pieces (a trailing comma) are ignored. */
export function splitRoles(value: string): string[] {
  return value
    .split(',')
    .map((role) => role.trim())
    .filter(Boolean);
}

function checkUrl(value: string): string | null {
  const basic = checkText(value, { label: text.applications.missing.launchUrl, max: 500, required: true });
  if (basic) return basic;
  if (!/^https?:\/\/\S+$/i.test(value)) return text.applications.urlFormat;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname ? null : text.applications.urlFormat;
  } catch {
    return text.applications.urlFormat;
  }
}

function checkRoles(value: string): string | null {
  const t = text.applications;
  const basic = checkText(value, { label: t.missing.roles, max: 500, required: true });
  if (basic) return basic;
  const roles = splitRoles(value);
  if (roles.length === 0) return text.field.missing(t.missing.roles);
  const seen = new Set<string>();
  for (const role of roles) {
    if (!codePattern.test(role)) return t.roleFormat(role);
    if (seen.has(role)) return t.roleDuplicate(role);
    seen.add(role);
  }
  return null;
}

/** German messages for every field that is missing or wrong; empty when the entry is complete. */
export function validateApplication(values: ApplicationValues): FormErrors {
  const t = text.applications;
  const errors: FormErrors = {};
  const set = (field: keyof ApplicationValues, message: string | null) => {
    if (message) errors[field] = message;
  };
  set('code', checkText(values.code, { label: t.missing.code, max: 40, required: true }) ?? (codePattern.test(values.code) ? null : t.codeFormat));
  set('name', checkText(values.name, { label: t.missing.name, max: 100, required: true }));
  set('description', checkText(values.description, { label: '', max: 300 }));
  set('launchUrl', checkUrl(values.launchUrl));
  set('roles', checkRoles(values.roles));
  return errors;
}

export function applicationValuesFromRow(row: { code: string; name: string; description: string; launch_url: string; roles: string[] }): ApplicationValues {
  return { code: row.code, name: row.name, description: row.description, launchUrl: row.launch_url, roles: row.roles.join(', ') };
}
