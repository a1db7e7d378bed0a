// The ring, for people and scripts (docs/load-balancer.md): each node's share of the hash space, and
// where one id lives: its position, its owners whatever their health, and who would serve it right now. Draining
// nodes are not on the ring; R is REPLICATION_FACTOR capped at the number of nodes that are.
import { Type, type FastifyPluginAsyncTypebox } from '@backend-rebase/service-kit';
import type { NodeRegistry } from '../cluster/node-registry.js';
import { effectiveReplicationFactor, placementOf } from '../cluster/placement.js';

export interface RingRoutesOptions {
  registry: NodeRegistry;
  /** REPLICATION_FACTOR as configured */
  replicationFactor: number;
}

export const ringRoutes: FastifyPluginAsyncTypebox<RingRoutesOptions> = async (app, options) => {
  const { registry } = options;
  const replicationFactor = () => effectiveReplicationFactor(registry.ring, options.replicationFactor);

  app.get(
    '/internal/ring',
    {
      schema: {
        tags: ['ring'],
        summary: "Each node's share of the ring and its point count",
        response: {
          200: Type.Object({
            pointsPerNode: Type.Integer(),
            replicationFactor: Type.Integer({
              description: 'R: REPLICATION_FACTOR capped at the number of nodes on the ring',
            }),
            data: Type.Array(
              Type.Object({
                name: Type.String(),
                status: Type.Union([Type.Literal('healthy'), Type.Literal('unhealthy')]),
                points: Type.Integer(),
                share: Type.Number({ description: 'fraction of the hash space this node owns first, 0..1' }),
              }),
            ),
          }),
        },
      },
    },
    () => ({
      pointsPerNode: registry.pointsPerNode,
      replicationFactor: replicationFactor(),
      data: registry.ring.shares().map(({ name, points, share }) => ({
        name,
        status: registry.isHealthy(name) ? ('healthy' as const) : ('unhealthy' as const),
        points,
        share,
      })),
    }),
  );

  app.get(
    '/internal/ring/:id',
    {
      schema: {
        tags: ['ring'],
        summary: 'Where an id lives: its position, owners and serving nodes',
        params: Type.Object({ id: Type.String() }),
        response: {
          200: Type.Object({
            id: Type.String(),
            hash: Type.Integer({
              description: "the id's position: the first 4 bytes of md5(id), little-endian",
            }),
            nodes: Type.Array(Type.String(), {
              description: 'the R owners in ring order, whatever their health',
            }),
            serving: Type.Array(Type.String(), {
              description:
                'the healthy nodes that would serve it now: each owner, or its stand-in when it is down',
            }),
          }),
        },
      },
    },
    (request) => {
      const { id } = request.params;
      const placement = placementOf(
        registry.ring,
        (name) => registry.isHealthy(name),
        id,
        replicationFactor(),
      );
      return { id, hash: placement.hash, nodes: placement.owners, serving: placement.serving };
    },
  );
};
