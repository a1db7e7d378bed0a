// What each image of the Dockerfile runs, for the Kubernetes checks that must agree with it: the stage named
// after the image's target, and the USER, WORKDIR and CMD it ends with (inherited from the stage it is built
// FROM when it sets none itself). Only the exec (JSON) form of CMD is read, the one the Dockerfile uses.
import { readFileSync } from 'node:fs';

const DOCKERFILE = new URL('../../../Dockerfile', import.meta.url);

export interface ImageStage {
  name: string;
  user?: string;
  workdir?: string;
  cmd?: string[];
}

export function imageStages(text: string = readFileSync(DOCKERFILE, 'utf8')): Map<string, ImageStage> {
  const stages = new Map<string, ImageStage>();
  let current: ImageStage | undefined;
  const instructions = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  for (const line of instructions) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    switch (keyword.toUpperCase()) {
      case 'FROM': {
        const [, base = '', name] = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(rest) ?? [];
        const parent = stages.get(base);
        current = { ...parent, name: name ?? base };
        stages.set(current.name, current);
        break;
      }
      case 'USER':
        if (current) current.user = rest;
        break;
      case 'WORKDIR':
        if (current) current.workdir = rest.startsWith('/') ? rest : `${current.workdir ?? ''}/${rest}`;
        break;
      case 'CMD':
        if (current) current.cmd = JSON.parse(rest) as string[];
        break;
    }
  }
  return stages;
}
