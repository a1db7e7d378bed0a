// Where `pnpm start:node <name>` runs a blob server (start-node.ts): on the port of the stack's own node of that
// name (blob-2 restarted after a kill -9 comes back where it was), else on the port the balancer already has
// for that name (a node added earlier and restarted keeps its address), else on the first free port after
// BLOB_SERVER_PORTS that no other service of the stack is configured to use. Its data folder and environment
// are those of the stack's own blob servers (manifest.ts), so an added node is indistinguishable from them.
import type { StackConfig } from './config.js';
import { blobServerSpec, configuredBlobNodes, type ProcessSpec } from './manifest.js';

/** The blob server's own rule for NODE_NAME. */
const NODE_NAME = /^[A-Za-z0-9_-]{1,50}$/;
const MAX_PORT = 65535;

export class NodePlanError extends Error {}

export interface NodePlanInput {
  repoRoot: string;
  config: StackConfig;
  name: string;
  /** The port the balancer lists for this name, when it knows the name. */
  registeredPort?: number;
  isPortFree(port: number): Promise<boolean>;
}

export async function planAddedNode(input: NodePlanInput): Promise<ProcessSpec> {
  const { config, name } = input;
  if (!NODE_NAME.test(name)) {
    throw new NodePlanError(`"${name}" is not a node name: use 1 to 50 characters of A-Z a-z 0-9 _ -`);
  }
  const reserved = stackPorts(config);
  const known =
    configuredBlobNodes(config).find((node) => node.name === name)?.port ??
    (input.registeredPort !== undefined && !reserved.has(input.registeredPort)
      ? input.registeredPort
      : undefined);
  if (known !== undefined) {
    if (!(await input.isPortFree(known))) {
      throw new NodePlanError(
        `port ${known}, where ${name} runs, is in use: is ${name} running already? ` +
          'Two processes must never share a node name (they would share its data folder).',
      );
    }
    return blobServerSpec(input.repoRoot, config, { name, port: known });
  }
  const after = Math.max(...configuredBlobNodes(config).map((node) => node.port));
  for (let port = after + 1; port <= MAX_PORT; port++) {
    if (!reserved.has(port) && (await input.isPortFree(port))) {
      return blobServerSpec(input.repoRoot, config, { name, port });
    }
  }
  throw new NodePlanError(`no free port after ${after} for ${name}`);
}

/** Every port the stack's configuration gives a service, running or not. */
function stackPorts(config: StackConfig): Set<number> {
  return new Set([
    config.LOAD_BALANCER_PORT,
    ...configuredBlobNodes(config).map((node) => node.port),
    config.CACHE_PROXY_PORT,
    config.USER_SERVICE_PORT,
    config.ANALYTICS_SERVICE_PORT,
    config.INCREMENTS_SERVICE_PORT,
    config.WOLF_PORT,
    config.EMBEDDED_PG_PORT,
  ]);
}
