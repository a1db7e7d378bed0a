// The request and response shapes of the analytics routes: one TypeBox source for validation, the handlers'
// types and the OpenAPI description at /docs. A few rules JSON Schema cannot say (the earliest date, a day
// range's length) are checked by the handlers, and described here.
import { PAGE_MAX_LENGTH } from '@backend-rebase/page-views';
import { Type, type Static } from '@backend-rebase/service-kit';

/** As the increments service accepts it: PostgreSQL text cannot hold NUL, and UTF-8 no unpaired surrogate. */
const Page = Type.String({
  minLength: 1,
  maxLength: PAGE_MAX_LENGTH,
  pattern: '^[^\\u0000\\p{Cs}]*$',
  description:
    `the page, 1 to ${PAGE_MAX_LENGTH} characters (Unicode code points), without NUL or unpaired surrogates; ` +
    'URL-encoded in the path (/ is %2F)',
  examples: ['/pricing'],
});

export const PageParams = Type.Object({ page: Page });

/** `YYYY-MM-DD`, a real calendar day (2025-02-30 is refused). */
const Day = (description: string) =>
  Type.String({
    format: 'date',
    description: `${description}; YYYY-MM-DD, 1970-01-01 or later`,
    examples: ['2025-01-31'],
  });

export const ReportQuery = Type.Object({
  now: Type.Optional(
    Type.String({
      format: 'date-time',
      description:
        'report the hours before the hour that contains this instant: RFC 3339 / ISO-8601 with seconds and a zone ' +
        '(Z or an offset such as +02:00; an unencoded + that arrives as a space is read as +), 1970 or later; ' +
        'default the current time; a future instant is allowed',
      examples: ['2025-01-01T13:30:00Z'],
    }),
  ),
  order: Type.Enum(['asc', 'desc'], {
    default: 'asc',
    description: 'asc (oldest hour first, the default) or desc; case-insensitive',
  }),
  take: Type.Integer({ minimum: 1, maximum: 24, default: 24, description: 'how many hours, 1 to 24' }),
});

export const HourlyReport = Type.Object(
  {
    data: Type.Array(
      Type.Object({
        h: Type.String({
          format: 'date-time',
          description: "the hour's start, UTC: 2025-01-01T13:00:00.000Z",
        }),
        v: Type.Integer({ minimum: 0, description: 'views in that hour; 0 when there were none' }),
      }),
    ),
  },
  { additionalProperties: false },
);
export type HourlyReport = Static<typeof HourlyReport>;

const RefreshedAt = Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
  description:
    'when the refresh of the daily view that these numbers come from started (every view committed before ' +
    'then is counted); null before the first refresh',
});

export const TopQuery = Type.Object({
  day: Type.Optional(Day('the UTC day; default today (UTC)')),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 10, description: 'how many pages, 1 to 100' }),
});

export const TopReport = Type.Object(
  {
    day: Type.String({ format: 'date' }),
    refreshedAt: RefreshedAt,
    data: Type.Array(Type.Object({ page: Type.String(), views: Type.Integer({ minimum: 1 }) }), {
      description: 'views descending, then page ascending; pages without views that day are not listed',
    }),
  },
  { additionalProperties: false },
);

export const DailyQuery = Type.Object({
  from: Type.Optional(Day('the first day, inclusive; default `to` minus 29 days (30 days in all)')),
  to: Type.Optional(Day('the last day, inclusive; default today (UTC)')),
});

export const DailyReport = Type.Object(
  {
    page: Type.String(),
    refreshedAt: RefreshedAt,
    data: Type.Array(
      Type.Object({ day: Type.String({ format: 'date' }), views: Type.Integer({ minimum: 0 }) }),
      {
        description: 'every day from `from` to `to` (at most 366), ascending; 0 for days without views',
      },
    ),
  },
  { additionalProperties: false },
);

export const RefreshResult = Type.Object(
  {
    refreshedAt: Type.String({
      format: 'date-time',
      description: 'when this refresh started: every view committed before then is in the daily view',
    }),
    seconds: Type.Number({ description: 'how long the refresh took' }),
  },
  { additionalProperties: false },
);
