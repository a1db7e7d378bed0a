// POST /internal/passes: run a retention pass now and answer with what it removed, for operators and tests.
// The wolf's own schedule does not depend on it. Under /internal/, so the kit's guard keeps it to loopback
// clients, or to holders of INTERNAL_TOKEN. It runs only when no other pass is running (409 otherwise): it never
// queues behind one, since the running pass already removes what this one would.
import { describeUnavailable, isDatabaseUnavailable } from '@backend-rebase/db';
import {
  answerUnavailableWhen,
  HttpProblem,
  ProblemSchema,
  Type,
  type FastifyPluginAsyncTypebox,
} from '@backend-rebase/service-kit';
import type { Wolf } from '../retention/wolf.js';

export interface PassRoutesOptions {
  wolf: Wolf;
  /** aborted when the service shuts down: a pass in progress stops between batches and answers */
  shutdown: AbortSignal;
}

const PassResult = Type.Object(
  {
    status: Type.Union([Type.Literal('finished'), Type.Literal('stopped')], {
      description: 'stopped: the service began shutting down between two batches',
    }),
    deleted: Type.Integer({ description: 'rows deleted' }),
    batches: Type.Integer({ description: 'DELETE statements run' }),
    cutoff: Type.String({
      format: 'date-time',
      description: 'buckets with an hour before this were deleted',
    }),
    seconds: Type.Number(),
  },
  { additionalProperties: false },
);

const BUSY: Record<'busy' | 'locked', string> = {
  busy: 'A retention pass is already running in this process; it removes what this one would.',
  locked: 'Another wolf is running a retention pass on this database; it removes what this one would.',
};

export const passRoutes: FastifyPluginAsyncTypebox<PassRoutesOptions> = async (app, { wolf, shutdown }) => {
  answerUnavailableWhen(
    app,
    isDatabaseUnavailable,
    (error) => `${describeUnavailable(error, 'The analytics database')}; retry in a few seconds.`,
  );

  app.post(
    '/internal/passes',
    {
      schema: {
        tags: ['retention'],
        summary: 'Run a retention pass now: delete the hourly buckets older than RETENTION_HOURS',
        response: { 200: PassResult, 409: ProblemSchema, 503: ProblemSchema },
      },
    },
    async () => {
      const outcome = await wolf.pass({ signal: shutdown });
      if (outcome.status === 'skipped') throw new HttpProblem(409, BUSY[outcome.reason]);
      if (outcome.status === 'failed') throw outcome.error;
      const { status, deleted, batches, cutoff, seconds } = outcome;
      return { status, deleted, batches, cutoff: cutoff.toISOString(), seconds };
    },
  );
};
