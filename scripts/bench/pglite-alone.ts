// Baseline of the cold-start row: a Node process that starts PGlite on the portal's data
// directory with the portal's options (extensions, memory settings) and runs one query. The
// caller measures from spawn to "bereit". Argument: the PGlite directory.
import { PGlite } from '@electric-sql/pglite';
import { pgliteOptions } from '../../src/db/pglite-options.ts';

const pglite = await PGlite.create(process.argv[2]!, pgliteOptions);
await pglite.query('select 1');
process.stdout.write('bereit\n');
await pglite.close();
