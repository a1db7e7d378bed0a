// What dockerfile.test.ts lints the Dockerfile with, as hadolint is not installable here: dockerfile-utils (the
// validator of the VS Code Docker extension) for the syntax, and the rules the images need, read from the
// Dockerfile's syntax tree (dockerfile-ast) stage by stage, each broken rule returned as a sentence naming the
// stage, so a test can show both the real Dockerfile passing and a broken copy failing with the reason.
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';

interface Stage {
  /** The name after AS; null for an unnamed stage. */
  name: string | null;
  /** What it is built FROM: an image, or an earlier stage's name. */
  from: string;
  instructions: Instruction[];
}

/** The build stages in order, each with its own instructions (FROM first). */
function stagesOf(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const args = instruction.getArguments().map((argument) => argument.getValue());
      const as = args.findIndex((argument) => argument.toUpperCase() === 'AS');
      stages.push({
        name: as === -1 ? null : (args[as + 1] ?? null),
        from: args.find((argument) => !argument.startsWith('--')) ?? '',
        instructions: [instruction],
      });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return stages;
}

/** The stages one can build with --target. */
export function dockerfileTargets(text: string): string[] {
  return stagesOf(text).flatMap(({ name }) => (name === null ? [] : [name]));
}

/** What the image of a target runs: its USER and exec-form CMD, its own or inherited from the stage it is built FROM. */
export interface ImageStage {
  user: string | undefined;
  cmd: string[] | undefined;
}

/** Each target's image (kubernetes.test.ts checks the pods run as the image's user and command). */
export function imageStages(text: string): Map<string, ImageStage> {
  const stages = stagesOf(text);
  return new Map(
    stages.flatMap((stage): Array<[string, ImageStage]> => {
      if (stage.name === null) return [];
      const cmd = effective(stages, stage, 'CMD');
      return [
        [
          stage.name,
          {
            user: effective(stages, stage, 'USER')?.getRawArgumentsContent()?.trim(),
            cmd: cmd ? execForm(cmd) : undefined,
          },
        ],
      ];
    }),
  );
}

/** Syntax errors and warnings of dockerfile-utils' validator: "line N: message". */
export function syntaxProblems(text: string): string[] {
  return validate(text).map((diagnostic) => {
    const message = typeof diagnostic.message === 'string' ? diagnostic.message : diagnostic.message.value;
    return `line ${diagnostic.range.start.line + 1}: ${message}`;
  });
}

/** The stage and the stages it is built FROM, nearest first. */
function lineage(stages: Stage[], stage: Stage): Stage[] {
  const chain = [stage];
  for (let parent = stages.find(({ name }) => name === stage.from); parent;) {
    chain.push(parent);
    const from = parent.from;
    parent = stages.find(({ name }) => name === from);
  }
  return chain;
}

/** The last instruction with this keyword that a stage ends up with, its own or inherited. */
function effective(stages: Stage[], stage: Stage, keyword: string): Instruction | undefined {
  for (const ancestor of lineage(stages, stage)) {
    const found = ancestor.instructions.filter((instruction) => instruction.getKeyword() === keyword).at(-1);
    if (found) return found;
  }
  return undefined;
}

/** JSON (exec) form arguments, or undefined for the shell form. */
function execForm(instruction: Instruction): string[] | undefined {
  const raw = instruction.getRawArgumentsContent()?.trim() ?? '';
  const json = raw.slice(raw.indexOf('['));
  if (!json.startsWith('[')) return undefined;
  try {
    const parsed = JSON.parse(json) as unknown;
    return Array.isArray(parsed) && parsed.every((item) => typeof item === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function envOf(stages: Stage[], stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ancestor of lineage(stages, stage).reverse()) {
    for (const instruction of ancestor.instructions) {
      if (instruction.getKeyword() !== 'ENV') continue;
      for (const [, name, value] of (instruction.getRawArgumentsContent() ?? '').matchAll(
        /([A-Za-z_][A-Za-z0-9_]*)=(\S+)/g,
      )) {
        env[name!] = value!;
      }
    }
  }
  return env;
}

export interface DockerfileRules {
  /** The service folders: each must be a target. */
  services: string[];
  /** The base image every stage starts from. */
  baseImage: string;
  /** pnpm's version, as package.json's packageManager names it. */
  pnpmVersion: string;
}

/** The rules the images need, beyond the syntax: one sentence per broken rule. */
export function dockerfileProblems(text: string, rules: DockerfileRules): string[] {
  const problems: string[] = [];
  const stages = stagesOf(text);
  const names = new Set(stages.map(({ name }) => name));

  for (const stage of stages) {
    if (names.has(stage.from)) continue;
    if (stage.from !== rules.baseImage) {
      problems.push(`${stage.name ?? 'a stage'} starts from ${stage.from}, not ${rules.baseImage}`);
    }
    if (!/^[^:@]+(:[\w][\w.-]*)(@sha256:[0-9a-f]{64})?$/.test(stage.from) || /:latest\b/.test(stage.from)) {
      problems.push(`${stage.name ?? 'a stage'} starts from ${stage.from}: pin a tag (not latest)`);
    }
  }

  const runs = stages.flatMap(({ instructions }) =>
    instructions
      .filter((instruction) => instruction.getKeyword() === 'RUN')
      .map((run) => run.getRawArgumentsContent() ?? ''),
  );
  if (!runs.some((run) => run.includes(`npm install --global pnpm@${rules.pnpmVersion}`))) {
    problems.push(
      `pnpm must be installed with npm, pinned to ${rules.pnpmVersion} (package.json's packageManager)`,
    );
  }
  const allInstructions = stages.flatMap(({ instructions }) => instructions);
  const fetchAt = allInstructions.findIndex((instruction) =>
    /\bpnpm fetch\b/.test(instruction.getRawArgumentsContent() ?? ''),
  );
  const sourcesAt = allInstructions.findIndex(
    (instruction) =>
      instruction.getKeyword() === 'COPY' &&
      /^\.\s+\.$/.test((instruction.getRawArgumentsContent() ?? '').trim()),
  );
  if (fetchAt === -1 || (sourcesAt !== -1 && sourcesAt < fetchAt)) {
    problems.push(
      '`pnpm fetch` must run on the lockfile before the sources are copied, so its layer is reused',
    );
  }
  if (!runs.some((run) => /pnpm .*deploy .*--prod/.test(run))) {
    problems.push('the runtime packages must come from `pnpm deploy --prod`');
  }

  for (const target of [...rules.services, 'migrate']) {
    const stage = stages.find(({ name }) => name === target);
    if (stage === undefined) {
      problems.push(`no target ${target}`);
      continue;
    }
    const user = effective(stages, stage, 'USER')?.getRawArgumentsContent()?.trim();
    if (user === undefined || /^(root|0)(:|$)/.test(user)) problems.push(`${target} runs as root`);
    const cmd = effective(stages, stage, 'CMD');
    const command = cmd && execForm(cmd);
    if (command === undefined || command[0] !== 'node') {
      problems.push(`${target} must run node itself, in the exec form: CMD ["node", …]`);
    }
    if (effective(stages, stage, 'ENTRYPOINT') !== undefined) {
      problems.push(`${target} has an ENTRYPOINT: node must be the command`);
    }
    if (envOf(stages, stage).NODE_ENV !== 'production')
      problems.push(`${target} must set NODE_ENV=production`);
    if (
      lineage(stages, stage).some(({ instructions }) =>
        instructions.some((i) =>
          /\b(pnpm|tsx)\b/.test(i.getKeyword() === 'RUN' ? (i.getRawArgumentsContent() ?? '') : ''),
        ),
      )
    ) {
      problems.push(`${target} runs pnpm or tsx in its own stages: the runtime image has neither`);
    }
    const healthcheck = effective(stages, stage, 'HEALTHCHECK')?.getRawArgumentsContent() ?? '';
    if (target === 'migrate') continue;
    if (!/\bCMD\b/.test(healthcheck)) problems.push(`${target} has no HEALTHCHECK`);
    else if (/\b(curl|wget)\b/.test(healthcheck))
      problems.push(
        `${target}'s HEALTHCHECK needs ${/curl/.test(healthcheck) ? 'curl' : 'wget'}, which the image does not have`,
      );
    else if (!healthcheck.includes('/health')) problems.push(`${target}'s HEALTHCHECK must ask /health`);
  }
  return problems;
}

/** What .dockerignore must keep out of the build context. */
export function dockerignoreProblems(text: string, required: string[]): string[] {
  const patterns = new Set(
    text
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
  return required
    .filter((path) => !patterns.has(path) && !patterns.has(`**/${path}`))
    .map((path) => `.dockerignore does not keep ${path} out of the build context`);
}
