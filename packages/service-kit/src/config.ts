// Configuration comes from environment variables, validated once at start-up against a TypeBox object schema
// whose property names are the variable names (see env-fields.ts for the usual kinds):
//
//   const config = loadConfig(Type.Object({ PORT: Env.port(3001), DATA_DIR: Env.string('.data') }));
//
// A `.env` file is loaded first when present; its values never override variables already set, and they land
// in `env` (process.env by default) so the rest of the process — the logger's LOGZIO_TOKEN — sees them too.
// Variables are read as settings.ts reads them. Every invalid variable is reported at once, each named with what
// it expects and what it got, the logger's own (LOG_LEVEL, LOGZIO_*)
// and the slow-client bounds' (HTTP_*, slow-clients.ts) included: every service loads its config before it
// creates its logger and its app.
import { loggerSettingsProblems } from '@backend-rebase/logger';
import dotenv from 'dotenv';
import type { StaticDecode, TObject } from 'typebox';
import { ConfigError, readSettings, type EnvVars } from './settings.js';
import { slowClientSettingsProblems } from './slow-clients.js';

export { ConfigError };

export interface LoadConfigOptions {
  /** where variables are read (and .env values added); default process.env */
  env?: EnvVars;
  /** the .env file; default `.env` in the working directory; a missing file is fine */
  dotenvPath?: string;
}

export function loadConfig<T extends TObject>(
  schema: T,
  { env = process.env, dotenvPath = '.env' }: LoadConfigOptions = {},
): StaticDecode<T> {
  const { error } = dotenv.config({ path: dotenvPath, processEnv: env, quiet: true });
  if (error && error.code !== 'ENOENT') throw error;

  const { settings, problems } = readSettings(schema, env);
  // The kit's own settings, read by createService (the HTTP_* bounds) and the logger, are every service's too.
  const all = [...problems, ...loggerSettingsProblems(env), ...slowClientSettingsProblems(env)];
  if (all.length > 0 || settings === undefined) throw new ConfigError(all);
  return settings;
}

/**
 * For entry files: loads the config, or prints what is wrong (no stack trace: it is not a bug) and exits with 1.
 */
export function loadConfigOrExit<T extends TObject>(schema: T, options?: LoadConfigOptions): StaticDecode<T> {
  return exitOnConfigError(() => loadConfig(schema, options));
}

/**
 * For entry files whose config has rules of its own beyond the schema: runs `load`, and turns a ConfigError into
 * its message on stderr and exit 1.
 */
export function exitOnConfigError<T>(load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
