// The endpoints of docs/analytics-project.md (increments service). The handlers turn a request into hourly views,
// hand them to the group commit and answer once they are committed: 200 {accepted}, 400 naming the field for bad
// input (before anything is queued, so a rejected request changes nothing), 503 when the views were refused or
// the flush that held them failed, with `outcome` saying whether they were surely not counted (retrying is safe)
// or might have been (the connection was lost while the statement was in flight: retrying may count them twice).
import { floorToHour, HOUR_MS, pageProblem, parseMultiKey, parseTimestamp } from '@backend-rebase/page-views';
import {
  HttpProblem,
  ProblemSchema,
  type Clock,
  type FastifyPluginAsyncTypebox,
} from '@backend-rebase/service-kit';
import type { IncrementMetrics } from '../metrics.js';
import { Closed, Overloaded, type GroupCommit, type HourlyViews } from '../page-views/group-commit.js';
import { flushOutcome } from '../page-views/hourly-store.js';
import { Accepted, MAX_PAIRS, MultiViews, NotCommitted, SingleView } from './schemas.js';

export interface PageViewRoutesOptions {
  groupCommit: GroupCommit;
  metrics: IncrementMetrics;
  now: Clock;
}

const TAGS = ['page views'];
const response = { 200: Accepted, 400: ProblemSchema, 415: ProblemSchema, 503: NotCommitted };

export const pageViewRoutes: FastifyPluginAsyncTypebox<PageViewRoutesOptions> = async (
  app,
  { groupCommit, metrics, now: clock },
) => {
  // Bodies are JSON: without Fastify's text/plain parser, every other content type is a 415.
  app.removeContentTypeParser('text/plain');

  async function commit(views: HourlyViews[]): Promise<{ accepted: number }> {
    try {
      await groupCommit.add(views);
    } catch (error) {
      throw unavailable(error);
    }
    const accepted = views.reduce((sum, view) => sum + view.views, 0);
    metrics.accepted(accepted);
    return { accepted };
  }

  // At thousands of views a second a log line each would be most of the work; the metrics count them, and
  // every failure is still logged.
  const config = { quietSuccess: true };
  const singleRoute = {
    config,
    schema: {
      tags: TAGS,
      summary: "Count one view of a page in its timestamp's UTC hour",
      body: SingleView,
      response,
    },
  };
  const single = async (body: SingleView) => {
    const now = clock();
    const problem = pageProblem(body.page);
    if (problem) throw new HttpProblem(400, `body/page ${problem}`);
    const hour = body.timestamp === undefined ? floorToHour(now) : timestampHour(body.timestamp, now);
    return commit([{ page: body.page, hour, views: 1 }]);
  };
  app.post('/page-views/single', singleRoute, (request) => single(request.body));
  app.post(
    '/increments/single',
    {
      ...singleRoute,
      schema: { ...singleRoute.schema, summary: 'The same as /page-views/single (older path)' },
    },
    (request) => single(request.body),
  );

  app.post(
    '/page-views/multi',
    {
      config,
      schema: {
        tags: TAGS,
        summary: 'Add counts to many (page, UTC hour) buckets at once, all or nothing',
        body: MultiViews,
        response,
      },
    },
    (request) => commit(multiViews(request.body, clock())),
  );
};

function timestampHour(timestamp: string, now: number): number {
  const parsed = parseTimestamp(timestamp);
  if (!parsed.ok) throw new HttpProblem(400, `body/timestamp ${parsed.reason}`);
  if (parsed.value > now + HOUR_MS) {
    throw new HttpProblem(
      400,
      `body/timestamp must be at most 1 hour in the future, got ${timestamp} (the server's time is ${new Date(now).toISOString()})`,
    );
  }
  return floorToHour(parsed.value);
}

function multiViews(body: MultiViews, now: number): HourlyViews[] {
  let pairs = 0;
  for (const hours of Object.values(body)) pairs += Object.keys(hours).length;
  if (pairs > MAX_PAIRS) {
    throw new HttpProblem(
      400,
      `body has ${pairs} (page, hour) pairs; at most ${MAX_PAIRS} are allowed per request`,
    );
  }

  const views: HourlyViews[] = [];
  const latestHour = floorToHour(now + HOUR_MS);
  for (const [page, hours] of Object.entries(body)) {
    const field = `body[${quote(page)}]`;
    const problem = pageProblem(page);
    if (problem) throw new HttpProblem(400, `${field}: the page ${problem}`);
    for (const [key, count] of Object.entries(hours)) {
      const parsed = parseMultiKey(key);
      if (!parsed.ok) throw new HttpProblem(400, `${field}[${quote(key)}]: the key ${parsed.reason}`);
      if (parsed.value > latestHour) {
        throw new HttpProblem(400, `${field}[${quote(key)}]: the hour must be at most 1 hour in the future`);
      }
      views.push({ page, hour: parsed.value, views: count });
    }
  }
  return views;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 60)}…` : text);
}

function unavailable(error: unknown): HttpProblem {
  // Refused before anything was sent: the service is shutting down, or too much is waiting already.
  if (error instanceof Overloaded || error instanceof Closed) {
    return problem503('not-counted', `the views were not counted: ${error.message}; retry shortly`, error);
  }
  if (flushOutcome(error) === 'not-counted') {
    return problem503(
      'not-counted',
      'the views were not counted: the analytics database did not commit them; retrying is safe',
      error,
    );
  }
  return problem503(
    'unknown',
    'the views may or may not have been counted: the connection to the analytics database failed while it ' +
      'was writing them; retrying may count them twice',
    error,
  );
}

function problem503(outcome: 'not-counted' | 'unknown', detail: string, cause: unknown): HttpProblem {
  return Object.assign(new HttpProblem(503, detail, { outcome }), { cause });
}
