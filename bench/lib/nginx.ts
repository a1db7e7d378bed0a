// Debian's nginx as a baseline: whether it is installed (for scenarios, which leave out or skip what needs it),
// and how a fixture script runs it (bench/fixtures/nginx-*.ts): a configuration written under a folder of its
// own, one worker process like the one Node process it is compared with, no access log, in the foreground,
// stopped gracefully with the fixture's process.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const NGINX = process.env.NGINX ?? '/usr/sbin/nginx';

export function nginxPath(): string | undefined {
  return existsSync(NGINX) ? NGINX : undefined;
}

/**
 * Runs nginx with `http` added to its `http` block (which keeps connections open, takes bodies of up to 64 MiB
 * and writes them to a temp folder); its pid, error log, temp folders and the `folders` given (served files,
 * more temp folders) are under `root`. This process exits when nginx does.
 */
export function runNginx(root: string, folders: string[], http: string): void {
  for (const folder of [...folders, 'logs', 'client-temp'])
    mkdirSync(path.join(root, folder), { recursive: true });
  const config = `
worker_processes 1;
${process.getuid?.() === 0 ? 'user root;' : ''}
error_log ${root}/logs/error.log warn;
pid ${root}/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path ${root}/client-temp;
  client_max_body_size 64m;
${http}
}
`;
  const configFile = path.join(root, 'nginx.conf');
  writeFileSync(configFile, config);
  const nginx = spawn(NGINX, ['-c', configFile, '-p', root, '-g', 'daemon off;'], { stdio: 'inherit' });
  nginx.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => nginx.kill('SIGQUIT'));
}
