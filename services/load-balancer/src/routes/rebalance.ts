// GET /internal/rebalance: what the background rebalancer is doing, or did last — for operators and the probe
// tests that wait for a pass to finish after a membership change.
import { Type, type FastifyPluginAsyncTypebox } from '@backend-rebase/service-kit';
import type { RebalanceControl } from '../rebalance/cluster-view.js';

export interface RebalanceRoutesOptions {
  rebalancer: RebalanceControl;
}

const nullableTime = (description: string) =>
  Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description });

const RebalanceProgressSchema = Type.Object({
  state: Type.Union([Type.Literal('idle'), Type.Literal('running')]),
  startedAt: nullableTime('when the current (or last) pass started; null before the first'),
  finishedAt: nullableTime('when the last pass finished; null while the first runs'),
  trigger: Type.Union([Type.String(), Type.Null()], {
    description: 'what started the current (or last) pass',
  }),
  scanned: Type.Integer({ description: 'ids looked at in the current (or last) pass' }),
  copied: Type.Integer({ description: 'copies written to owners that lacked them' }),
  removed: Type.Integer({ description: 'misplaced copies and expired tombstones purged' }),
  errors: Type.Integer({ description: 'failed requests to nodes' }),
  underReplicated: Type.Integer({
    description:
      'ids whose newest version had fewer than R copies on their owners, in the last finished pass',
  }),
});

export const rebalanceRoutes: FastifyPluginAsyncTypebox<RebalanceRoutesOptions> = async (app, options) => {
  app.get(
    '/internal/rebalance',
    {
      schema: {
        tags: ['ring'],
        summary: 'Progress of the background rebalancer',
        response: { 200: RebalanceProgressSchema },
      },
    },
    () => options.rebalancer.progress,
  );
};
