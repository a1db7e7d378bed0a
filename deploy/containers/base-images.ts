// The images the stack needs from a registry: the Dockerfile's FROM images (not its own stages, not scratch)
// and the images of the compose services that `up` starts without building them. Guarantees: ARG defaults
// declared before the first FROM are substituted as docker does, so `FROM ${NODE_IMAGE}` names the real image.
import type { ComposeConfig } from './compose.js';
import { Compose } from './compose.js';

export function dockerfileBaseImages(dockerfile: string): string[] {
  // Continuation lines joined, comments dropped: a FROM or ARG never spans lines in practice, but may.
  const lines = dockerfile
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const args = new Map<string, string>();
  const stages = new Set<string>();
  const images: string[] = [];
  let seenFrom = false;
  for (const line of lines) {
    const arg = /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/i.exec(line);
    if (arg?.[1] && !seenFrom) {
      args.set(arg[1], (arg[2] ?? '').replace(/^(["'])(.*)\1$/, '$2'));
      continue;
    }
    const from = /^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (!from?.[1]) continue;
    seenFrom = true;
    const image = from[1].replace(
      /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (_, braced?: string, fallback?: string, bare?: string) =>
        args.get((braced ?? bare)!) || (fallback ?? ''),
    );
    if (image !== 'scratch' && !stages.has(image.toLowerCase()) && !images.includes(image))
      images.push(image);
    if (from[2]) stages.add(from[2].toLowerCase());
  }
  return images;
}

/**
 * The stages other stages copy from (`COPY --from=<stage>`): no image is built on them, so once built they are
 * untagged leaves that `docker image prune` would take, with the cached layers under them.
 */
export function dockerfileCopiedStages(dockerfile: string): string[] {
  const stages = new Set(
    [...dockerfile.matchAll(/^\s*FROM\s+(?:--platform=\S+\s+)?\S+\s+AS\s+(\S+)\s*$/gim)].map((m) =>
      m[1]!.toLowerCase(),
    ),
  );
  const copied = [...dockerfile.matchAll(/^\s*COPY\s+(?:--\S+\s+)*?--from=(\S+)/gim)].map((m) =>
    m[1]!.toLowerCase(),
  );
  return [...new Set(copied.filter((stage) => stages.has(stage)))];
}

export function composePulledImages(config: ComposeConfig): string[] {
  return Compose.defaultServices(config)
    .map((name) => config.services[name])
    .filter((service) => service !== undefined && service.build === undefined && service.image !== undefined)
    .map((service) => service!.image!);
}
