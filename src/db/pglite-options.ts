import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';

// PGlite is one Postgres backend inside this process, sized by default like a small server:
// 128 MB shared_buffers, 64 MB maintenance_work_mem, 100 connections' worth of shared memory.
// The embedded portal is one user's database on a laptop; these settings take its RSS at the first
// page from ~380 MB to ~260 MB (shared_buffers alone ~110 MB of it). PostgreSQL's settings, passed like "-c" on
// its command line after PGlite's own defaults.
export const pgliteSettings = [
  'shared_buffers=16MB',
  'wal_buffers=1MB',
  'maintenance_work_mem=16MB',
  'temp_buffers=2MB',
  'work_mem=4MB',
  'max_connections=5',
];

/** Every PGlite of the app is made with these: the extensions the migrations use, bigint as number, the memory settings. */
export const pgliteOptions = {
  extensions: { pg_trgm },
  parsers: { 20: (value: string) => Number(value) },
  startParams: [...PGlite.defaultStartParams, ...pgliteSettings.flatMap((setting) => ['-c', setting])],
};

