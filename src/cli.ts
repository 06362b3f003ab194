import { type Config, ConfigError, loadConfig } from './config.ts';

// Shared by the two entry points (server.ts, admin-cli.ts): one line on stderr and exit code 1,
// never a stack trace, for what the person starting it has to fix.

export function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

export function loadConfigOrFail(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(`Konfigurationsfehler: ${error.message}`);
    throw error;
  }
}
