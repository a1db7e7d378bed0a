// The services of docker-compose.yml and the environment each one is given, for the settings checks: which
// project service a compose service runs (its `build.target`, or its `image: backend-rebase/<folder>`), and the
// variables its `environment` and `env_file` set, with the values Compose would give them when the shell and .env
// set nothing (each `${VAR:-default}` is its default). Services of other images (PostgreSQL, Flyway) are not the
// project's and are returned without a folder.
import { existsSync, readFileSync } from 'node:fs';
import { COMPOSE_FILE, loadCompose } from './compose.js';
import type { Environment } from './service-settings.js';

interface ComposeService {
  image?: string;
  build?: string | { target?: string };
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: string | Array<string | { path: string; required?: boolean }>;
}

export interface ComposeServiceEnvironment {
  service: string;
  /** The folder under services/, or `migrate`; undefined for an image that is not the project's. */
  folder: string | undefined;
  names: Set<string>;
  values: Environment;
  problems: string[];
}

/** Compose's interpolation with nothing set: `${A:-x}` and `${A-x}` are x, `${A}`, `$A` and `${A:?…}` empty. */
export function interpolateUnset(text: string): string {
  return text.replace(
    /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])((?:[^{}]|\{[^{}]*\})*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_whole, _braced?: string, operator?: string, argument?: string) => {
      if (_whole === '$$') return '$';
      if (operator === '-' || operator === ':-') return interpolateUnset(argument ?? '');
      return '';
    },
  );
}

function folderOf(service: ComposeService): string | undefined {
  if (typeof service.build === 'object' && service.build.target) return service.build.target;
  const image = /(?:^|\/)backend-rebase\/([a-z0-9-]+)(?::[\w.-]+)?$/.exec(service.image ?? '');
  return image?.[1];
}

/** Variable lines of an env file: `NAME=value`, `export NAME=value`; comments and blank lines skipped. */
function envFileEntries(text: string): Array<[string, string]> {
  return text.split('\n').flatMap((line) => {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) return [];
    const value = match[2]!.replace(/^(['"])(.*)\1$/, '$2');
    return [[match[1]!, value]];
  });
}

export function composeEnvironments(file: URL = COMPOSE_FILE): ComposeServiceEnvironment[] {
  const document = loadCompose(readFileSync(file, 'utf8')) as { services?: Record<string, ComposeService> };
  return Object.entries(document.services ?? {}).map(([name, service]) => {
    const names = new Set<string>();
    const values: Environment = {};
    const problems: string[] = [];
    const files = service.env_file === undefined ? [] : [service.env_file].flat();
    for (const entry of files) {
      const { path, required = true } = typeof entry === 'string' ? { path: entry } : entry;
      const location = new URL(path, file);
      if (!existsSync(location)) {
        if (required)
          problems.push(`env_file ${path} is not in the repository: its variables cannot be checked`);
        continue;
      }
      for (const [key, value] of envFileEntries(readFileSync(location, 'utf8'))) {
        names.add(key);
        values[key] = value;
      }
    }
    const environment = service.environment ?? {};
    const entries: Array<[string, string | undefined]> = Array.isArray(environment)
      ? environment.map((item) => {
          const at = item.indexOf('=');
          return at < 0 ? [item, undefined] : [item.slice(0, at), item.slice(at + 1)];
        })
      : Object.entries(environment).map(([key, value]) => [key, value === null ? undefined : String(value)]);
    for (const [key, value] of entries) {
      names.add(key);
      // A bare name passes the shell's value through: unset here.
      values[key] = value === undefined ? undefined : interpolateUnset(value);
    }
    return { service: name, folder: folderOf(service), names, values, problems };
  });
}
