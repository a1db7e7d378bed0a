// Reading the Kubernetes manifests the way a user applies them: `kubectl kustomize <dir>` renders a kustomization
// into the objects `kubectl apply -k <dir>` would send, and each one is checked against the Kubernetes API's own
// OpenAPI schema (kubernetes-models: the schema of the object's apiVersion and kind, with formats such as
// quantities). The schemas do not refuse unknown fields (the API server does, with strict field validation),
// which is why kubernetes.test.ts also asserts the fields that matter (probes, security context, …) are there.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);

export const KUBERNETES_DIR = new URL('../../kubernetes/', import.meta.url);

/** The kustomizations a user can apply: the base and every overlay. */
export const KUSTOMIZATIONS = ['base', 'overlays/dev', 'overlays/prod'] as const;

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** Why kubectl cannot render here, or undefined when it can. */
export async function kubectlMissing(): Promise<string | undefined> {
  try {
    await run('kubectl', ['version', '--client'], { timeout: 30_000 });
    return undefined;
  } catch (error) {
    return `kubectl is not usable here (${(error as Error).message.split('\n')[0]}); install kubectl (it includes kustomize)`;
  }
}

/**
 * Why the rendering tests are skipped here, or undefined when they run: they are skipped only when kubectl is
 * missing and this is not CI (CI=true), and then said so on the console; in CI a missing kubectl is a failure.
 */
export async function renderingSkipped(): Promise<string | undefined> {
  const missing = await kubectlMissing();
  const inCi = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false';
  if (missing === undefined || inCi) return undefined;
  console.warn(`Kubernetes rendering tests skipped: ${missing}. Under CI=true they fail instead.`);
  return missing;
}

/** `kubectl kustomize <dir>`: the objects, or a rejection with kubectl's own message. */
export async function render(directory: string | URL): Promise<KubernetesObject[]> {
  const { stdout } = await run('kubectl', ['kustomize', fileURLToPath(directory)], {
    maxBuffer: 64 * 1024 * 1024,
    timeout: 60_000,
  });
  return parseObjects(stdout);
}

function parseObjects(text: string): KubernetesObject[] {
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0) throw new Error(document.errors.map(String).join('\n'));
      return document.toJSON() as KubernetesObject | null;
    })
    .filter((object): object is KubernetesObject => object !== null);
}

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;

/**
 * What is wrong with `object` by the schema of its apiVersion and kind: one line per problem (the path and the
 * rule), nothing when it is valid. An apiVersion or kind the models do not have is a problem too: a typo there
 * would otherwise skip the check.
 */
export async function schemaProblems(object: unknown): Promise<string[]> {
  const { apiVersion, kind } = (object ?? {}) as Partial<KubernetesObject>;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !/^[A-Za-z]+$/.test(kind)) {
    return ['apiVersion and kind must be strings naming a Kubernetes type'];
  }
  let module: Record<string, ModelClass | undefined>;
  try {
    // The core group is "v1", every other "group/version": the package's folders are laid out the same way.
    const specifier = `kubernetes-models/${apiVersion}/${kind}`;
    module = (await import(/* @vite-ignore */ specifier)) as Record<string, ModelClass | undefined>;
  } catch {
    return [`${apiVersion} ${kind} is not a Kubernetes type this check knows`];
  }
  const Type = module[kind];
  if (Type === undefined) return [`${apiVersion} ${kind} is not a Kubernetes type this check knows`];
  try {
    new Type(object).validate();
    return [];
  } catch (error) {
    const { errors } = error as { errors?: Array<{ instancePath: string; message?: string }> };
    return errors?.map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`) ?? [String(error)];
  }
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: EnvVar[];
  envFrom?: EnvFromSource[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: SecurityContext;
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    secretKeyRef?: { name: string; key: string; optional?: boolean };
    configMapKeyRef?: { name: string; key: string; optional?: boolean };
  };
}

interface EnvFromSource {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}

interface Probe {
  httpGet?: { path?: string; port: number | string };
}

interface SecurityContext {
  runAsNonRoot?: boolean;
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
  seccompProfile?: { type: string };
}

interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: SecurityContext;
  automountServiceAccountToken?: boolean;
  enableServiceLinks?: boolean;
  volumes?: Array<{ name: string; emptyDir?: object }>;
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: PodSpec;
}

/** The kinds that run pods, and whether their pods are meant to keep running (and so are probed). */
const WORKLOADS: Record<
  string,
  { longRunning: boolean; template: (object: KubernetesObject) => PodTemplate }
> = {
  Deployment: { longRunning: true, template: (o) => (o.spec as { template: PodTemplate }).template },
  StatefulSet: { longRunning: true, template: (o) => (o.spec as { template: PodTemplate }).template },
  Job: { longRunning: false, template: (o) => (o.spec as { template: PodTemplate }).template },
  CronJob: {
    longRunning: false,
    template: (o) =>
      (o.spec as { jobTemplate: { spec: { template: PodTemplate } } }).jobTemplate.spec.template,
  },
};

export interface Workload {
  object: KubernetesObject;
  template: PodTemplate;
  longRunning: boolean;
}

export function workloads(objects: KubernetesObject[]): Workload[] {
  return objects.flatMap((object) => {
    const kind = WORKLOADS[object.kind];
    return kind ? [{ object, template: kind.template(object), longRunning: kind.longRunning }] : [];
  });
}

/**
 * What the stack promises of every pod it runs, and what a workload of it lacks: one line per problem. Long-running
 * pods are probed (/ready for readiness, /health for liveness, on a port the container declares); every container
 * runs as a non-root user, on a read-only root file system with /tmp on an emptyDir, without privilege escalation
 * or capabilities, under the runtime's seccomp profile, with memory and CPU requests and a memory limit (the
 * restricted Pod Security Standard, and then some).
 */
export function workloadProblems({ object, template, longRunning }: Workload): string[] {
  const where = `${object.kind} ${object.metadata.name}`;
  const problems: string[] = [];
  const pod = template.spec;
  if (pod.securityContext?.runAsNonRoot !== true)
    problems.push(`${where}: the pod must set runAsNonRoot: true`);
  if (pod.automountServiceAccountToken !== false) {
    problems.push(
      `${where}: no pod of the stack talks to the API server; automountServiceAccountToken: false`,
    );
  }
  if (pod.enableServiceLinks !== false) {
    problems.push(
      `${where}: enableServiceLinks: false, or every Service adds variables the services do not know`,
    );
  }
  const emptyDirs = new Set((pod.volumes ?? []).filter((v) => v.emptyDir !== undefined).map((v) => v.name));
  for (const container of [...(pod.initContainers ?? []), ...pod.containers]) {
    const at = `${where}, container ${container.name}`;
    const security = container.securityContext ?? {};
    if (security.allowPrivilegeEscalation !== false) problems.push(`${at}: allowPrivilegeEscalation: false`);
    if (security.readOnlyRootFilesystem !== true) problems.push(`${at}: readOnlyRootFilesystem: true`);
    if (!security.capabilities?.drop?.includes('ALL')) problems.push(`${at}: capabilities must drop ALL`);
    if ((security.capabilities?.add ?? []).length > 0) problems.push(`${at}: adds capabilities`);
    const seccomp = security.seccompProfile ?? pod.securityContext?.seccompProfile;
    if (seccomp?.type !== 'RuntimeDefault') problems.push(`${at}: seccompProfile RuntimeDefault`);
    if (security.runAsNonRoot === false) problems.push(`${at}: overrides runAsNonRoot`);
    const { requests = {}, limits = {} } = container.resources ?? {};
    for (const [what, value] of [
      ['requests.cpu', requests.cpu],
      ['requests.memory', requests.memory],
      ['limits.memory', limits.memory],
    ]) {
      if (value === undefined) problems.push(`${at}: resources.${what} is not set`);
    }
    const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp');
    if (tmp === undefined || !emptyDirs.has(tmp.name)) {
      problems.push(`${at}: /tmp must be an emptyDir (the root file system is read-only)`);
    }
    if (longRunning) {
      const ports = new Map((container.ports ?? []).map((port) => [port.name, port.containerPort]));
      for (const [probe, path] of [
        ['readinessProbe', '/ready'],
        ['livenessProbe', '/health'],
      ] as const) {
        const get = container[probe]?.httpGet;
        if (get?.path !== path) {
          problems.push(`${at}: ${probe} must be an HTTP GET of ${path}`);
          continue;
        }
        const declared =
          typeof get.port === 'string' ? ports.has(get.port) : [...ports.values()].includes(get.port);
        if (!declared) problems.push(`${at}: ${probe} must use a port the container declares`);
      }
    }
  }
  return problems;
}

export interface ContainerEnvironment {
  /** Every variable the container names, by `env` or `envFrom` (an optional reference whose key is missing too). */
  names: Set<string>;
  /** The values the container would see: references resolved, $(VAR) expanded; unset ones are absent. */
  values: Record<string, string>;
  /** References that cannot be resolved from the rendered objects (a missing ConfigMap, Secret or key). */
  problems: string[];
}

function decodedData(object: KubernetesObject | undefined): Record<string, string> | undefined {
  if (object === undefined) return undefined;
  const { data = {}, stringData = {} } = object as {
    data?: Record<string, string>;
    stringData?: Record<string, string>;
  };
  if (object.kind !== 'Secret') return { ...data };
  const decoded = Object.fromEntries(
    Object.entries(data).map(([key, value]) => [key, Buffer.from(value, 'base64').toString()]),
  );
  return { ...decoded, ...stringData };
}

/**
 * The environment a container of a rendered workload gets, the way the kubelet builds it: `envFrom` first, then
 * `env` in order, each `$(NAME)` in a value replaced by a variable defined before it (`$$(` stays literal). Field
 * references take the values of a pod named `podName` in `namespace`.
 */
export function containerEnvironment(
  container: Container,
  objects: KubernetesObject[],
  pod: { name: string; namespace: string },
): ContainerEnvironment {
  const values: Record<string, string> = {};
  const names = new Set<string>();
  const problems: string[] = [];
  const find = (kind: string, name: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name);

  for (const source of container.envFrom ?? []) {
    const reference = source.configMapRef ?? source.secretRef;
    const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
    if (reference === undefined) continue;
    const data = decodedData(find(kind, reference.name));
    if (data === undefined) {
      if (!reference.optional) problems.push(`envFrom: no ${kind} ${reference.name}`);
      continue;
    }
    for (const [key, value] of Object.entries(data)) {
      names.add(`${source.prefix ?? ''}${key}`);
      values[`${source.prefix ?? ''}${key}`] = value;
    }
  }

  const expand = (text: string) =>
    text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name?: string) =>
      name === undefined ? '$' : (values[name] ?? whole),
    );
  const FIELDS: Record<string, string> = { 'metadata.name': pod.name, 'metadata.namespace': pod.namespace };

  for (const variable of container.env ?? []) {
    names.add(variable.name);
    const { fieldRef, secretKeyRef, configMapKeyRef } = variable.valueFrom ?? {};
    let value: string | undefined;
    if (variable.valueFrom === undefined) {
      value = expand(variable.value ?? '');
    } else if (fieldRef) {
      value = FIELDS[fieldRef.fieldPath];
      if (value === undefined)
        problems.push(`${variable.name}: field ${fieldRef.fieldPath} is not one this check knows`);
    } else {
      const reference = secretKeyRef ?? configMapKeyRef;
      const kind = secretKeyRef ? 'Secret' : 'ConfigMap';
      if (reference === undefined) continue;
      value = decodedData(find(kind, reference.name))?.[reference.key];
      if (value === undefined) {
        // An optional reference to a missing key leaves the variable unset, as the kubelet does.
        if (reference.optional) continue;
        problems.push(`${variable.name}: ${kind} ${reference.name} has no key ${reference.key}`);
      }
    }
    if (value !== undefined) values[variable.name] = value;
  }
  return { names, values, problems };
}
