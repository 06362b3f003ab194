import { readFileSync } from 'node:fs';
import { text } from '../i18n/de.ts';

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

let commonPasswords: Set<string> | null = null;

function loadCommonPasswords(): Set<string> {
  commonPasswords ??= new Set(
    readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .filter(Boolean),
  );
  return commonPasswords;
}

export function commonPasswordCount(): number {
  return loadCommonPasswords().size;
}

export interface PasswordContext {
  login: string;
  firstName: string;
  lastName: string;
}

/**
 * NIST SP 800-63B: length, a blocklist and nothing derived from the account; no composition
 * rules. The password is judged exactly as typed (no trimming, no normalisation); only the
 * comparisons below fold case. Returns the German reason, or null when the password is fine.
 */
export function checkPasswordPolicy(password: string, context: PasswordContext): string | null {
  const length = [...password].length;
  if (length === 0) return text.password.required;
  if (length < PASSWORD_MIN_LENGTH) return text.password.tooShort(PASSWORD_MIN_LENGTH, length);
  if (length > PASSWORD_MAX_LENGTH) return text.password.tooLong(PASSWORD_MAX_LENGTH);
  const folded = password.toLocaleLowerCase('de-DE');
  if (loadCommonPasswords().has(folded)) return text.password.common;
  if (context.login && folded.includes(context.login.toLocaleLowerCase('de-DE'))) return text.password.containsLogin;
  for (const name of [context.firstName, context.lastName]) {
    const part = name.trim().toLocaleLowerCase('de-DE');
    if (part.length >= 3 && folded.includes(part)) return text.password.containsName;
  }
  return null;
}

/** The form asks twice; both checks give their message at the field that is wrong. */
export function validateNewPassword(password: string, repeat: string, context: PasswordContext): { password?: string; passwordRepeat?: string } {
  const reason = checkPasswordPolicy(password, context);
  if (reason) return { password: reason };
  if (password !== repeat) return { passwordRepeat: text.password.mismatch };
  return {};
}
