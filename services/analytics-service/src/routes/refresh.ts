// POST /internal/refresh: refreshes page_views_daily now and answers once it is done, so a test, a benchmark or
// an operator can read reports that include everything written before the call. Internal: the kit's guard
// serves it to loopback clients, or to holders of INTERNAL_TOKEN.
import { describeUnavailable, isDatabaseUnavailable } from '@backend-rebase/db';
import {
  answerUnavailableWhen,
  HttpProblem,
  ProblemSchema,
  type FastifyPluginAsyncTypebox,
} from '@backend-rebase/service-kit';
import { RefreshCancelled, type ViewRefresher } from '../reports/view-refresher.js';
import { RefreshResult } from './schemas.js';

export interface RefreshRoutesOptions {
  refresher: ViewRefresher;
}

export const refreshRoutes: FastifyPluginAsyncTypebox<RefreshRoutesOptions> = async (app, { refresher }) => {
  answerUnavailableWhen(
    app,
    isDatabaseUnavailable,
    (error) => `${describeUnavailable(error, 'The analytics database')}; retry the refresh in a few seconds.`,
  );

  app.post(
    '/internal/refresh',
    {
      config: { internal: true },
      schema: {
        tags: ['operations'],
        summary: 'Refresh the daily view now; answers when the refresh is done',
        response: { 200: RefreshResult, 409: ProblemSchema, 503: ProblemSchema },
      },
    },
    async () => {
      const outcome = await refresher.refresh().catch((error: unknown) => {
        if (!(error instanceof RefreshCancelled)) throw error;
        const detail =
          'The service is shutting down: the refresh was cancelled and rolled back; retry on another instance.';
        throw Object.assign(new HttpProblem(503, detail), { cause: error });
      });
      if (!outcome.refreshed) {
        throw new HttpProblem(
          409,
          'Another instance is refreshing page_views_daily right now (it holds the refresh lock); retry in a moment.',
        );
      }
      return { refreshedAt: outcome.refreshedAt.toISOString(), seconds: outcome.seconds };
    },
  );
};
