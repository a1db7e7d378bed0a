// The Kubernetes manifests (deploy/kubernetes): the base and each overlay render with `kubectl kustomize`, every
// object they render is valid by the Kubernetes API's schema, and they keep what docs/kubernetes.md promises:
// probed, non-root, read-only pods with resources; a PodDisruptionBudget per long-running workload; Services that
// reach their pods; blob servers named after their pods, announcing an address under the headless Service that the
// balancer's registry accepts; only the public services reachable from outside the namespace; tagged images, run
// as their Dockerfile stage says. Without kubectl the rendering tests are skipped with the reason on the console,
// except under CI=true, where they fail: CI must never pass without rendering.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  KUBERNETES_DIR,
  KUSTOMIZATIONS,
  containerEnvironment,
  kubectlMissing,
  renderingSkipped,
  render,
  schemaProblems,
  workloadProblems,
  workloads,
  type Container,
  type KubernetesObject,
  type Workload,
} from './support/kubernetes.js';
import {
  invalidHostReason,
  NODE_NAME_PATTERN,
} from '../../services/load-balancer/src/cluster/node-address.js';
import { ROOT } from './support/compose.js';
import { imageStages } from './support/dockerfile.js';
import { matches, type LabelSelector } from './support/label-selector.js';

const skipped = await renderingSkipped();

const renders = new Map<string, Promise<KubernetesObject[]>>();
/** One rendering per kustomization for the whole file. */
function rendered(kustomization: string): Promise<KubernetesObject[]> {
  let objects = renders.get(kustomization);
  if (objects === undefined) {
    objects = render(new URL(`${kustomization}/`, KUBERNETES_DIR));
    renders.set(kustomization, objects);
  }
  return objects;
}

const podLabels = (workload: Workload) => workload.template.metadata?.labels ?? {};
const nameOf = (workload: Workload) => `${workload.object.kind} ${workload.object.metadata.name}`;

/** The services meant for clients: the only pods anything outside the namespace may connect to. */
const PUBLIC = ['analytics-service', 'cache-proxy', 'increments-service', 'user-service'];

describe('the schema check itself', () => {
  it('refuses a Deployment with a wrong type and a missing required field, naming each', async () => {
    const problems = await schemaProblems({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'broken' },
      spec: {
        replicas: 'three',
        selector: { matchLabels: { app: 'broken' } },
        template: { metadata: { labels: { app: 'broken' } }, spec: { containers: [{ image: 'x' }] } },
      },
    });
    expect(problems).toContain('/spec/replicas must be integer');
    expect(problems).toContain('/spec/template/spec/containers/0 must have required property name');
  });

  it('refuses a resource quantity that is not one', async () => {
    const problems = await schemaProblems({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'greedy' },
      spec: { containers: [{ name: 'c', image: 'x', resources: { limits: { memory: 'lots' } } }] },
    });
    expect(problems.join('\n')).toMatch(/\/spec\/containers\/0\/resources\/limits\/memory/);
  });

  it('refuses a kind or apiVersion it has no schema for, rather than passing it unchecked', async () => {
    expect(
      await schemaProblems({ apiVersion: 'apps/v1', kind: 'Deployent', metadata: { name: 'x' } }),
    ).toEqual(['apps/v1 Deployent is not a Kubernetes type this check knows']);
    expect(
      await schemaProblems({ apiVersion: 'app/v1', kind: 'Deployment', metadata: { name: 'x' } }),
    ).toHaveLength(1);
  });

  it('passes a valid object', async () => {
    expect(
      await schemaProblems({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings' },
        data: { PORT: '3001' },
      }),
    ).toEqual([]);
  });
});

describe('the workload rules themselves', () => {
  const container: Container = {
    name: 'web',
    image: 'backend-rebase/user-service',
    ports: [{ name: 'http', containerPort: 3100 }],
    readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
    livenessProbe: { httpGet: { path: '/health', port: 'http' } },
    resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
  };
  const workload = (changed: Partial<Container>): Workload => ({
    object: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } },
    longRunning: true,
    template: {
      spec: {
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        volumes: [{ name: 'tmp', emptyDir: {} }],
        containers: [{ ...container, ...changed }],
      },
    },
  });

  it('accept a pod that keeps every rule', () => {
    expect(workloadProblems(workload({}))).toEqual([]);
  });

  it('name each rule a pod breaks', () => {
    expect(
      workloadProblems(
        workload({
          readinessProbe: { httpGet: { path: '/health', port: 'http' } },
          livenessProbe: { httpGet: { path: '/health', port: 'metrics' } },
          securityContext: { readOnlyRootFilesystem: true, capabilities: { drop: ['NET_RAW'] } },
          resources: { requests: { cpu: '100m' } },
          volumeMounts: [],
        }),
      ),
    ).toEqual([
      'Deployment web, container web: allowPrivilegeEscalation: false',
      'Deployment web, container web: capabilities must drop ALL',
      'Deployment web, container web: resources.requests.memory is not set',
      'Deployment web, container web: resources.limits.memory is not set',
      'Deployment web, container web: /tmp must be an emptyDir (the root file system is read-only)',
      'Deployment web, container web: readinessProbe must be an HTTP GET of /ready',
      'Deployment web, container web: livenessProbe must use a port the container declares',
    ]);
  });
});

describe('a kustomization that cannot render', () => {
  it.skipIf(skipped)('is refused with kubectl’s reason', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'kustomize-broken-'));
    try {
      await writeFile(path.join(folder, 'kustomization.yaml'), 'resources:\n  - missing.yaml\n');
      await expect(render(pathToFileURL(`${folder}/`))).rejects.toThrow(/missing\.yaml/);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe.skipIf(skipped)(
  `kubectl kustomize deploy/kubernetes/…${skipped ? ` (skipped: ${skipped}; under CI=true this fails)` : ''}`,
  () => {
    it('kubectl is there to render with', async () => {
      expect(await kubectlMissing()).toBeUndefined();
    });

    describe.each(KUSTOMIZATIONS)('%s', (kustomization) => {
      it('renders objects that are all valid by the Kubernetes schemas', async () => {
        const objects = await rendered(kustomization);
        expect(objects.length).toBeGreaterThan(20);
        const problems: string[] = [];
        for (const object of objects) {
          for (const problem of await schemaProblems(object)) {
            problems.push(`${object.kind} ${object.metadata.name}: ${problem}`);
          }
        }
        expect(problems).toEqual([]);
      });

      it('runs every pod probed, non-root, read-only, with resources', async () => {
        const all = workloads(await rendered(kustomization));
        expect(all.map(nameOf).sort()).toEqual([
          'CronJob the-wolf',
          'Deployment analytics-service',
          'Deployment cache-proxy',
          'Deployment increments-service',
          'Deployment load-balancer',
          'Deployment user-service',
          'Job migrate',
          'StatefulSet blob-server',
        ]);
        expect(all.flatMap(workloadProblems)).toEqual([]);
      });

      it('gives every long-running workload a PodDisruptionBudget, and every budget a workload', async () => {
        const objects = await rendered(kustomization);
        const budgets = objects.filter((object) => object.kind === 'PodDisruptionBudget');
        const selectorOf = (budget: KubernetesObject) =>
          (budget.spec as { selector: LabelSelector }).selector;
        const longRunning = workloads(objects).filter((workload) => workload.longRunning);
        for (const workload of longRunning) {
          const covering = budgets.filter((budget) => matches(selectorOf(budget), podLabels(workload)));
          expect(
            covering.map((budget) => budget.metadata.name),
            nameOf(workload),
          ).toHaveLength(1);
        }
        for (const budget of budgets) {
          const covered = longRunning.filter((workload) => matches(selectorOf(budget), podLabels(workload)));
          expect(covered, `PodDisruptionBudget ${budget.metadata.name}`).toHaveLength(1);
        }
      });

      it('has every Service reach the pods of one workload, on a port they declare', async () => {
        const objects = await rendered(kustomization);
        for (const service of objects.filter((object) => object.kind === 'Service')) {
          const spec = service.spec as {
            selector?: Record<string, string>;
            ports: Array<{ port: number; targetPort?: number | string }>;
          };
          const at = `Service ${service.metadata.name}`;
          expect(Object.keys(spec.selector ?? {}), at).not.toHaveLength(0);
          const targets = workloads(objects).filter((workload) =>
            matches({ matchLabels: spec.selector ?? {} }, podLabels(workload)),
          );
          expect(targets.map(nameOf), at).toHaveLength(1);
          const declared = targets[0]!.template.spec.containers.flatMap((container) => container.ports ?? []);
          for (const { port, targetPort = port } of spec.ports) {
            const found = declared.some((p) => p.name === targetPort || p.containerPort === targetPort);
            expect(found, `${at} port ${port} → ${targetPort}`).toBe(true);
          }
        }
      });

      it('names each blob server after its pod, announced under the headless Service, with a volume of its own', async () => {
        const objects = await rendered(kustomization);
        const statefulSet = objects.find(
          (o) => o.kind === 'StatefulSet' && o.metadata.name === 'blob-server',
        );
        expect(statefulSet).toBeDefined();
        const spec = statefulSet!.spec as {
          serviceName: string;
          template: { spec: { containers: Container[] } };
          volumeClaimTemplates: Array<{ metadata: { name: string } }>;
        };
        const headless = objects.find((o) => o.kind === 'Service' && o.metadata.name === spec.serviceName);
        expect(headless?.spec).toMatchObject({ clusterIP: 'None', publishNotReadyAddresses: true });

        const [container] = spec.template.spec.containers;
        const env = new Map((container?.env ?? []).map((variable) => [variable.name, variable]));
        expect(env.get('NODE_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
        // Declared after NODE_NAME, so Kubernetes expands the reference: blob-server-0.blob-server, resolved in
        // the namespace through the pod's DNS search path.
        expect([...env.keys()].indexOf('ADVERTISED_HOST')).toBeGreaterThan(
          [...env.keys()].indexOf('NODE_NAME'),
        );
        expect(env.get('ADVERTISED_HOST')?.value).toBe(`$(NODE_NAME).${spec.serviceName}`);

        // What each pod announces is an address the balancer's registry accepts, under a name it accepts.
        const replicas = (statefulSet!.spec as { replicas: number }).replicas;
        for (let ordinal = 0; ordinal < replicas; ordinal++) {
          const pod = {
            name: `blob-server-${ordinal}`,
            namespace: statefulSet!.metadata.namespace ?? 'default',
          };
          const { values } = containerEnvironment(container!, objects, pod);
          expect(values.NODE_NAME).toBe(pod.name);
          expect(values.NODE_NAME).toMatch(new RegExp(NODE_NAME_PATTERN));
          expect(values.ADVERTISED_HOST).toBe(`${pod.name}.${spec.serviceName}`);
          expect(invalidHostReason(values.ADVERTISED_HOST ?? '')).toBeUndefined();
        }

        const claims = spec.volumeClaimTemplates.map((claim) => claim.metadata.name);
        const settings = objects.find(
          (o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('blob-server-settings'),
        );
        const dataDir = (settings as { data: Record<string, string> } | undefined)?.data.DATA_DIR;
        const mount = container?.volumeMounts?.find((m) => dataDir?.startsWith(`${m.mountPath}/`));
        expect(mount && claims.includes(mount.name), `DATA_DIR ${dataDir} on a claimed volume`).toBe(true);
      });

      it('lets only the public services be reached from outside the namespace', async () => {
        const objects = await rendered(kustomization);
        const policies = objects
          .filter((object) => object.kind === 'NetworkPolicy')
          .map(
            (policy) =>
              policy.spec as {
                podSelector: LabelSelector;
                policyTypes?: string[];
                ingress?: Array<{ from?: Array<{ podSelector?: object; namespaceSelector?: object }> }>;
              },
          );
        const outside: string[] = [];
        for (const workload of workloads(objects)) {
          const applying = policies.filter(
            (policy) =>
              (policy.policyTypes ?? ['Ingress']).includes('Ingress') &&
              matches(policy.podSelector, podLabels(workload)),
          );
          // A pod no policy selects accepts everything: every pod must be selected.
          expect(applying.length, `${nameOf(workload)} is selected by a NetworkPolicy`).toBeGreaterThan(0);
          const fromOutside = applying.some((policy) =>
            (policy.ingress ?? []).some(
              (rule) =>
                rule.from === undefined ||
                rule.from.length === 0 ||
                rule.from.some(
                  (peer) => peer.namespaceSelector !== undefined || peer.podSelector === undefined,
                ),
            ),
          );
          if (fromOutside) outside.push(workload.object.metadata.name);
        }
        expect(outside.sort()).toEqual(PUBLIC);
      });

      it('runs only the project’s images, each named backend-rebase/<service folder> (or migrate)', async () => {
        const images = workloads(await rendered(kustomization)).flatMap((workload) =>
          workload.template.spec.containers.map((container) => container.image ?? ''),
        );
        for (const image of images) {
          expect(image).toMatch(
            /(^|\/)backend-rebase\/(blob-server|load-balancer|cache-proxy|user-service|increments-service|analytics-service|the-wolf|migrate)(:[\w.-]+)?$/,
          );
          if (kustomization !== 'base')
            expect(image, 'an overlay pins every tag').toMatch(/:(?!latest$)[\w.-]+$/);
        }
      });
    });

    // The base has no namespace of its own: `kubectl apply -k` of it uses the current one.
    it.each(KUSTOMIZATIONS.filter((k) => k !== 'base'))(
      '%s puts everything in the overlay’s own namespace',
      async (kustomization) => {
        const objects = await rendered(kustomization);
        const namespaces = objects
          .filter((object) => object.kind === 'Namespace')
          .map((o) => o.metadata.name);
        expect(namespaces).toHaveLength(1);
        for (const object of objects.filter((o) => o.kind !== 'Namespace')) {
          expect(object.metadata.namespace, `${object.kind} ${object.metadata.name}`).toBe(namespaces[0]);
        }
      },
    );

    it('runs each image as its Dockerfile stage’s user and command (the wolf’s with --once)', async () => {
      const stages = imageStages(await readFile(new URL('Dockerfile', ROOT), 'utf8'));
      for (const workload of workloads(await rendered('base'))) {
        const pod = workload.template.spec.securityContext as { runAsUser?: number; runAsGroup?: number };
        for (const container of workload.template.spec.containers) {
          const target = /backend-rebase\/([a-z-]+)/.exec(container.image ?? '')?.[1] ?? '';
          const stage = stages.get(target);
          expect(stage, `a Dockerfile stage named ${target}`).toBeDefined();
          const [uid, gid] = (stage?.user ?? '').split(':');
          expect([pod.runAsUser, pod.runAsGroup], `${nameOf(workload)} runs as USER ${stage?.user}`).toEqual([
            Number(uid),
            gid === undefined ? pod.runAsGroup : Number(gid),
          ]);
          if (target === 'the-wolf') {
            expect(container.command).toEqual([...(stage?.cmd ?? []), '--once']);
          } else {
            expect([container.command, container.args], `${nameOf(workload)} runs the image’s CMD`).toEqual([
              undefined,
              undefined,
            ]);
          }
        }
      }
    });

    it('takes the databases from CloudNativePG’s Secrets with the cloudnative-pg component', async () => {
      // An overlay of the user's own, as docs/kubernetes.md shows it: prod plus the component.
      const folder = await mkdtemp(path.join(tmpdir(), 'kustomize-cnpg-'));
      try {
        const kubernetes = path.relative(folder, fileURLToPath(KUBERNETES_DIR));
        await writeFile(
          path.join(folder, 'kustomization.yaml'),
          `resources:\n  - ${kubernetes}/overlays/prod\ncomponents:\n  - ${kubernetes}/components/cloudnative-pg\n`,
        );
        const objects = await render(pathToFileURL(`${folder}/`));
        for (const object of objects) expect(await schemaProblems(object), object.metadata.name).toEqual([]);
        const reads: Record<string, string[]> = {};
        for (const workload of workloads(objects)) {
          for (const variable of workload.template.spec.containers[0]?.env ?? []) {
            const secret = variable.valueFrom?.secretKeyRef;
            if (!/_DATABASE_URL$/.test(variable.name) || secret === undefined) continue;
            (reads[workload.object.metadata.name] ??= []).push(
              `${variable.name}=${secret.name}/${secret.key}${secret.optional ? ' (optional)' : ''}`,
            );
          }
        }
        expect(reads).toEqual({
          'analytics-service': ['ANALYTICS_DATABASE_URL=analytics-db-app/uri'],
          'increments-service': ['ANALYTICS_DATABASE_URL=analytics-db-app/uri'],
          migrate: ['USERS_DATABASE_URL=users-db-app/uri', 'ANALYTICS_DATABASE_URL=analytics-db-app/uri'],
          'the-wolf': ['ANALYTICS_DATABASE_URL=analytics-db-app/uri'],
          'user-service': ['USERS_DATABASE_URL=users-db-app/uri'],
        });
        // The operator, in its own namespace, still reaches the PostgreSQL pods.
        expect(objects.map((o) => `${o.kind} ${o.metadata.name}`)).toContain(
          'NetworkPolicy cloudnative-pg-operator',
        );
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    });

    it('leaves the base’s Secret empty, so the stack fails closed until an overlay fills it', async () => {
      const secret = (await rendered('base')).find((object) => object.kind === 'Secret');
      const data = (secret as { data?: Record<string, string> } | undefined)?.data ?? {};
      expect(Object.keys(data).sort()).toEqual(['DATABASE_URL', 'INTERNAL_TOKEN']);
      expect(Object.values(data).every((value) => value === '')).toBe(true);
    });
  },
);
