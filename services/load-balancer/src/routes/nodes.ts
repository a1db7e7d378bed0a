// The node registry over HTTP (docs/load-balancer.md): POST /internal/nodes to join, move or announce (the
// periodic heartbeat), GET to list, DELETE /internal/nodes/:name to leave. The kit guards /internal/*
// (INTERNAL_TOKEN, or loopback only).
//
// Leaving: a healthy node is drained (off the ring at once, listed with `draining: true` until the rebalancer has
// moved its blobs away); a node that is down is removed at once, and the rebalancer re-replicates its blobs from
// the surviving copies. Either way the node's heartbeats of the same bootId are then refused with 410.
//
// Bodies are JSON whatever Content-Type says (nodes and scripts send text/plain or nothing at all): the scope's
// one parser reads any body as text, up to 16 KiB, and parses it itself, so malformed JSON is a 400 problem like
// every other mistake, never a 415 or a 500. The schema then rejects wrong types and unknown fields (the kit's
// strict body validation), and the host gets its own check (node-address.ts).
import {
  HttpProblem,
  ProblemSchema,
  Type,
  type FastifyPluginAsyncTypebox,
} from '@backend-rebase/service-kit';
import type { HealthChecker } from '../cluster/health-checker.js';
import { invalidHostReason, NODE_NAME_PATTERN, normalizeHost } from '../cluster/node-address.js';
import { viewOf, type NodeRegistry } from '../cluster/node-registry.js';

export interface NodeRoutesOptions {
  registry: NodeRegistry;
  checker: HealthChecker;
  /** the course-mode 403 detail once registration has closed, else undefined */
  registrationClosed: () => string | undefined;
}

const MAX_BODY_BYTES = 16 * 1024;

const NodeName = Type.String({
  pattern: NODE_NAME_PATTERN,
  description: '1 to 50 characters of A-Z a-z 0-9 _ -',
});

const Registration = Type.Object(
  {
    name: NodeName,
    destination: Type.Object(
      {
        host: Type.String({
          minLength: 1,
          maxLength: 253,
          description: 'a host name or an IPv4/IPv6 literal; not 0.0.0.0 or ::',
        }),
        port: Type.Integer({ minimum: 1, maximum: 65535 }),
      },
      { additionalProperties: false },
    ),
    bootId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description:
          'new at each start of the node: the same name, address and bootId again is a heartbeat that changes nothing',
      }),
    ),
  },
  { additionalProperties: false },
);

const NodeSchema = Type.Object(
  {
    name: Type.String(),
    host: Type.String(),
    port: Type.Integer(),
    status: Type.Union([Type.Literal('healthy'), Type.Literal('unhealthy')]),
    registeredAt: Type.String({ format: 'date-time' }),
    lastCheckAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
    bootId: Type.Union([Type.String(), Type.Null()], {
      description: 'the process the node announced itself as; null when it registered without one',
    }),
    draining: Type.Boolean({
      description:
        'off the ring, its blobs being moved away; the node leaves this list once it holds nothing',
    }),
    inSync: Type.Boolean({
      description:
        'a rebalancer pass has given the node every write it missed (false after it joined, was down, or missed a write)',
    }),
  },
  { additionalProperties: false },
);

export const nodeRoutes: FastifyPluginAsyncTypebox<NodeRoutesOptions> = async (app, options) => {
  const { registry, checker } = options;

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: MAX_BODY_BYTES }, (_request, text, done) => {
    // After the course-mode window, a body that cannot be a heartbeat is refused as a late registration.
    const closed = options.registrationClosed();
    if (closed && (typeof text !== 'string' || !isJson(text))) {
      done(new HttpProblem(403, closed));
      return;
    }
    if (typeof text !== 'string' || text.trim() === '') {
      done(new HttpProblem(400, 'the body is empty: send {"name", "destination": {"host", "port"}} as JSON'));
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch (error) {
      done(new HttpProblem(400, `the body is not valid JSON (${(error as Error).message})`));
    }
  });

  app.post(
    '/internal/nodes',
    {
      schema: {
        tags: ['registry'],
        summary:
          'Register a blob server, re-register it (new address or process), or announce it (heartbeat)',
        body: Registration,
        response: {
          200: NodeSchema,
          201: NodeSchema,
          400: ProblemSchema,
          403: ProblemSchema,
          410: ProblemSchema,
        },
      },
      // A heartbeat every few seconds from every node says nothing one by one; registrations are logged apart.
      config: { quietSuccess: true },
      // After the course-mode window no registration is taken, well-formed or not; a registered node's
      // heartbeat still is, or every node would stop announcing itself and a restarted balancer stay empty.
      preValidation: (request, _reply, next) => {
        const closed = options.registrationClosed();
        next(closed && !isHeartbeat(registry, request.body) ? new HttpProblem(403, closed) : undefined);
      },
    },
    async (request, reply) => {
      const { name, destination, bootId } = request.body;
      const hostProblem = invalidHostReason(destination.host);
      if (hostProblem) throw new HttpProblem(400, `body/destination/host ${hostProblem}`);
      const registration = registry.register(
        name,
        { host: normalizeHost(destination.host), port: destination.port },
        bootId,
      );
      if (registration.outcome === 'removed') {
        throw new HttpProblem(
          410,
          `${name} was removed with DELETE /internal/nodes/${name}; it rejoins when it restarts`,
        );
      }
      const { node, outcome } = registration;
      if (outcome === 'heartbeat') return reply.code(200).send(viewOf(node));
      request.logger.info('node registered', {
        node: name,
        host: node.host,
        port: node.port,
        bootId,
        outcome,
      });
      // One check before answering, so the answer (and the next request) sees the node's real status.
      await checker.probe(node);
      return reply.code(outcome === 'joined' ? 201 : 200).send(viewOf(registry.get(name) ?? node));
    },
  );

  app.get(
    '/internal/nodes',
    {
      schema: {
        tags: ['registry'],
        summary: 'List the registered blob servers and their health',
        response: { 200: Type.Object({ data: Type.Array(NodeSchema) }) },
      },
    },
    () => ({ data: registry.list().map(viewOf) }),
  );

  app.delete(
    '/internal/nodes/:name',
    {
      schema: {
        tags: ['registry'],
        summary:
          'Take a blob server out of the cluster: drain it when it is healthy, remove it when it is down',
        params: Type.Object({ name: Type.String() }),
        response: {
          204: Type.Null({
            description:
              'a healthy node is draining (listed with draining: true until its blobs have moved); a node that is down is removed',
          }),
          404: ProblemSchema,
        },
      },
    },
    async (request, reply) => {
      const { name } = request.params;
      const node = registry.get(name);
      if (!node) throw new HttpProblem(404, `there is no node named ${JSON.stringify(name)}`);
      // The registry's listeners log both, and ask the rebalancer for a pass.
      if (registry.isHealthy(name)) registry.drain(name);
      else registry.remove(name);
      return reply.code(204).send(null);
    },
  );
};

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Whether `body` announces a registered node again: the same name, address and process (bootId). */
function isHeartbeat(registry: NodeRegistry, body: unknown): boolean {
  const { name, destination, bootId } = (body ?? {}) as {
    name?: unknown;
    destination?: { host?: unknown; port?: unknown };
    bootId?: unknown;
  };
  if (typeof name !== 'string' || typeof bootId !== 'string' || typeof destination?.host !== 'string') {
    return false;
  }
  const node = registry.get(name);
  return (
    node?.bootId === bootId && node.host === normalizeHost(destination.host) && node.port === destination.port
  );
}
