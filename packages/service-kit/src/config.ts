// Configuration comes from environment variables, validated once at start-up against a TypeBox object schema
// whose property names are the variable names (see env-fields.ts for the usual kinds):
//
//   const config = loadConfig(Type.Object({ PORT: Env.port(3001), DATA_DIR: Env.string('.data') }));
//
// A `.env` file is loaded first when present; its values never override variables already set, and they land
// in `env` (process.env by default) so the rest of the process — the logger's LOGZIO_TOKEN — sees them too.
// Empty variables count as unset. Numbers and booleans are converted from text only when the text means exactly
// one value (TypeBox's Value.Convert would turn "3.5" into port 3, and "" into 0). Every invalid variable is
// reported at once, each named with what it expects and what it got, the logger's own (LOG_LEVEL, LOGZIO_*)
// and the slow-client bounds' (HTTP_*, slow-clients.ts) included: every service loads its config before it
// creates its logger and its app.
import { loggerSettingsProblems } from '@backend-rebase/logger';
import dotenv from 'dotenv';
import type { StaticDecode, TObject, TSchema, TSchemaOptions } from 'typebox';
import { Value } from 'typebox/value';
import { slowClientSettingsProblems } from './slow-clients.js';

export type EnvVars = Record<string, string | undefined>;

export interface LoadConfigOptions {
  /** where variables are read (and .env values added); default process.env */
  env?: EnvVars;
  /** the .env file; default `.env` in the working directory; a missing file is fine */
  dotenvPath?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const BOOLEANS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false };

export function loadConfig<T extends TObject>(
  schema: T,
  { env = process.env, dotenvPath = '.env' }: LoadConfigOptions = {},
): StaticDecode<T> {
  const { error } = dotenv.config({ path: dotenvPath, processEnv: env, quiet: true });
  if (error && error.code !== 'ENOENT') throw error;

  const given: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(schema.properties)) {
    const text = env[name]?.trim();
    if (text) given[name] = fromText(field, text);
  }
  const value = Value.Default(schema, given) as Record<string, unknown>;

  // One problem per variable, the first rule it breaks, in schema order.
  const problems = new Map<string, string>();
  for (const failure of Value.Errors(schema, value)) {
    const names =
      failure.keyword === 'required'
        ? failure.params.requiredProperties
        : [failure.instancePath.split('/')[1] ?? ''];
    for (const name of names) {
      if (problems.has(name)) continue;
      const expected = (schema.properties[name] as TSchemaOptions | undefined)?.description;
      const rule = expected ? `must be ${expected}` : failure.message;
      problems.set(
        name,
        name in value
          ? `${name} ${rule}, got ${JSON.stringify(env[name] ?? value[name])}`
          : `${name} is required${expected ? `: ${expected}` : ''}`,
      );
    }
  }
  // The kit's own settings, read by createService (the HTTP_* bounds) and the logger, are every service's too.
  const all = [...problems.values(), ...loggerSettingsProblems(env), ...slowClientSettingsProblems(env)];
  if (all.length > 0) throw new ConfigError(all);
  return Value.Decode(schema, value);
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

function fromText(field: TSchema, text: string): unknown {
  const { type } = field as TSchemaOptions;
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
  if (type === 'boolean') return BOOLEANS[text] ?? text;
  return text;
}
