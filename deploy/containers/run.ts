// `pnpm test:containers`: the whole stack in real containers, as a user brings it up with docker-compose.yml.
//
// Installs the engine when it is missing (Debian's docker.io and docker-compose), starts a private dockerd, makes
// sure the base images exist (pulled, or stand-ins built from a cached debootstrap root file system when no
// registry answers), builds the stack's images, `up -d`, waits until every service is healthy, runs the smoke
// test through the published ports (smoke.ts), kills one blob server and reads every blob back, then `down -v`
// and stops the daemon — the last two whatever happened before, also on Ctrl-C. Prints each step with its time
// and a summary; exits 0 only when every step passed. Needs root (dockerd, apt-get). What it caches between runs
// and how to make a cold run: deploy/containers/README.md.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { composePulledImages, dockerfileBaseImages, dockerfileCopiedStages } from './base-images.js';
import { blobCluster, waitForNodes } from './blob-cluster.js';
import { cacheDir } from './cache.js';
import { run } from './commands.js';
import { Compose, type ComposeConfig, type PublishedPort } from './compose.js';
import { startDaemon, type Daemon } from './daemon.js';
import { ensureEngine } from './engine.js';
import {
  busiestNode,
  countPageViews,
  createAndReadUser,
  readBlobsPastTheCache,
  readDashboard,
  runId,
  storeAndReadBlobs,
} from './smoke.js';
import { ensureImage } from './stand-ins.js';
import { Steps } from './steps.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const PROJECT = 'backend-rebase-test';
const readyTimeoutMs = Number(process.env.CONTAINERS_READY_TIMEOUT_SECONDS ?? 300) * 1000;
/** Where the last run's build output and service logs are left for a look after the daemon has stopped. */
const lastRunDir = join(cacheDir, 'last-run');

const steps = new Steps();
const runStarted = Date.now();
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  // The command running now gets the signal too and fails its step; the cleanup below still runs.
  process.on(signal, () => {
    if (interrupted) {
      console.log(`\n${signal} again: exiting without cleanup (the next run stops the daemon left behind)`);
      process.exit(130);
    }
    interrupted = true;
    console.log(`\n${signal}: stopping after cleanup (again to exit at once)`);
  });
}

/** A step of the test proper: none starts after a Ctrl-C (the cleanup's steps still run). */
function step<T>(name: string, work: () => Promise<T>, detail?: (result: T) => string): Promise<T> {
  if (interrupted) throw new Error('interrupted');
  return steps.step(name, work, detail);
}

function portFree(port: PublishedPort): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port.hostPort, port.hostIp, () => server.close(() => resolve(true)));
  });
}

function url(ports: PublishedPort[], service: string): string {
  const port = ports.find((candidate) => candidate.service === service);
  if (!port) throw new Error(`the compose file publishes no port of ${service}`);
  const host = port.hostIp === '0.0.0.0' ? '127.0.0.1' : port.hostIp;
  return `http://${host}:${port.hostPort}`;
}

async function main(): Promise<void> {
  let daemon: Daemon | undefined;
  let compose: Compose | undefined;
  let upAttempted = false;
  /** The stack's images are built and the stages under them tagged: pruning cannot take this run's cache. */
  let built = false;
  const envDir = await mkdtemp(join(tmpdir(), 'backend-rebase-containers-'));
  try {
    await step('engine (docker.io, docker-compose, debootstrap)', ensureEngine, (installed) =>
      installed.length > 0 ? `installed ${installed.join(', ')}` : 'already installed',
    );
    daemon = await step('private dockerd', startDaemon, (started) =>
      [
        `storage driver ${started.storageDriver}`,
        started.iptables ? 'bridge + iptables NAT' : 'no iptables: no NAT',
      ].join(', '),
    );
    const env: Record<string, string> = { ...daemon.env };

    // The compose file's settings for this run only: a user's .env is neither read nor changed.
    const settings = {
      INTERNAL_TOKEN: randomBytes(24).toString('hex'),
      POSTGRES_PASSWORD: randomBytes(18).toString('hex'),
      PUBLISH_ADDRESS: '127.0.0.1',
    };
    const envFile = join(envDir, 'compose.env');
    await writeFile(
      envFile,
      Object.entries(settings)
        .map(([key, value]) => `${key}=${value}\n`)
        .join(''),
      { mode: 0o600 },
    );
    Object.assign(env, settings);
    const found = await Compose.detect({
      project: PROJECT,
      file: join(root, 'docker-compose.yml'),
      envFile,
      cwd: root,
      env,
    });
    compose = found;
    const config: ComposeConfig = await step(
      `compose config (${found.spelling} ${found.version})`,
      () => found.config(),
      (parsed) => `${Compose.defaultServices(parsed).length} services`,
    );

    // A run killed before its `down -v` leaves containers and volumes (a database with another password) behind.
    await step('compose down -v (what an earlier run left)', () =>
      found.run(['down', '-v', '--remove-orphans'], { timeoutMs: 120_000 }),
    );

    const dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8');
    const images = [...dockerfileBaseImages(dockerfile), ...composePulledImages(config)];
    for (const image of [...new Set(images)]) {
      await step(
        `base image ${image}`,
        () => ensureImage(image, env),
        (outcome) => outcome,
      );
    }

    await mkdir(lastRunDir, { recursive: true });
    await step(
      'compose build',
      async () => {
        const { stdout, stderr } = await found.run(['build'], { timeoutMs: 60 * 60_000 });
        await writeFile(join(lastRunDir, 'build.log'), `${stdout}${stderr}`);
      },
      () => `log in ${join(lastRunDir, 'build.log')}`,
    );

    await step(
      'tag the stages other stages copy from',
      async () => {
        const stages = dockerfileCopiedStages(dockerfile);
        for (const stage of stages) {
          await run(
            'docker',
            ['build', '-q', '--target', stage, '-t', `backend-rebase/stage-${stage}:cache`, '.'],
            {
              cwd: root,
              env: { ...env, DOCKER_BUILDKIT: '0' },
            },
          );
        }
        built = true;
        return stages;
      },
      (stages) => `${stages.join(', ')} (kept from pruning: the next build reuses them)`,
    );

    const ports = Compose.publishedPorts(config);
    await step(
      'published ports are free',
      async () => {
        const taken: string[] = [];
        for (const port of ports) if (!(await portFree(port))) taken.push(`${port.hostIp}:${port.hostPort}`);
        if (taken.length > 0) {
          throw new Error(`in use on this machine (pnpm start running?): ${taken.join(', ')}`);
        }
      },
      () => ports.map((port) => `${port.service} ${port.hostPort}`).join(', '),
    );

    upAttempted = true;
    await step('compose up -d', async () => {
      try {
        await found.run(['up', '-d'], { timeoutMs: readyTimeoutMs + 60_000 });
      } catch (error) {
        // Compose v1 gives up on the first dependency that is not healthy; say which and why.
        const names = Compose.defaultServices(config);
        throw new Error(`${String(error)}\n\n${await found.diagnose(names)}`, { cause: error });
      }
    });
    await step(
      'every service healthy',
      () => found.waitUntilReady(config, readyTimeoutMs),
      () => Compose.defaultServices(config).join(', '),
    );
    const cluster = blobCluster(config);
    await step(
      'the balancer lists every blob server',
      () => waitForNodes(found, cluster, env, 60_000),
      (nodes) => nodes,
    );

    const cacheProxy = url(ports, 'cache-proxy');
    const blobs = await step(
      'blobs stored and read through the cache proxy',
      () => storeAndReadBlobs(cacheProxy),
      (stored) =>
        `${stored.bodies.size} blobs, first reads served by ` +
        [...stored.servedBy].map(([node, count]) => `${node} ×${count}`).join(', '),
    );
    await step(
      'user created and read',
      () => createAndReadUser(url(ports, 'user-service')),
      (id) => `id ${id}`,
    );
    await step(
      'page views counted, hourly report',
      () => countPageViews(url(ports, 'increments-service'), url(ports, 'analytics-service')),
      (report) => report,
    );
    await step(
      'dashboard and its scripts',
      () => readDashboard(url(ports, 'analytics-service')),
      (scripts) => scripts.join(', '),
    );

    const victim = busiestNode(blobs);
    const victimService = cluster.nodes.get(victim);
    if (!victimService)
      throw new Error(`X-Served-By named ${victim}, which is no blob server of the compose file`);
    await step(`docker kill ${victimService}`, async () => {
      const id = await found.containerId(victimService);
      await run('docker', ['kill', id], { env });
      return id.slice(0, 12);
    });
    await step(
      `every blob read back past the cache, ${victim} gone`,
      () => readBlobsPastTheCache(cacheProxy, blobs, victim),
      (answeredBy) =>
        `${blobs.bodies.size}/${blobs.bodies.size} read, served by ` +
        [...answeredBy].map(([node, count]) => `${node} ×${count}`).join(', ') +
        '; a write after the kill stored',
    );
  } finally {
    if (compose && upAttempted) {
      const active = compose;
      await steps
        .step('service logs kept', async () => {
          const { stdout } = await active.run(['logs', '--no-color']);
          await writeFile(join(lastRunDir, 'services.log'), stdout);
          return join(lastRunDir, 'services.log');
        })
        .catch(() => undefined);
      await steps
        .step('compose down -v', () => active.run(['down', '-v', '--remove-orphans'], { timeoutMs: 120_000 }))
        .catch((error: unknown) => console.error(String(error)));
    }
    if (daemon && built) {
      const env = daemon.env;
      // The images earlier runs built and this one superseded (untagged, unused) would fill the cache's disk run
      // after run; what this run built or reused is tagged, and stays for the next run with the layers under it.
      await steps
        .step(
          'prune images superseded before this run',
          async () => {
            const { stdout } = await run(
              'docker',
              ['image', 'prune', '-f', '--filter', `until=${new Date(runStarted).toISOString()}`],
              { env },
            );
            return /Total reclaimed space:\s*(.+)/.exec(stdout)?.[1]?.trim() ?? '0B';
          },
          (reclaimed) => `reclaimed ${reclaimed}`,
        )
        .catch(() => undefined);
    }
    if (daemon) {
      const started = daemon;
      await steps
        .step('stop dockerd', () => started.stop())
        .catch((error: unknown) => console.error(String(error)));
    }
    await rm(envDir, { recursive: true, force: true });
  }
}

let failure: unknown;
try {
  await main();
} catch (error) {
  failure = error;
}
console.log(`\n── summary (run ${runId}) ──\n${steps.summary()}`);
if (failure !== undefined || steps.failed || interrupted) {
  if (interrupted) console.error('\ninterrupted: the test stopped after cleaning up');
  else if (failure !== undefined) {
    console.error(`\n${failure instanceof Error ? failure.message : inspect(failure)}`);
  }
  process.exit(1);
}
