// The stack's compose project, driven the same way through either spelling of Compose: the `docker compose`
// plugin (v2) when the docker client has it, else Debian's `docker-compose` (v1.29). Guarantees: every command
// runs against the private daemon, under one project name, with the test's own env file (a user's .env is never
// read or written); waitUntilReady() resolves only when every service is healthy (or running, when it has no
// healthcheck) and every one-shot service other services wait for has exited 0, and otherwise rejects naming each
// service that is not, with its state, its last health check and the last lines of its log.
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'yaml';
import { run, succeeds, which, type RunOptions } from './commands.js';

type Env = Record<string, string>;

interface ComposeService {
  image?: string;
  build?: { target?: string };
  environment?: Record<string, string | null>;
  profiles?: string[];
  ports?: Array<string | { target: number | string; published?: number | string; host_ip?: string }>;
  depends_on?: Record<string, { condition?: string }> | string[];
}

export interface ComposeConfig {
  services: Record<string, ComposeService>;
}

export interface PublishedPort {
  service: string;
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

export class Compose {
  private constructor(
    /** `docker compose` or `docker-compose`, as shown in the summary. */
    readonly spelling: string,
    readonly version: string,
    private readonly command: string,
    private readonly prefix: string[],
    private readonly options: { project: string; file: string; envFile: string; cwd: string; env: Env },
  ) {}

  static async detect(options: { project: string; file: string; envFile: string; cwd: string; env: Env }) {
    const env = options.env;
    if (await succeeds('docker', ['compose', 'version'], { env })) {
      const { stdout } = await run('docker', ['compose', 'version', '--short'], { env });
      return new Compose('docker compose', stdout.trim(), 'docker', ['compose'], options);
    }
    if ((await which('docker-compose')) !== undefined) {
      const { stdout } = await run('docker-compose', ['version', '--short'], { env });
      return new Compose('docker-compose', stdout.trim(), 'docker-compose', [], options);
    }
    throw new Error('neither `docker compose` nor `docker-compose` is installed');
  }

  run(args: string[], extra: RunOptions = {}) {
    const { project, file, envFile, cwd, env } = this.options;
    return run(this.command, [...this.prefix, '-p', project, '-f', file, '--env-file', envFile, ...args], {
      ...extra,
      cwd,
      // The classic builder: BuildKit would want the buildx plugin (docker CLI 23+) or a frontend image from
      // Docker Hub, and Compose v1 builds through the Docker SDK with it anyway.
      env: { ...env, DOCKER_BUILDKIT: '0', COMPOSE_DOCKER_CLI_BUILD: '0', ...extra.env },
    });
  }

  async config(): Promise<ComposeConfig> {
    const { stdout } = await this.run(['config']);
    return parse(stdout) as ComposeConfig;
  }

  /** The services `up` starts: those without a profile. */
  static defaultServices(config: ComposeConfig): string[] {
    return Object.entries(config.services)
      .filter(([, service]) => (service.profiles ?? []).length === 0)
      .map(([name]) => name);
  }

  /** The services others wait for with `service_completed_successfully`: they are done when they exit 0. */
  static oneShotServices(config: ComposeConfig): Set<string> {
    const oneShot = new Set<string>();
    for (const service of Object.values(config.services)) {
      if (Array.isArray(service.depends_on) || !service.depends_on) continue;
      for (const [name, dependency] of Object.entries(service.depends_on)) {
        if (dependency.condition === 'service_completed_successfully') oneShot.add(name);
      }
    }
    return oneShot;
  }

  static publishedPorts(config: ComposeConfig): PublishedPort[] {
    const ports: PublishedPort[] = [];
    for (const name of Compose.defaultServices(config)) {
      for (const port of config.services[name]?.ports ?? []) {
        if (typeof port === 'string') {
          // [host_ip:]published:target[/protocol], as v1 prints it
          const parts = port.replace(/\/\w+$/, '').split(':');
          const [target, published, hostIp] = [parts.at(-1), parts.at(-2), parts.slice(0, -2).join(':')];
          if (published) {
            ports.push({
              service: name,
              hostIp: hostIp || '0.0.0.0',
              hostPort: +published,
              containerPort: +target!,
            });
          }
        } else if (port.published !== undefined && port.published !== '') {
          ports.push({
            service: name,
            hostIp: port.host_ip || '0.0.0.0',
            hostPort: Number(port.published),
            containerPort: Number(port.target),
          });
        }
      }
    }
    return ports;
  }

  async containerId(service: string): Promise<string> {
    const { stdout } = await this.run(['ps', '-q', service]);
    const id = stdout.trim().split('\n')[0];
    if (!id) throw new Error(`no container for the service ${service}`);
    return id;
  }

  async waitUntilReady(config: ComposeConfig, timeoutMs: number): Promise<void> {
    const services = Compose.defaultServices(config);
    const oneShot = Compose.oneShotServices(config);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await this.states();
      const pending = services.filter((service) => {
        const state = states.get(service);
        if (!state) return true;
        if (oneShot.has(service)) return !(state.status === 'exited' && state.exitCode === 0);
        return state.status !== 'running' || (state.health !== undefined && state.health !== 'healthy');
      });
      if (pending.length === 0) return;
      // A service that exited (other than a one-shot that finished) will not become ready by waiting.
      const dead = pending.filter((service) => {
        const state = states.get(service);
        return state && state.status === 'exited' && !(oneShot.has(service) && state.exitCode === 0);
      });
      if (dead.length > 0 || Date.now() > deadline) {
        const why = dead.length > 0 ? 'exited' : `not ready after ${Math.round(timeoutMs / 1000)} s`;
        throw new Error(`${why}: ${pending.join(', ')}\n\n${await this.diagnose(pending, states)}`);
      }
      await sleep(1_000);
    }
  }

  /** Each named service's state, last health check and log tail, for an error message. */
  async diagnose(services: string[], known?: Map<string, ContainerState>): Promise<string> {
    const states = known ?? (await this.states());
    const parts: string[] = [];
    for (const service of services) {
      const state = states.get(service);
      if (!state) {
        parts.push(`── ${service}: no container (it was never created: see what it depends on)`);
        continue;
      }
      const health = state.health ? `, health ${state.health}` : '';
      const exit = state.status === 'exited' ? `, exit code ${state.exitCode}` : '';
      const check = state.lastCheck ? `\n   last health check: ${state.lastCheck.trim().slice(0, 500)}` : '';
      let logs: string;
      try {
        const out = await run('docker', ['logs', '--tail', '30', state.id], { env: this.options.env });
        logs = `${out.stdout}${out.stderr}`.trimEnd();
      } catch (error) {
        logs = `(no logs: ${String(error)})`;
      }
      parts.push(`── ${service}: ${state.status}${exit}${health}${check}\n${indent(logs)}`);
    }
    return parts.join('\n');
  }

  private async states(): Promise<Map<string, ContainerState>> {
    const env = this.options.env;
    const filter = `label=com.docker.compose.project=${this.options.project}`;
    const { stdout: ids } = await run('docker', ['ps', '-a', '-q', '--filter', filter], { env });
    const states = new Map<string, ContainerState>();
    const list = ids.split('\n').filter(Boolean);
    if (list.length === 0) return states;
    const { stdout } = await run('docker', ['inspect', ...list], { env });
    for (const container of JSON.parse(stdout) as InspectedContainer[]) {
      const service = container.Config.Labels['com.docker.compose.service'];
      if (!service) continue;
      const log = container.State.Health?.Log ?? [];
      states.set(service, {
        id: container.Id,
        status: container.State.Status,
        exitCode: container.State.ExitCode,
        health: container.State.Health?.Status,
        lastCheck: log.at(-1)?.Output,
      });
    }
    return states;
  }
}

export interface ContainerState {
  id: string;
  status: string;
  exitCode: number;
  health: string | undefined;
  lastCheck: string | undefined;
}

interface InspectedContainer {
  Id: string;
  Config: { Labels: Record<string, string> };
  State: {
    Status: string;
    ExitCode: number;
    Health?: { Status: string; Log?: Array<{ Output: string }> };
  };
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `   │ ${line}`)
    .join('\n');
}
