// The first import of server.ts (ES modules are evaluated in import order): what must happen
// before any other module of the portal runs.
import { enableCompileCache } from 'node:module';
import { lowerPoolPriority, sizeThreadPool } from './threadpool.ts';

// Before anything gives libuv's pool work (see threadpool.ts); then its threads (argon2, file
// reads, DNS) run below the event loop's priority.
sizeThreadPool();
await lowerPoolPriority();

// V8's compiled code of every module, kept on disk (NODE_COMPILE_CACHE, else the system's temp
// folder): later starts skip most of the parsing and compiling of ~400 ms of imports. Without a
// writable folder Node simply runs without it.
enableCompileCache();
