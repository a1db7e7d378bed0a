// Finds out, before anything starts, whether the ports the stack needs are free, so a taken port is a clear
// message naming the port and its owner-to-be instead of one service dying half-way through start-up.
import { isPortFree } from '@backend-rebase/net';

export async function takenPorts(wanted: Array<{ name: string; port: number }>): Promise<string[]> {
  const checks = await Promise.all(
    wanted.map(async ({ name, port }) => ((await isPortFree(port)) ? null : `${port} (${name})`)),
  );
  return checks.filter((entry): entry is string => entry !== null);
}
