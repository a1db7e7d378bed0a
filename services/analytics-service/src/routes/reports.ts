// The report endpoints of docs/analytics-project.md. The handlers translate between HTTP and the store:
// parameters are validated by the schemas (plus the earliest-date and range rules, which need arithmetic),
// hours and days are computed in reports/hour-window.ts and reports/day-range.ts, SQL is in
// reports/report-store.ts.
import { describeUnavailable, isDatabaseUnavailable } from '@backend-rebase/db';
import { parseTimestamp } from '@backend-rebase/page-views';
import {
  answerUnavailableWhen,
  HttpProblem,
  ProblemSchema,
  type Clock,
  type FastifyPluginAsyncTypebox,
} from '@backend-rebase/service-kit';
import type { preValidationHookHandler } from 'fastify';
import { dailyRange, dayOf, EARLIEST_DAY, formatDay, parseDay } from '../reports/day-range.js';
import { EARLIEST_NOW_MS, reportHours } from '../reports/hour-window.js';
import type { ReportStore } from '../reports/report-store.js';
import {
  DailyQuery,
  DailyReport,
  HourlyReport,
  PageParams,
  ReportQuery,
  TopQuery,
  TopReport,
} from './schemas.js';

export interface ReportRoutesOptions {
  store: ReportStore;
  /** the clock `now` and today default to */
  now: Clock;
}

const TAGS = ['reports'];
const unavailable = (error: unknown) =>
  `${describeUnavailable(error, 'The analytics database')}; retry in a few seconds.`;
const problems = { 400: ProblemSchema, 503: ProblemSchema };

export const reportRoutes: FastifyPluginAsyncTypebox<ReportRoutesOptions> = async (
  app,
  { store, now: clock },
) => {
  answerUnavailableWhen(app, isDatabaseUnavailable, unavailable);

  app.get(
    '/report/:page',
    {
      schema: {
        tags: TAGS,
        summary: "The page's views in each of the complete UTC hours before the hour that contains `now`",
        params: PageParams,
        querystring: ReportQuery,
        response: { 200: HourlyReport, ...problems },
      },
      preValidation: normaliseReportQuery,
    },
    async (request) => {
      const { now, order, take } = request.query;
      const at = now === undefined ? clock() : instantOrProblem(now);
      const hours = await store.hourly(request.params.page, reportHours(at, take));
      const data = hours.map(({ hour, views }) => ({ h: new Date(hour).toISOString(), v: views }));
      return { data: order === 'desc' ? data.reverse() : data };
    },
  );

  app.get(
    '/reports/top',
    {
      schema: {
        tags: TAGS,
        summary: "The day's most viewed pages, from the daily view",
        querystring: TopQuery,
        response: { 200: TopReport, ...problems },
      },
    },
    async (request) => {
      const { day: dayText, limit } = request.query;
      const day = dayText === undefined ? dayOf(clock()) : dayOrProblem('day', dayText);
      const { refreshedAt, rows } = await store.top(day, limit);
      return { day: formatDay(day), refreshedAt: refreshedAt?.toISOString() ?? null, data: rows };
    },
  );

  app.get(
    '/reports/daily/:page',
    {
      schema: {
        tags: TAGS,
        summary: "The page's views on each UTC day from `from` to `to`, from the daily view",
        params: PageParams,
        querystring: DailyQuery,
        response: { 200: DailyReport, ...problems },
      },
    },
    async (request) => {
      const { page } = request.params;
      const { from, to } = request.query;
      const range = dailyRange(
        {
          from: from === undefined ? undefined : dayOrProblem('from', from),
          to: to === undefined ? undefined : dayOrProblem('to', to),
        },
        dayOf(clock()),
      );
      if (!range.ok) {
        const fields = range.fields.map((field) => `querystring/${field}`);
        throw new HttpProblem(400, `${fields.join(', ')}: ${range.problem}`, {
          errors: fields.map((field) => ({ field, message: range.problem })),
        });
      }
      const { refreshedAt, rows } = await store.daily(page, range.from, range.to);
      return {
        page,
        refreshedAt: refreshedAt?.toISOString() ?? null,
        data: rows.map(({ day, views }) => ({ day: formatDay(day), views })),
      };
    },
  );
};

// Before validation, so the schema stays the one judge: `order` is case-insensitive, and a query string turns
// an unencoded + into a space, so `now=…T13:00:00+02:00` typed into a browser arrives as `…T13:00:00 02:00`.
// A space can stand there for nothing but +, so it is read as one.
const normaliseReportQuery: preValidationHookHandler = (request, _reply, done) => {
  const query = request.query as Record<string, unknown>;
  if (typeof query.order === 'string') query.order = query.order.toLowerCase();
  if (typeof query.now === 'string') query.now = query.now.replace(/ (\d{2}(?::?\d{2})?)$/, '+$1');
  done();
};

function instantOrProblem(text: string): number {
  const parsed = parseTimestamp(text);
  if (!parsed.ok) return fieldProblem('now', parsed.reason);
  const instant = parsed.value;
  if (instant < EARLIEST_NOW_MS) return fieldProblem('now', 'must be 1970-01-01T00:00:00Z or later');
  return instant;
}

function dayOrProblem(name: string, text: string): number {
  const day = parseDay(text);
  return day < EARLIEST_DAY ? fieldProblem(name, 'must be 1970-01-01 or later') : day;
}

function fieldProblem(name: string, message: string): never {
  const field = `querystring/${name}`;
  throw new HttpProblem(400, `${field} ${message}`, { errors: [{ field, message }] });
}
