// Finds out, before anything starts, whether the ports the stack needs are free, so a taken port is a clear
// message naming the port, its owner-to-be and, when the system tells, the program that holds it, instead of
// one service dying half-way through start-up.
import { describePortOwner, isPortFree } from '@backend-rebase/net';

/** One sentence per taken port: "port 3100 (user-service) is already in use by process 42 (node x.js)". */
export async function takenPorts(wanted: Array<{ name: string; port: number }>): Promise<string[]> {
  const checks = await Promise.all(
    wanted.map(async ({ name, port }) => {
      if (await isPortFree(port)) return null;
      const owner = await describePortOwner(port);
      return `port ${port} (${name}) is already in use${owner ? ` by ${owner}` : ''}`;
    }),
  );
  return checks.filter((entry): entry is string => entry !== null);
}
