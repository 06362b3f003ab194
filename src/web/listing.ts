// Search, sort and pagination of list pages, read from the query string and never trusted:
// an unknown sort column or a page beyond the end falls back to something sensible.

export const PAGE_SIZE = 50;
// Search results are counted only up to this many; "mehr als 1.000 Treffer" is enough to know.
export const COUNT_CAP = 1000;

export interface ListQuery<S extends string> {
  q: string;
  sort: S;
  dir: 'asc' | 'desc';
  page: number;
}

export function readListQuery<S extends string>(query: unknown, sorts: readonly S[], defaultSort: S): ListQuery<S> {
  const source = (query && typeof query === 'object' ? query : {}) as Record<string, unknown>;
  // Control characters (a NUL above all, which PostgreSQL refuses in text) are never searched for.
  const q = typeof source.q === 'string' ? source.q.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').trim().slice(0, 100) : '';
  const sort = sorts.includes(source.sort as S) ? (source.sort as S) : defaultSort;
  const dir = source.dir === 'desc' ? 'desc' : 'asc';
  const page = Math.max(1, Math.min(100_000, Number.parseInt(String(source.seite ?? '1'), 10) || 1));
  return { q, sort, dir, page };
}

export interface PageInfo {
  page: number;
  pages: number;
  total: number;
  capped: boolean;
  /** The number of pages is unknown (not counted); only "next" is known. */
  openEnded?: boolean;
}

export function pageInfo(page: number, total: number, capped: boolean): PageInfo {
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  return { page: Math.min(page, pages), pages, total, capped };
}

/**
 * A list page whose count came along in the page's own statement (a `total` column). An empty
 * page carries no count, so then it is asked on its own; a page past the end (an old link) shows
 * the last page instead. Searches are counted up to COUNT_CAP.
 */
export async function readCountedPage<R extends { total: number | string }>(
  searched: boolean,
  page: number,
  selectPage: (page: number) => Promise<R[]>,
  countAlone: () => Promise<number>,
): Promise<{ rows: R[]; info: PageInfo }> {
  let rows = await selectPage(page);
  const total = rows.length > 0 ? Number(rows[0]!.total) : await countAlone();
  const capped = searched && total > COUNT_CAP;
  const info = pageInfo(page, capped ? COUNT_CAP : total, capped);
  if (info.page !== page) rows = await selectPage(info.page);
  return { rows, info };
}

/** A link to the same list with some parameters changed, for sort headers and page links. */
export function listUrl(path: string, query: ListQuery<string>, change: Partial<{ q: string; sort: string; dir: string; seite: number }>): string {
  const params = new URLSearchParams();
  const q = change.q ?? query.q;
  if (q) params.set('q', q);
  params.set('sort', change.sort ?? query.sort);
  params.set('dir', change.dir ?? query.dir);
  const page = change.seite ?? query.page;
  if (page > 1) params.set('seite', String(page));
  return `${path}?${params}`;
}

/** The search term for LIKE, with its wildcards escaped. */
export function likePattern(q: string): string {
  return `%${q.replace(/[\\%_]/g, '\\$&')}%`;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids from URLs and forms are checked before they reach a query (a malformed uuid is an SQL error). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && uuidPattern.test(value);
}

/**
 * A list opened with a marked row (after an action) and no page asked for: the page that holds
 * the row, in the list's sort. A search that leaves the row out is dropped, so the row is shown.
 */
export async function queryHoldingRow<S extends string>(
  query: ListQuery<S>,
  pageAsked: unknown,
  findPage: (query: ListQuery<S>) => Promise<number | null>,
): Promise<ListQuery<S>> {
  if (pageAsked !== undefined) return query;
  const page = await findPage(query);
  if (page !== null) return { ...query, page };
  if (!query.q) return query;
  const unfiltered = { ...query, q: '' };
  const pageUnfiltered = await findPage(unfiltered);
  return pageUnfiltered === null ? query : { ...unfiltered, page: pageUnfiltered };
}
