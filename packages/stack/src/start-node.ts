// `pnpm start:node <name>`: one more blob server for the stack `pnpm start` runs, in the foreground. It gets the
// environment of the stack's own blob servers (its data in <STACK_DATA_DIR>/blobs/<name>, the stack's balancer
// as LOAD_BALANCER_URL, a heartbeat every 2 s) on the port node-plan.ts picks, logs to <STACK_LOG_DIR>/<name>.log
// and, prefixed, to this terminal, and stops (one SIGTERM, its graceful shutdown) on Ctrl-C. The same command
// brings back a stack node that was killed (`pnpm start:node blob-2`) on its own port and data. It refuses to
// start when no balancer answers, since a node nobody routes to would only confuse.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isPortFree } from '@backend-rebase/net';
import { loadStackConfig } from './config.js';
import { loadBalancerUrl, serviceExists } from './manifest.js';
import { NodePlanError, planAddedNode } from './node-plan.js';
import { waitUntilReady } from './readiness.js';
import { logFileFor, ServiceProcess } from './service-process.js';

const USAGE = 'usage: pnpm start:node <name>   (e.g. pnpm start:node blob-4; with `pnpm start` running)';
// STACK_ROOT, as for start.ts: the tests point it at a scratch tree of fixture services.
const repoRoot = path.resolve(process.env.STACK_ROOT ?? fileURLToPath(new URL('../../../', import.meta.url)));
const stopGraceMs = 15_000;

function say(line: string): void {
  process.stdout.write(`[start:node] ${line}\n`);
}

function fail(message: string): never {
  process.stderr.write(`[start:node] ${message}\n`);
  process.exit(1);
}

/** The port the balancer has for `name`, if it lists the name (a node added before and now restarted). */
async function registeredPort(balancer: string, name: string): Promise<number | undefined> {
  let response: Response;
  try {
    const token = process.env.INTERNAL_TOKEN;
    response = await fetch(`${balancer}/internal/nodes`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
      signal: AbortSignal.timeout(5000),
    });
  } catch {
    fail(`no load balancer answers at ${balancer}: start the stack with \`pnpm start\` first.`);
  }
  if (response.status !== 200) {
    say(`the balancer's node list answered ${response.status}; picking a port without it`);
    return undefined;
  }
  const { data } = (await response.json()) as { data: Array<{ name: string; port: number }> };
  return data.find((node) => node.name === name)?.port;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length !== 1 || args[0] === '--help' || args[0] === '-h') fail(USAGE);
  const name = args[0]!;
  const config = loadStackConfig(repoRoot);
  if (!serviceExists(repoRoot, 'blob-server')) fail('services/blob-server is not there to run.');
  const balancer = loadBalancerUrl(config);

  let spec;
  try {
    spec = await planAddedNode({
      repoRoot,
      config,
      name,
      registeredPort: await registeredPort(balancer, name),
      isPortFree,
    });
  } catch (error) {
    if (error instanceof NodePlanError) fail(error.message);
    throw error;
  }

  const logDir = path.resolve(repoRoot, config.STACK_LOG_DIR);
  mkdirSync(logDir, { recursive: true });
  const service = new ServiceProcess({
    name,
    cwd: repoRoot,
    entry: path.join('services', spec.service, 'src', 'server.ts'),
    env: { ...process.env, ...spec.env },
    logFile: logFileFor(logDir, name),
    console: process.stdout,
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    say(`stopping ${name}…`);
    const code = await service.stop(stopGraceMs);
    say(`${name} stopped`);
    process.exit(code === 0 || code === null ? 0 : code);
  };
  process.once('exit', () => service.killNow());
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stop());
  void service.exited.then((code) => {
    if (stopping) return;
    say(`${name} exited with code ${String(code)}; its log: ${path.relative(repoRoot, service.logFile)}`);
    process.exit(code === 0 ? 0 : 1);
  });

  const url = `http://127.0.0.1:${spec.port}`;
  await waitUntilReady({ name, url, exited: service.exited }, config.STACK_READY_TIMEOUT_SECONDS * 1000);
  say(
    `${name} is ready at ${url} (data in ${path.relative(repoRoot, spec.env.DATA_DIR!)}, ` +
      `log in ${path.relative(repoRoot, service.logFile)}); it announces itself to ${balancer}.`,
  );
  say(`Rebalancing progress: curl -s ${balancer}/internal/rebalance`);
  say(
    `Ctrl-C stops ${name}; it stays a member, unhealthy, until it comes back. ` +
      `To take it out for good, drain it first: curl -X DELETE ${balancer}/internal/nodes/${name}`,
  );
}

main().catch((error: unknown) => {
  fail(error instanceof Error ? error.message : String(error));
});
