// `pnpm start`: the whole stack as local processes (launch.ts runs it). Starts PostgreSQL (embedded unless
// DATABASE_URL names a server), applies every migrations/<db> folder, starts each service that exists, waits for
// every /ready, prints where everything is, and on SIGTERM (Ctrl-C) stops the services, then the database,
// leaving no process behind, even when the signal comes while the database is still being created or started.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  migrateAll,
  redactPassword,
  startEmbeddedPostgres,
  type EmbeddedPostgres,
  type Logger,
} from '@backend-rebase/db';
import { loadStackConfig } from './config.js';
import { planStack, type ProcessSpec } from './manifest.js';
import { takenPorts } from './ports.js';
import { waitUntilReady } from './readiness.js';
import { ServiceProcess, logFileFor } from './service-process.js';

// STACK_ROOT runs the stack of another checkout (the tests point it at a scratch tree of fixture services).
const repoRoot = path.resolve(process.env.STACK_ROOT ?? fileURLToPath(new URL('../../../', import.meta.url)));
const config = loadStackConfig(repoRoot);
const dataDir = path.resolve(repoRoot, config.STACK_DATA_DIR);
const logDir = path.resolve(repoRoot, config.STACK_LOG_DIR);
const stopGraceMs = 15_000;

function say(line: string): void {
  process.stdout.write(`[stack] ${line}\n`);
}

function fail(message: string): never {
  process.stderr.write(`[stack] ${message}\n`);
  process.exit(1);
}

// What the embedded server has to say (an earlier run's server stopped, how long initdb took), on our console.
const consoleLogger: Logger = {
  info: (message, meta) => say(withMeta(message, meta)),
  warn: (message, meta) => say(withMeta(message, meta)),
  error: (message, meta) => say(withMeta(message, meta)),
};

function withMeta(message: string, meta?: object): string {
  return meta ? `${message} ${JSON.stringify(meta)}` : message;
}

const services: ServiceProcess[] = [];
// Aborted by a stop that comes while the embedded server is still being created or started.
const startup = new AbortController();
let database: Promise<EmbeddedPostgres> | null = null;
let stopping = false;

async function stopEverything(exitCode: number): Promise<never> {
  stopping = true;
  say('stopping…');
  startup.abort();
  await Promise.all(
    [...services].reverse().map(async (service) => {
      const code = await service.stop(stopGraceMs);
      if (code !== 0 && code !== null) say(`${service.name} exited with code ${code}`);
    }),
  );
  // A start that was aborted has stopped whatever it had started by the time it rejects.
  const running = await database?.catch(() => null);
  if (running) {
    await running.stop().catch((error: unknown) => say(`stopping PostgreSQL: ${String(error)}`));
  }
  say('stopped');
  process.exit(exitCode);
}

process.once('exit', () => {
  for (const service of services) service.killNow();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) {
      say('second signal: killing everything now');
      for (const service of services) service.killNow();
      process.exit(130);
    }
    void stopEverything(0);
  });
}

async function main(): Promise<void> {
  const plan = planStack(repoRoot, config);
  // Every service's port is checked before anything starts. The embedded database checks its own, once it
  // has stopped a server an earlier, killed run may have left on it.
  const taken = await takenPorts(plan.map(({ name, port }) => ({ name, port })));
  if (taken.length > 0) {
    fail(
      `${taken.join('; ')}. Stop whatever holds it (is the stack already running?) ` +
        'or move the service with its port variable (see .env.example).',
    );
  }

  mkdirSync(logDir, { recursive: true });
  mkdirSync(dataDir, { recursive: true });

  let serverUrl = config.DATABASE_URL;
  if (!serverUrl) {
    say(
      `starting embedded PostgreSQL on port ${config.EMBEDDED_PG_PORT} ` +
        `(data in ${path.relative(repoRoot, dataDir)}/postgres)`,
    );
    database = startEmbeddedPostgres({
      dataDir: path.join(dataDir, 'postgres'),
      port: config.EMBEDDED_PG_PORT,
      logger: consoleLogger,
      signal: startup.signal,
    });
    serverUrl = (await database).serverUrl;
  }

  // Each database as the services open it: its own <NAME>_DATABASE_URL where set (migrated there, never
  // created), otherwise created on the server when missing.
  await migrateAll({
    migrationsRoot: path.join(repoRoot, 'migrations'),
    serverUrl,
    stopped: () => stopping,
    onMigrated: ({ name, variable }) =>
      say(`database "${name}" is migrated${variable ? ` (${variable})` : ''}`),
  });

  // A stop that came meanwhile has already looked at the list of services: none may start after it.
  if (stopping) return;
  for (const spec of plan) {
    services.push(
      new ServiceProcess({
        name: spec.name,
        cwd: repoRoot,
        entry: path.join('services', spec.service, 'src', 'server.ts'),
        env: { ...process.env, ...spec.env, ...(spec.usesDatabase ? { DATABASE_URL: serverUrl } : {}) },
        logFile: logFileFor(logDir, spec.name),
        console: process.stdout,
      }),
    );
  }
  for (const service of services) {
    void service.exited.then((code) => {
      if (!stopping) say(`${service.name} exited with code ${String(code)}; its log: ${service.logFile}`);
    });
  }

  await Promise.all(
    plan.map((spec, index) =>
      waitUntilReady(
        { name: spec.name, url: `http://127.0.0.1:${spec.port}`, exited: services[index]!.exited },
        config.STACK_READY_TIMEOUT_SECONDS * 1000,
      ),
    ),
  );

  printTable(plan, serverUrl, database !== null);
}

function printTable(plan: ProcessSpec[], serverUrl: string, embedded: boolean): void {
  const rows: Array<[string, string, string]> = plan.map((spec) => [
    spec.name,
    `http://127.0.0.1:${spec.port}`,
    path.relative(repoRoot, logFileFor(logDir, spec.name)),
  ]);
  rows.push([embedded ? 'postgres (embedded)' : 'postgres', redactPassword(serverUrl), '']);
  const header: [string, string, string] = ['service', 'url', 'log'];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column]!.length)),
  );
  const line = (cells: string[]): string => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ');
  const lines = [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];
  if (plan.length === 0) lines.push('', 'No services are built yet: only the database runs.');
  lines.push('', 'Every service answers /health, /ready, /metrics and /docs. Ctrl-C stops everything.');
  if (
    plan.some((spec) => spec.service === 'blob-server') &&
    plan.some((spec) => spec.service === 'load-balancer')
  ) {
    lines.push(
      `One more blob server (or one of these again, after it died): pnpm start:node blob-${config.BLOB_SERVER_PORTS.split(',').length + 1}`,
    );
  }
  process.stdout.write(`\n${lines.join('\n')}\n\n`);
  say('ready');
}

main().catch(async (error: unknown) => {
  process.stderr.write(`[stack] ${error instanceof Error ? error.message : String(error)}\n`);
  if (!stopping) await stopEverything(1);
});
