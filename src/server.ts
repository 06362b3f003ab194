// Entry point (npm start). boot.ts runs first: it turns on the compile cache before anything
// else is loaded. Everything else is imported only afterwards, and
// dynamically: the static imports of an ES module are all loaded and compiled before its first
// line runs, which would be too late for the compile cache.
import './boot.ts';

await import('./start.ts');
