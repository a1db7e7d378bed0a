// What a system program prints, for the best-effort questions asked about other processes (who holds a port,
// what a process is): undefined when the program is missing, fails, or takes longer than 5 s.
import { execFile } from 'node:child_process';

export function commandOutput(command: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(command, args, { timeout: 5_000 }, (error, stdout) => resolve(error ? undefined : stdout));
  });
}
