// What each service reads from its environment, taken from the service itself: its config schema (the `Config` of
// services/<folder>/src/config.ts, whose property names are the variable names) and its own loadConfig, which also
// reads the settings every service shares (LOG_LEVEL, LOGZIO_*, the HTTP_* bounds of the service kit). Nothing
// here lists a variable by hand, so a variable added to or removed from a schema changes what the checks expect.
// The one exception is the migrator, which has no schema: its variables follow the rule of packages/db's
// migrate-all.ts (DATABASE_URL, and <NAME>_DATABASE_URL for each folder under migrations/).
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const REPOSITORY = new URL('../../../', import.meta.url);

/** The services: every folder under services/ with a src/config.ts. */
export const SERVICE_FOLDERS: readonly string[] = readdirSync(new URL('services/', REPOSITORY), {
  withFileTypes: true,
})
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .filter((folder) => readdirSync(new URL(`services/${folder}/src/`, REPOSITORY)).includes('config.ts'))
  .sort();

/** The one-shot migrator (the `migrate` image): not a service, but configured from the environment too. */
export const MIGRATOR = 'migrate';

export type Environment = Record<string, string | undefined>;

export interface ServiceSettings {
  /** services/<folder>, or MIGRATOR. */
  folder: string;
  /** Every variable the service reads. */
  known: ReadonlySet<string>;
  /** The variables the schema requires: neither optional nor with a default. */
  required: readonly string[];
  /** The port the service listens on when PORT is unset (its schema's default: DEFAULT_PORTS). */
  defaultPort: number | undefined;
  /** Runs the service's own loadConfig on `env` (and no .env file): its message when it refuses, else undefined. */
  refusal(env: Environment): string | undefined;
}

interface PropertySchema {
  default?: unknown;
}

/** The shape of a TypeBox object schema that these checks read: JSON Schema's. */
interface ObjectSchema {
  properties: Record<string, PropertySchema>;
  required?: string[];
}

interface ConfigModule {
  Config: ObjectSchema;
  loadConfig: (options: { env: Environment; dotenvPath: string }) => unknown;
}

/** No .env is read: a developer's own .env must not change what the checks see. */
const NO_DOTENV = fileURLToPath(new URL('deploy/test/support/no-such-file.env', REPOSITORY));

/**
 * The names `load` reads from an environment in which every variable is set, to the same value. The value is
 * "https" so that the reads that depend on another variable happen too (LOGZIO_LISTENER is read only when
 * LOGZIO_TOKEN is set and LOGZIO_PROTOCOL is valid); that most settings refuse it does not matter here, only what
 * was read does.
 */
function namesRead(load: (env: Environment) => unknown): Set<string> {
  const read = new Set<string>();
  const env = new Proxy<Environment>(
    {},
    {
      get: (_target, name) => {
        if (typeof name === 'string') read.add(name);
        return 'https';
      },
      has: () => true,
      set: () => true,
    },
  );
  try {
    load(env);
  } catch {
    // Refused, as expected: the names were read before.
  }
  return read;
}

export async function serviceSettings(folder: string): Promise<ServiceSettings> {
  if (folder === MIGRATOR) return migratorSettings();
  if (!SERVICE_FOLDERS.includes(folder))
    throw new Error(`no service folder services/${folder} with a config.ts`);
  const { Config, loadConfig } = (await import(`../../../services/${folder}/src/config.ts`)) as ConfigModule;
  const load = (env: Environment) => loadConfig({ env, dotenvPath: NO_DOTENV });
  const known = namesRead(load);
  for (const name of Object.keys(Config.properties)) known.add(name);
  const required = (Config.required ?? []).filter((name) => Config.properties[name]?.default === undefined);
  const port = Config.properties.PORT?.default;
  return {
    folder,
    known,
    required,
    defaultPort: typeof port === 'number' ? port : undefined,
    refusal: (env) => {
      try {
        load({ ...env });
        return undefined;
      } catch (error) {
        return (error as Error).message;
      }
    },
  };
}

function migratorSettings(): ServiceSettings {
  const databases = readdirSync(new URL('migrations/', REPOSITORY), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `${entry.name.toUpperCase()}_DATABASE_URL`);
  return {
    folder: MIGRATOR,
    known: new Set(['DATABASE_URL', ...databases]),
    required: [],
    defaultPort: undefined,
    refusal: () => undefined,
  };
}

/**
 * For a service that keeps data in PostgreSQL (its schema knows DATABASE_URL): the variables of which one must be
 * set, DATABASE_URL or the database's own <NAME>_DATABASE_URL. The schemas leave both optional (either will do),
 * and the service stops at start-up without one, so a deployment must give one.
 */
function databaseVariables(settings: ServiceSettings): string[] {
  if (!settings.known.has('DATABASE_URL')) return [];
  return [...settings.known].filter((name) => /^[A-Z]*_?DATABASE_URL$/.test(name)).sort();
}

/**
 * What is wrong with the environment a deployment gives a service, one line each: a variable the service does not
 * read (a typo, or a setting meant for another service, which would be silently ignored), a variable its schema
 * requires that is unset, no database URL for a database service, and whatever the service's own loadConfig
 * refuses in the values. `names` are the variables set; `values` those whose value is known (an empty one counts
 * as unset, as the services read it).
 */
export function environmentProblems(
  settings: ServiceSettings,
  names: ReadonlySet<string>,
  values: Environment,
): string[] {
  const problems: string[] = [];
  const unknown = [...names].filter((name) => !settings.known.has(name)).sort();
  if (unknown.length > 0) problems.push(`${settings.folder} does not read ${unknown.join(', ')}`);
  const isSet = (name: string) => names.has(name) && values[name]?.trim() !== '';
  const missing = settings.required.filter((name) => !isSet(name));
  if (missing.length > 0) problems.push(`${settings.folder} requires ${missing.join(', ')}`);
  const databases = databaseVariables(settings);
  if (databases.length > 0 && !databases.some((name) => names.has(name))) {
    problems.push(`${settings.folder} needs one of ${databases.join(', ')}`);
  }
  const refusal = settings.refusal(Object.fromEntries([...names].map((name) => [name, values[name]])));
  if (refusal !== undefined) problems.push(`${settings.folder} refuses the values: ${refusal}`);
  return problems;
}
