// The first import of server.ts (ES modules are evaluated in import order): what must happen
// before any other module of the portal runs.
import { enableCompileCache } from 'node:module';

// V8's compiled code of every module, kept on disk (NODE_COMPILE_CACHE, else the system's temp
// folder): later starts skip most of the parsing and compiling of ~400 ms of imports. Without a
// writable folder Node simply runs without it.
enableCompileCache();
