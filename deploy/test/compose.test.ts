// docker-compose.yml: valid by the Compose Specification's schema and by Compose itself (v1 and v2, whichever is
// installed), and it keeps what docs/deployment.md promises: a target of the Dockerfile per service, migrations
// before the database services, three blob servers with their own volumes registering by service name, only the
// public services published, INTERNAL_TOKEN required, healthchecks and init everywhere, a flyway profile; every
// variable it reads is in .env.example. Each rule is also shown failing on a broken copy of the file.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  COMPOSE_FILE,
  ROOT,
  composeCli,
  composeConfig,
  composeProblems,
  interpolatedVariables,
  loadCompose,
  migrationFolders,
  schemaProblems,
  type ComposeFile,
  type ComposeRules,
} from './support/compose.js';
import { SERVICE_FOLDERS } from './support/service-settings.js';
import { dockerfileTargets } from './support/dockerfile.js';

const text = await readFile(COMPOSE_FILE, 'utf8');
const rules: ComposeRules = {
  targets: dockerfileTargets(await readFile(new URL('Dockerfile', ROOT), 'utf8')),
  services: [...SERVICE_FOLDERS],
  databases: migrationFolders(),
};

/** A deep copy of the real file with one change. */
function broken(change: (compose: ComposeFile) => void): ComposeFile {
  const compose = loadCompose(text);
  change(compose);
  return compose;
}

describe('the compose file against the Compose Specification schema', () => {
  it('is valid', () => {
    expect(schemaProblems(loadCompose(text))).toEqual([]);
  });

  it('refuses a misspelt key and a depends_on condition Compose does not know', () => {
    const problems = schemaProblems(
      broken((compose) => {
        (compose.services['user-service'] as Record<string, unknown>).healthchek = {};
        compose.services['user-service']!.depends_on = { migrate: { condition: 'service_done' } };
      }),
    );
    expect(problems).toContain('/services/user-service must NOT have additional properties (healthchek)');
    expect(
      problems.some((problem) => problem.startsWith('/services/user-service/depends_on/migrate/condition')),
    ).toBe(true);
  });
});

describe('the stack the compose file describes', () => {
  it('keeps every rule', () => {
    expect(composeProblems(loadCompose(text), rules)).toEqual([]);
  });

  it('builds every service folder of the repository and the migrations', () => {
    const built = Object.values(loadCompose(text).services).flatMap((service) =>
      typeof service.build === 'object' && service.build.target ? [service.build.target] : [],
    );
    expect(new Set(built)).toEqual(new Set([...SERVICE_FOLDERS, 'migrate']));
  });

  const cases: Array<[string, (compose: ComposeFile) => void, string]> = [
    [
      'a database service that does not wait for the migrations',
      (compose) => {
        compose.services['user-service']!.depends_on = { postgres: { condition: 'service_healthy' } };
      },
      'user-service must wait for migrate with condition service_completed_successfully',
    ],
    [
      'the load balancer published to the host',
      (compose) => {
        compose.services['load-balancer']!.ports = ['3000:3000'];
      },
      "load-balancer publishes port 3000: only the public services' ports are published",
    ],
    [
      'a public port bound to every address',
      (compose) => {
        compose.services['cache-proxy']!.ports = ['4242:4242'];
      },
      'cache-proxy publishes port 4242 on every address: bind it to PUBLISH_ADDRESS',
    ],
    [
      'two blob servers on one volume',
      (compose) => {
        compose.services['blob-2']!.volumes = ['blob-1-data:/data'];
      },
      'blob-2 shares the volume blob-1-data with another blob server',
    ],
    [
      'a blob server registering under a name the balancer cannot reach',
      (compose) => {
        (compose.services['blob-3']!.environment as Record<string, string>).ADVERTISED_HOST = '127.0.0.1';
      },
      'blob-3 must register under its service name (ADVERTISED_HOST=blob-3)',
    ],
    [
      'a service without a healthcheck',
      (compose) => {
        delete compose.services['the-wolf']!.healthcheck;
      },
      'the-wolf has no healthcheck, so nothing can wait for it to be ready',
    ],
    [
      'a service without init',
      (compose) => {
        delete compose.services['analytics-service']!.init;
      },
      'analytics-service needs init: true, so SIGTERM reaches node',
    ],
    [
      'a default INTERNAL_TOKEN',
      (compose) => {
        (compose.services['cache-proxy']!.environment as Record<string, string>).INTERNAL_TOKEN =
          '${INTERNAL_TOKEN:-secret}';
      },
      'cache-proxy must take INTERNAL_TOKEN from the required variable ${INTERNAL_TOKEN:?…}',
    ],
    [
      'a target the Dockerfile does not have',
      (compose) => {
        compose.services['the-wolf']!.build = { context: '.', target: 'wolf' };
      },
      'the-wolf builds wolf, which is not a target of the Dockerfile',
    ],
    [
      'postgres from an unofficial or unpinned image',
      (compose) => {
        compose.services.postgres!.image = 'bitnami/postgresql';
      },
      'postgres must run the official image postgres:<major>',
    ],
    [
      'a flyway service outside its profile',
      (compose) => {
        delete compose.services['flyway-users']!.profiles;
      },
      'flyway-users must run only in the flyway profile',
    ],
    [
      'a `version` key',
      (compose) => {
        compose.version = '3.8';
      },
      'the top-level `version` key is obsolete in Compose v2 and must go',
    ],
  ];
  it.each(cases)('finds %s', (_, change, problem) => {
    expect(composeProblems(broken(change), rules)).toContain(problem);
  });
});

describe('the settings it reads from .env', () => {
  it('are all in .env.example, which a new user copies to .env', async () => {
    const example = await readFile(new URL('.env.example', ROOT), 'utf8');
    const documented = new Set([...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]!));
    expect(interpolatedVariables(text).filter((name) => !documented.has(name))).toEqual([]);
  });

  it('has a default for every variable but INTERNAL_TOKEN, which must be set', () => {
    const withoutDefault = [...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)(?![A-Z0-9_:?-])/g)].map(
      (match) => match[1],
    );
    expect(withoutDefault).toEqual([]);
    expect([...text.matchAll(/\$\{([A-Z_][A-Z0-9_]*):\?/g)].map((match) => match[1])).toEqual([
      'INTERNAL_TOKEN',
    ]);
  });
});

const clis = await composeCli();
describe.runIf(clis.length > 0)('Compose itself', () => {
  let scratch = '';
  let emptyEnv = '';
  beforeAll(async () => {
    scratch = await mkdtemp(path.join(tmpdir(), 'compose-test-'));
    emptyEnv = path.join(scratch, 'empty.env');
    await writeFile(emptyEnv, '');
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  it.each(clis)('$name accepts the file, with INTERNAL_TOKEN set', async (cli) => {
    const file = path.join(scratch, 'docker-compose.yml');
    await writeFile(file, text);
    expect(await composeConfig(cli, file, { INTERNAL_TOKEN: 'test-token' }, emptyEnv)).toEqual({
      code: 0,
      stderr: '',
    });
  });

  it.each(clis)('$name refuses to start without INTERNAL_TOKEN, saying what to do', async (cli) => {
    const file = path.join(scratch, 'docker-compose.yml');
    await writeFile(file, text);
    const result = await composeConfig(cli, file, {}, emptyEnv);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('copy .env.example to .env and set INTERNAL_TOKEN');
  });

  it.each(clis)('$name refuses a broken file', async (cli) => {
    const file = path.join(scratch, 'broken.yml');
    await writeFile(
      file,
      text.replace('condition: service_completed_successfully', 'condition: service_done'),
    );
    expect((await composeConfig(cli, file, { INTERNAL_TOKEN: 'test-token' }, emptyEnv)).code).not.toBe(0);
  });
});
