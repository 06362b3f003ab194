import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type Json = ColumnType<Record<string, unknown>, string, string>;

export type Role = 'operator' | 'reseller' | 'user';
export type AccountStatus = 'active' | 'disabled';
export type LinkKind = 'invitation' | 'reset';
export type DeliveryState = 'queued' | 'sent' | 'retrying' | 'failed' | 'dropped';
// 'password-set': the first password, chosen through the invitation (a welcome, not an alarm).
export type MailKind = 'invitation' | 'reset' | 'password-set' | 'password-changed';

export interface ResellerTable {
  id: Generated<string>;
  name: string;
  customer_number: string | null;
  street: string | null;
  postal_code: string | null;
  city: string | null;
  country: Generated<string>;
  vat_id: string | null;
  phone: string | null;
  email: string | null;
  tenant_count: Generated<number>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface TenantTable {
  id: Generated<string>;
  reseller_id: string;
  name: string;
  customer_number: string | null;
  street: string;
  postal_code: string;
  city: string;
  country: Generated<string>;
  vat_id: string | null;
  phone: string | null;
  email: string | null;
  user_count: Generated<number>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface AccountTable {
  id: Generated<string>;
  role: Role;
  reseller_id: string | null;
  tenant_id: string | null;
  login: string;
  first_name: string;
  last_name: string;
  email: string;
  password_hash: string | null;
  password_changed_at: Timestamp | null;
  status: Generated<AccountStatus>;
  last_login_at: Timestamp | null;
  import_run_id: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface PasswordLinkTable {
  id: Generated<string>;
  account_id: string;
  kind: LinkKind;
  token_hash: string | null;
  /** The token of an earlier attempt of the same mail (a worker that died after sending it). */
  previous_token_hash: string | null;
  created_by: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export interface MailDeliveryTable {
  id: Generated<string>;
  kind: MailKind;
  account_id: string;
  link_id: string | null;
  state: Generated<DeliveryState>;
  attempts: Generated<number>;
  last_error: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  sent_at: Timestamp | null;
}

export interface SessionTable {
  id_hash: string;
  account_id: string | null;
  data: Json;
  created_at: Timestamp;
  last_seen_at: Timestamp;
}

export interface AuditEventTable {
  id: ColumnType<string, never, never>;
  occurred_at: Timestamp;
  action: string;
  actor_account_id: string | null;
  subject_account_id: string | null;
  reseller_id: string | null;
  tenant_id: string | null;
  ip: string | null;
  details: Json;
}

export interface LoginThrottleTable {
  key: string;
  failures: number;
  window_started_at: Timestamp;
  blocked_until: Timestamp | null;
}

export interface SetupTokenTable {
  id: Generated<string>;
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

type JsonArray<T> = ColumnType<T[], string, string>;
type JsonValue<T> = ColumnType<T, string, string>;
type JsonWithDefault<T> = ColumnType<T, string | undefined, string>;

export interface ApplicationTable {
  id: Generated<string>;
  code: string;
  name: string;
  description: Generated<string>;
  launch_url: string;
  roles: JsonArray<string>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface TenantApplicationTable {
  tenant_id: string;
  application_id: string;
  booked_at: Timestamp;
  booked_by: string | null;
}

export interface UserRightTable {
  account_id: string;
  application_id: string;
  role: string;
  granted_at: Timestamp;
  granted_by: string | null;
}

export type ImportState = 'preview' | 'imported' | 'discarded' | 'expired';

export interface ImportRunTable {
  id: Generated<string>;
  reseller_id: string;
  created_by: string | null;
  file_name: string;
  state: ImportState;
  created_at: Timestamp;
  imported_at: Timestamp | null;
  links_requested_at: Timestamp | null;
  rows: JsonValue<unknown[]>;
  options: JsonWithDefault<Record<string, unknown>>;
  counts: JsonWithDefault<Record<string, number>>;
  result: JsonWithDefault<unknown[]>;
}

export interface FormSubmissionTable {
  id: string;
  account_id: string;
  location: string;
  created_at: Timestamp;
}

/** One time window of the shared MAIL_RATE_PER_MINUTE budget (see mail/rate-limit.ts). */
export interface MailRateWindowTable {
  window_no: number;
  claimed: number;
  last_grant: number;
}

/** One route's rate-limit counter for one key, shared by all instances (ops/rate-limit-store.ts). */
export interface RateLimitCounterTable {
  key: string;
  hits: number;
  resets_at: Timestamp;
}

/** An address an account has signed in from (auth/throttle.ts: the owner passes a lock). */
export interface LoginKnownAddressTable {
  account_id: string;
  ip: string;
  last_success_at: Timestamp;
}

export interface Database {
  resellers: ResellerTable;
  tenants: TenantTable;
  accounts: AccountTable;
  password_links: PasswordLinkTable;
  mail_deliveries: MailDeliveryTable;
  sessions: SessionTable;
  audit_events: AuditEventTable;
  login_throttle: LoginThrottleTable;
  setup_tokens: SetupTokenTable;
  applications: ApplicationTable;
  tenant_applications: TenantApplicationTable;
  user_rights: UserRightTable;
  import_runs: ImportRunTable;
  form_submissions: FormSubmissionTable;
  mail_rate_windows: MailRateWindowTable;
  rate_limit_counters: RateLimitCounterTable;
  login_known_addresses: LoginKnownAddressTable;
}

export type Account = Selectable<AccountTable>;
export type NewAccount = Insertable<AccountTable>;
export type AccountUpdate = Updateable<AccountTable>;
export type PasswordLink = Selectable<PasswordLinkTable>;
export type Reseller = Selectable<ResellerTable>;
export type Tenant = Selectable<TenantTable>;
