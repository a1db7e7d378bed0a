// dockerd changes the machine's firewall and forwarding as it starts: it adds its DOCKER chains and rules to the
// filter and nat tables, sets the FORWARD policy to DROP and turns on net.ipv4.ip_forward, and leaves all of it
// behind when it stops. snapshotNetfilter() records both before the private daemon starts; the function it returns
// undoes, after the daemon has stopped, exactly what appeared meanwhile (rules, chains, policies, forwarding) and
// nothing else, so a machine's own rules and a Docker it runs itself stay as they were.
import { readFile, writeFile } from 'node:fs/promises';
import { run, succeeds } from './commands.js';

const TABLES = ['filter', 'nat'] as const;
const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

/** `iptables -S` output split into arguments; quoted arguments (comments) stay whole. */
export function splitRule(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((match) => match[1] ?? match[2]!);
}

/**
 * The iptables commands that undo what a table gained between two `iptables -S` listings: the rules added
 * deleted (last first), then the chains added, then the policies changed put back.
 */
export function undoCommands(before: string[], after: string[]): string[][] {
  const had = new Set(before);
  const added = after.filter((line) => !had.has(line));
  const commands: string[][] = [];
  for (const line of added.filter((entry) => entry.startsWith('-A ')).reverse()) {
    commands.push(['-D', ...splitRule(line).slice(1)]);
  }
  for (const line of added.filter((entry) => entry.startsWith('-N '))) {
    const chain = splitRule(line)[1]!;
    commands.push(['-F', chain], ['-X', chain]);
  }
  for (const line of before.filter((entry) => entry.startsWith('-P '))) {
    if (!after.includes(line)) commands.push(splitRule(line));
  }
  return commands;
}

async function rules(table: string): Promise<string[]> {
  const { stdout } = await run('iptables', ['-t', table, '-S']);
  return stdout.split('\n').filter((line) => line.trim() !== '');
}

export async function snapshotNetfilter(): Promise<() => Promise<void>> {
  const forwarding = await readFile(IP_FORWARD, 'utf8').catch(() => undefined);
  const usable = await succeeds('iptables', ['-n', '-L']);
  const before = new Map<string, string[]>();
  if (usable) for (const table of TABLES) before.set(table, await rules(table));
  return async () => {
    for (const [table, lines] of before) {
      for (const command of undoCommands(lines, await rules(table))) {
        // One rule that will not go (another program removed it first) must not keep the others.
        await run('iptables', ['-t', table, ...command]).catch(() => undefined);
      }
    }
    if (forwarding !== undefined) await writeFile(IP_FORWARD, forwarding).catch(() => undefined);
  };
}
