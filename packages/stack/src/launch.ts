// `pnpm start`'s own process (start-services.sh execs it): runs the stack (start.ts) in a session of its own and
// passes on the signals meant for it. A Ctrl-C in the terminal goes to every process of the terminal's
// foreground group; in a session of its own, the stack, its services and its database get none of it. This
// process passes each Ctrl-C (and a SIGTERM, or the terminal's SIGHUP) on as one SIGTERM, so the stack stops
// the services first (they may still be flushing to the database) and the database last. Node's `detached`
// starts the child in a new session on every POSIX system, so no `setsid` program is needed (macOS has none).
// Should this process be killed outright, the child guard makes the stack stop itself all the same.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const TSX = import.meta.resolve('tsx');
const CHILD_GUARD = new URL('./child-guard.ts', import.meta.url).href;
const START = fileURLToPath(new URL('./start.ts', import.meta.url));

const stack = spawn(
  process.execPath,
  ['--import', TSX, '--import', CHILD_GUARD, START, ...process.argv.slice(2)],
  {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    detached: true,
  },
);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => stack.kill('SIGTERM'));
}
stack.once('error', (error) => {
  process.stderr.write(`[stack] could not start: ${error.message}\n`);
  process.exit(1);
});
stack.once('exit', (code, signal) => {
  process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0));
});
