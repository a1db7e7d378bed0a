// Every deployment gives each service only variables it reads, and every variable it requires: for each container
// of each Kubernetes workload (the base and each overlay, rendered by `kubectl kustomize`) and for each service of
// docker-compose.yml. What a service reads comes from the service itself (its config schema and loadConfig,
// support/service-settings.ts), so a setting misspelt, or given to the wrong service, fails here instead of being
// silently ignored at run time. The Kubernetes values are resolved (ConfigMaps, Secrets, the pod's name) and
// handed to the service's own loadConfig, which must accept them; the listening port must be the one the
// container declares.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMPOSE_FILE } from './support/compose.js';
import { composeEnvironments, interpolateUnset } from './support/compose-environment.js';
import {
  KUBERNETES_DIR,
  KUSTOMIZATIONS,
  containerEnvironment,
  renderingSkipped,
  render,
  workloads,
} from './support/kubernetes.js';
import {
  MIGRATOR,
  SERVICE_FOLDERS,
  environmentProblems,
  serviceSettings,
  type ServiceSettings,
} from './support/service-settings.js';

const skipped = await renderingSkipped();

/** The service an image runs: backend-rebase/<folder>, whatever the registry in front and the tag behind. */
function folderOfImage(image: string): string | undefined {
  return /(?:^|\/)backend-rebase\/([a-z0-9-]+)(?::[\w.-]+)?$/.exec(image)?.[1];
}

describe('what a service reads, from its schema', () => {
  it('finds every service', () => {
    expect(SERVICE_FOLDERS).toEqual([
      'analytics-service',
      'blob-server',
      'cache-proxy',
      'increments-service',
      'load-balancer',
      'the-wolf',
      'user-service',
    ]);
  });

  it('is the schema’s variables and the ones every service shares, and nothing of another service', async () => {
    const users = await serviceSettings('user-service');
    for (const name of [
      'PORT',
      'HOST',
      'DATABASE_URL',
      'USERS_DATABASE_URL',
      'DB_POOL_SIZE',
      'INTERNAL_TOKEN',
    ]) {
      expect(users.known, name).toContain(name);
    }
    for (const name of [
      'LOG_LEVEL',
      'LOGZIO_TOKEN',
      'LOGZIO_PROTOCOL',
      'LOGZIO_LISTENER',
      'HTTP_IDLE_TIMEOUT',
    ]) {
      expect(users.known, name).toContain(name);
    }
    for (const name of ['ANALYTICS_DATABASE_URL', 'UPSTREAM_URL', 'NODE_NAME', 'EMBEDDED_PG_PORT']) {
      expect(users.known, name).not.toContain(name);
    }
    expect(users.defaultPort).toBe(3100);
    expect((await serviceSettings('blob-server')).known).toContain('ADVERTISED_HOST');
  });

  it('reports a variable the service does not read, and an invalid value, naming them', async () => {
    const users = await serviceSettings('user-service');
    const problems = environmentProblems(users, new Set(['DATABASE_URL', 'UPSTREAM_URL', 'DB_POOL_SIZE']), {
      DATABASE_URL: 'postgres://db:5432/postgres',
      UPSTREAM_URL: 'http://load-balancer:3000',
      DB_POOL_SIZE: 'eight',
    });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toBe('user-service does not read UPSTREAM_URL');
    expect(problems[1]).toMatch(/^user-service refuses the values: .*DB_POOL_SIZE/s);
  });

  it('reports a database service given no database', async () => {
    const wolf = await serviceSettings('the-wolf');
    expect(environmentProblems(wolf, new Set(['RETENTION_HOURS']), { RETENTION_HOURS: '24' })).toEqual([
      'the-wolf needs one of ANALYTICS_DATABASE_URL, DATABASE_URL',
    ]);
    const migrator = await serviceSettings(MIGRATOR);
    expect(environmentProblems(migrator, new Set(), {})).toEqual([
      'migrate needs one of ANALYTICS_DATABASE_URL, DATABASE_URL, USERS_DATABASE_URL',
    ]);
  });

  it('reports a required variable that is unset or empty', () => {
    // No schema requires a variable today (each has a default or is optional), so a made-up one shows the rule.
    const strict: ServiceSettings = {
      folder: 'strict-service',
      known: new Set(['TOKEN', 'PORT']),
      required: ['TOKEN'],
      defaultPort: 1,
      refusal: () => undefined,
    };
    expect(environmentProblems(strict, new Set(['PORT']), { PORT: '1' })).toEqual([
      'strict-service requires TOKEN',
    ]);
    expect(environmentProblems(strict, new Set(['TOKEN']), { TOKEN: '' })).toEqual([
      'strict-service requires TOKEN',
    ]);
    expect(environmentProblems(strict, new Set(['TOKEN']), { TOKEN: 't' })).toEqual([]);
  });
});

describe.skipIf(skipped)(
  `Kubernetes workloads${skipped ? ` (skipped: ${skipped}; under CI=true this fails)` : ''}`,
  () => {
    it.each(KUSTOMIZATIONS)(
      '%s: every container gets only variables its service reads, with values it accepts',
      async (kustomization) => {
        const objects = await render(new URL(`${kustomization}/`, KUBERNETES_DIR));
        const problems: string[] = [];
        const seen = new Set<string>();
        for (const { object, template, longRunning } of workloads(objects)) {
          const podName =
            object.kind === 'StatefulSet' ? `${object.metadata.name}-0` : `${object.metadata.name}-x`;
          for (const container of template.spec.containers) {
            const at = `${object.kind} ${object.metadata.name}, container ${container.name}`;
            const folder = folderOfImage(container.image ?? '');
            if (folder === undefined) {
              problems.push(`${at}: image ${container.image} is not backend-rebase/<service>`);
              continue;
            }
            seen.add(folder);
            const settings = await serviceSettings(folder);
            const env = containerEnvironment(container, objects, {
              name: podName,
              namespace: object.metadata.namespace ?? 'default',
            });
            problems.push(...env.problems.map((problem) => `${at}: ${problem}`));
            problems.push(...environmentProblems(settings, env.names, env.values).map((p) => `${at}: ${p}`));
            if (longRunning) {
              const port = Number(env.values.PORT ?? settings.defaultPort);
              const http = container.ports?.find((declared) => declared.name === 'http')?.containerPort;
              if (http !== port) problems.push(`${at}: listens on ${port}, the container declares ${http}`);
            }
          }
        }
        expect(problems).toEqual([]);
        expect([...seen].sort()).toEqual([...SERVICE_FOLDERS, MIGRATOR].sort());
      },
    );
  },
);

describe('compose interpolation with nothing set', () => {
  it('takes defaults, and leaves required or plain references empty', () => {
    expect(interpolateUnset('${A:-3001}')).toBe('3001');
    expect(interpolateUnset('http://${HOST-load-balancer}:3000')).toBe('http://load-balancer:3000');
    expect(interpolateUnset('${TOKEN:?set it in .env}')).toBe('');
    expect(interpolateUnset('$TOKEN/${TOKEN}/${TOKEN:+x}')).toBe('//');
    expect(interpolateUnset('$$HOME ${A:-${B:-inner}}')).toBe('$HOME inner');
  });
});

describe('reading a compose file', () => {
  it('finds each service’s project folder and environment, in both of Compose’s forms', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'compose-settings-'));
    try {
      const file = path.join(folder, 'docker-compose.yml');
      await writeFile(
        file,
        [
          'x-token: &token ${INTERNAL_TOKEN:?set it}',
          'services:',
          '  postgres:',
          '    image: postgres:15',
          '    environment: { POSTGRES_PASSWORD: secret }',
          '  users:',
          '    build: { context: ., target: user-service }',
          '    environment:',
          '      INTERNAL_TOKEN: *token',
          '      DATABASE_URL: postgres://postgres@postgres:5432/postgres',
          '      UPSTREAM_URL: http://load-balancer:3000',
          '  proxy:',
          '    image: backend-rebase/cache-proxy:local',
          "    environment: ['CACHE_MAX_BYTES=${CACHE_MAX_BYTES:-lots}', LOG_LEVEL]",
          '',
        ].join('\n'),
      );
      const services = composeEnvironments(pathToFileURL(file));
      expect(services.map(({ service, folder }) => [service, folder])).toEqual([
        ['postgres', undefined],
        ['users', 'user-service'],
        ['proxy', 'cache-proxy'],
      ]);
      const [, users, proxy] = services;
      expect(environmentProblems(await serviceSettings('user-service'), users!.names, users!.values)).toEqual(
        ['user-service does not read UPSTREAM_URL'],
      );
      const proxyProblems = environmentProblems(
        await serviceSettings('cache-proxy'),
        proxy!.names,
        proxy!.values,
      );
      expect(proxyProblems).toHaveLength(1);
      expect(proxyProblems[0]).toMatch(/^cache-proxy refuses the values: .*CACHE_MAX_BYTES.*"lots"/s);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe.runIf(existsSync(COMPOSE_FILE))('docker-compose.yml', () => {
  it('gives every project service only variables it reads, every one it requires, values it accepts', async () => {
    const services = composeEnvironments();
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const { service, folder, names, values, problems: own } of services) {
      problems.push(...own.map((problem) => `${service}: ${problem}`));
      if (folder === undefined) continue;
      seen.add(folder);
      const settings = await serviceSettings(folder);
      problems.push(
        ...environmentProblems(settings, names, values).map((problem) => `${service}: ${problem}`),
      );
    }
    expect(problems).toEqual([]);
    // Every service of the stack runs, and the migrator before them.
    expect([...seen].sort()).toEqual([...SERVICE_FOLDERS, MIGRATOR].sort());
  });
});
