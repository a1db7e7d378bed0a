// What compose.test.ts checks docker-compose.yml with: the file as Compose reads it (YAML with its anchors resolved),
// the Compose Specification's JSON schema (vendored in fixtures/, see compose-spec.NOTICE.md), and the rules the
// stack needs from it, each returned as a sentence naming the service, so a test can show both the real file
// passing and a broken copy failing with the reason.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { parse } from 'yaml';

export const ROOT = new URL('../../../', import.meta.url);
export const COMPOSE_FILE = new URL('docker-compose.yml', ROOT);

type Mapping = Record<string, unknown>;

interface Service {
  image?: string;
  build?: { context?: string; target?: string } | string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Array<string | Mapping>;
  volumes?: Array<string | Mapping>;
  depends_on?: Record<string, { condition?: string }> | string[];
  healthcheck?: { test?: string[] | string; disable?: boolean };
  init?: boolean;
  profiles?: string[];
  restart?: string;
  command?: string[] | string;
  stop_grace_period?: string;
}

export interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The compose file as Compose sees it before interpolation: anchors and aliases resolved. */
export function loadCompose(text = readFileSync(COMPOSE_FILE, 'utf8')): ComposeFile {
  return parse(text, { maxAliasCount: -1 }) as ComposeFile;
}

/** The databases the project migrates: one folder each under migrations/. */
export function migrationFolders(): string[] {
  return readdirSync(new URL('migrations/', ROOT), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map(({ name }) => name)
    .sort();
}

const schema = JSON.parse(
  readFileSync(new URL('../fixtures/compose-spec.json', import.meta.url), 'utf8'),
) as Mapping;
// The schema's formats (durations, ports) are not standard JSON Schema ones; their values are checked by the rules
// below where they matter. Strict mode off: the schema uses keywords of its own draft that ajv would reject. It
// names its draft-07 meta-schema by an https address ajv does not know, so the schema itself is not checked.
const validateSchema = new Ajv({
  allErrors: true,
  strict: false,
  validateFormats: false,
  validateSchema: false,
}).compile(schema);

/** Where the document breaks the Compose Specification: one line per error, "<path> <message>". */
export function schemaProblems(document: unknown): string[] {
  if (validateSchema(document)) return [];
  return (validateSchema.errors ?? []).map(
    (error) =>
      `${error.instancePath || '/'} ${error.message ?? 'is invalid'}` +
      (error.keyword === 'additionalProperties'
        ? ` (${String((error.params as { additionalProperty: string }).additionalProperty)})`
        : ''),
  );
}

/** The variables a service sets, as a map (Compose accepts a list of NAME=value as well). */
function environmentOf(service: Service): Record<string, string> {
  const environment = service.environment ?? {};
  if (Array.isArray(environment)) {
    return Object.fromEntries(
      environment.map((entry) => {
        const at = entry.indexOf('=');
        return at === -1 ? [entry, ''] : [entry.slice(0, at), entry.slice(at + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(environment).map(([name, value]) => [name, String(value ?? '')]));
}

function dependencies(service: Service): Record<string, string> {
  const dependsOn = service.depends_on ?? {};
  if (Array.isArray(dependsOn)) return Object.fromEntries(dependsOn.map((name) => [name, 'service_started']));
  return Object.fromEntries(
    Object.entries(dependsOn).map(([name, { condition }]) => [name, condition ?? 'service_started']),
  );
}

function targetOf(service: Service): string | undefined {
  return typeof service.build === 'object' ? service.build.target : undefined;
}

/** `host:container` or `address:host:container`: the container port and the host address it is bound to. */
function publishedPorts(service: Service): Array<{ container: number; address?: string }> {
  return (service.ports ?? []).map((port) => {
    if (typeof port === 'string') {
      const parts = port.replace(/\$\{[^}]*\}/g, 'VAR').split(':');
      return {
        container: Number(parts.at(-1)?.split('/')[0]),
        ...(parts.length === 3 ? { address: parts[0] } : {}),
      };
    }
    return {
      container: Number(port.target),
      ...(typeof port.host_ip === 'string' ? { address: port.host_ip } : {}),
    };
  });
}

function volumeMounts(service: Service): Array<{ source: string; target: string }> {
  return (service.volumes ?? []).map((volume) => {
    if (typeof volume === 'string') {
      const [source = '', target = ''] = volume.split(':');
      return { source, target };
    }
    const text = (value: unknown) => (typeof value === 'string' ? value : '');
    return { source: text(volume.source), target: text(volume.target) };
  });
}

export interface ComposeRules {
  /** The Dockerfile's targets: each project service must build one of them. */
  targets: string[];
  services: string[];
  databases: string[];
}

/** The services users reach from the host; everything else (the balancer, the blob servers, /internal) is not. */
const PUBLIC_SERVICES: Record<string, number> = {
  'cache-proxy': 4242,
  'user-service': 3100,
  'analytics-service': 3200,
  'increments-service': 3201,
};
const DATABASE_SERVICES = ['user-service', 'increments-service', 'analytics-service', 'the-wolf'];
const ONE_SHOT = new Set(['migrate']);

/** What the stack needs from the compose file, beyond the schema: one sentence per broken rule. */
export function composeProblems(compose: ComposeFile, rules: ComposeRules): string[] {
  const problems: string[] = [];
  const services = compose.services;
  const declaredVolumes = new Set(Object.keys(compose.volumes ?? {}));
  if ('version' in compose)
    problems.push('the top-level `version` key is obsolete in Compose v2 and must go');

  const built = Object.entries(services).filter(([, service]) => service.build !== undefined);
  const builtTargets = new Set(built.map(([, service]) => targetOf(service)));
  for (const target of [...rules.services, 'migrate']) {
    if (!builtTargets.has(target)) problems.push(`no service builds the Dockerfile target ${target}`);
  }

  for (const [name, service] of Object.entries(services)) {
    const active = service.profiles === undefined;
    const target = targetOf(service);
    if (service.build !== undefined) {
      if (target === undefined || !rules.targets.includes(target)) {
        problems.push(`${name} builds ${target ?? 'no target'}, which is not a target of the Dockerfile`);
      }
      if (service.image !== `backend-rebase/${target}:local`) {
        problems.push(`${name} must tag its image backend-rebase/${target}:local, not ${service.image}`);
      }
      if (service.init !== true) problems.push(`${name} needs init: true, so SIGTERM reaches node`);
    } else if (!service.image || !/:[^:/]+$/.test(service.image) || service.image.endsWith(':latest')) {
      problems.push(`${name} must use an image with a pinned tag, not ${service.image ?? 'none'}`);
    }

    const oneShot = ONE_SHOT.has(name) || !active;
    if (oneShot) {
      if (service.restart !== 'no') problems.push(`${name} runs once: restart must be "no"`);
    } else if (service.healthcheck === undefined || service.healthcheck.disable === true) {
      problems.push(`${name} has no healthcheck, so nothing can wait for it to be ready`);
    }

    for (const { container, address } of publishedPorts(service)) {
      if (PUBLIC_SERVICES[name] !== container) {
        problems.push(`${name} publishes port ${container}: only the public services' ports are published`);
      } else if (address === undefined) {
        problems.push(`${name} publishes port ${container} on every address: bind it to PUBLISH_ADDRESS`);
      }
    }
    for (const [dependency] of Object.entries(dependencies(service))) {
      if (!(dependency in services))
        problems.push(`${name} depends on ${dependency}, which is not a service`);
      else if (active && services[dependency]!.profiles !== undefined) {
        problems.push(`${name} depends on ${dependency}, which runs only in a profile`);
      }
    }
    for (const { source } of volumeMounts(service)) {
      if (!source.startsWith('.') && !source.startsWith('/') && !declaredVolumes.has(source)) {
        problems.push(`${name} mounts the volume ${source}, which is not declared under volumes`);
      }
    }
    if (
      target !== undefined &&
      target !== 'migrate' &&
      !environmentOf(service).INTERNAL_TOKEN?.startsWith('${INTERNAL_TOKEN:?')
    ) {
      problems.push(`${name} must take INTERNAL_TOKEN from the required variable \${INTERNAL_TOKEN:?…}`);
    }
  }

  for (const name of PUBLIC_SERVICES_NAMES) {
    if (!(name in services) || (services[name]!.ports ?? []).length === 0) {
      problems.push(`${name} must be published on its port ${PUBLIC_SERVICES[name]}`);
    }
  }

  const postgres = services.postgres;
  if (!postgres?.image?.match(/^postgres:\d+(-[a-z]+)?$/)) {
    problems.push('postgres must run the official image postgres:<major>');
  } else {
    const test = JSON.stringify(postgres.healthcheck?.test ?? '');
    if (!test.includes('pg_isready')) problems.push('postgres must be healthy only once pg_isready answers');
    if (
      !volumeMounts(postgres).some(
        ({ source, target }) => declaredVolumes.has(source) && target.startsWith('/var/lib/postgresql'),
      )
    ) {
      problems.push('postgres must keep its data in a named volume');
    }
  }
  if (dependencies(services.migrate ?? {}).postgres !== 'service_healthy') {
    problems.push('migrate must wait for postgres to be healthy');
  }
  for (const name of DATABASE_SERVICES) {
    const service = services[name];
    if (service === undefined) continue;
    const after = dependencies(service);
    if (after.migrate !== 'service_completed_successfully') {
      problems.push(`${name} must wait for migrate with condition service_completed_successfully`);
    }
    if (!environmentOf(service).DATABASE_URL?.includes('@postgres:5432/')) {
      problems.push(`${name} must reach PostgreSQL at postgres:5432 through DATABASE_URL`);
    }
  }

  problems.push(...blobServerProblems(services, declaredVolumes));
  problems.push(...flywayProblems(services, rules.databases));
  return problems;
}

const PUBLIC_SERVICES_NAMES = Object.keys(PUBLIC_SERVICES);

function blobServerProblems(services: Record<string, Service>, declaredVolumes: Set<string>): string[] {
  const problems: string[] = [];
  const blobServers = Object.entries(services).filter(([, service]) => targetOf(service) === 'blob-server');
  if (blobServers.length < 3) problems.push(`the stack has ${blobServers.length} blob servers, not three`);
  const volumes = new Set<string>();
  for (const [name, service] of blobServers) {
    const environment = environmentOf(service);
    if (environment.NODE_NAME !== name) problems.push(`${name} must be the node named ${name}`);
    if (environment.ADVERTISED_HOST !== name) {
      problems.push(`${name} must register under its service name (ADVERTISED_HOST=${name})`);
    }
    if (environment.LOAD_BALANCER_URL !== 'http://load-balancer:3000') {
      problems.push(`${name} must register with http://load-balancer:3000`);
    }
    const data = volumeMounts(service).find(({ target }) => target === '/data');
    if (data === undefined || !declaredVolumes.has(data.source)) {
      problems.push(`${name} must keep its blobs in a named volume at /data`);
    } else if (volumes.has(data.source)) {
      problems.push(`${name} shares the volume ${data.source} with another blob server`);
    } else volumes.add(data.source);
  }
  return problems;
}

function flywayProblems(services: Record<string, Service>, databases: string[]): string[] {
  const problems: string[] = [];
  const flyway = Object.entries(services).filter(([, service]) =>
    service.image?.startsWith('flyway/flyway:'),
  );
  for (const database of databases) {
    const found = flyway.find(([, service]) =>
      volumeMounts(service).some(({ source }) => source === `./migrations/${database}`),
    );
    if (found === undefined) problems.push(`no flyway service applies migrations/${database}`);
    else if (!found[1].profiles?.includes('flyway'))
      problems.push(`${found[0]} must run only in the flyway profile`);
    else if (!environmentOf(found[1]).FLYWAY_URL?.endsWith(`/${database}`)) {
      problems.push(`${found[0]} must apply migrations/${database} to the ${database} database`);
    }
  }
  return problems;
}

/** Every `${NAME…}` the file reads from the environment (or .env). */
export function interpolatedVariables(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1]!))].sort();
}

const run = promisify(execFile);

/** `docker-compose config -q` (v1) or `docker compose config -q` (v2), when installed: their own validation. */
export async function composeCli(): Promise<Array<{ name: string; command: string; args: string[] }>> {
  const found: Array<{ name: string; command: string; args: string[] }> = [];
  if (
    await run('docker-compose', ['version']).then(
      () => true,
      () => false,
    )
  ) {
    found.push({ name: 'docker-compose (v1)', command: 'docker-compose', args: [] });
  }
  if (
    await run('docker', ['compose', 'version']).then(
      () => true,
      () => false,
    )
  ) {
    found.push({ name: 'docker compose (v2)', command: 'docker', args: ['compose'] });
  }
  return found;
}

/**
 * Runs `config -q` on a compose file with only the given variables (an empty env file stands in for a .env the
 * developer may have); resolves to its exit code and stderr.
 */
export async function composeConfig(
  cli: { command: string; args: string[] },
  file: string,
  env: Record<string, string>,
  emptyEnvFile: string,
): Promise<{ code: number; stderr: string }> {
  const environment = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/', ...env };
  const project = fileURLToPath(ROOT);
  const options = ['--file', file, '--project-directory', project, '--env-file', emptyEnvFile];
  try {
    await run(cli.command, [...cli.args, ...options, 'config', '-q'], { env: environment });
    return { code: 0, stderr: '' };
  } catch (error) {
    const failure = error as { code?: number; stderr?: string };
    return { code: failure.code ?? 1, stderr: failure.stderr ?? String(error) };
  }
}
