// The request and response shapes of the increments routes: one TypeBox source for validation, the handlers'
// types and the OpenAPI description at /docs. What JSON Schema cannot say (a timestamp's calendar, the keys
// of /page-views/multi, the pair limit) is checked by the handlers with messages of the same form.
import { PAGE_MAX_LENGTH } from '@backend-rebase/page-views';
import { Type, type Static } from '@backend-rebase/service-kit';
export const MAX_PAIRS = 10_000;
const MAX_COUNT = 1_000_000;

const Page = Type.String({
  minLength: 1,
  maxLength: PAGE_MAX_LENGTH,
  description: `1 to ${PAGE_MAX_LENGTH} characters (Unicode code points), without NUL or unpaired surrogates`,
  examples: ['home'],
});

export const SingleView = Type.Object(
  {
    page: Page,
    timestamp: Type.Optional(
      Type.String({
        description:
          'ISO-8601 with a zone (Z or an offset), at most 1 hour in the future; counts in its UTC hour. Default: now',
        examples: ['2025-01-01T13:45:00Z'],
      }),
    ),
  },
  { additionalProperties: false },
);
export type SingleView = Static<typeof SingleView>;

/** Pages and keys are checked by the handler; the schema checks the counts and the shape. */
export const MultiViews = Type.Record(
  Type.String(),
  Type.Record(
    Type.String(),
    Type.Integer({ minimum: 1, maximum: MAX_COUNT, description: 'views to add to that hour' }),
    { description: 'UTC hour as YYYY-MM-DD_HH:MM (minutes ignored) → count' },
  ),
  {
    description: `page → hours; at most ${MAX_PAIRS} (page, hour) pairs in one request`,
    examples: [{ home: { '2025-01-01_13:00': 3, '2025-01-01_14:00': 1 } }],
  },
);
export type MultiViews = Static<typeof MultiViews>;

export const Accepted = Type.Object(
  { accepted: Type.Integer({ description: 'views added, all committed' }) },
  { additionalProperties: false },
);

/** The 503: a problem that says whether the request's views were counted (see hourly-store.ts). */
export const NotCommitted = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    outcome: Type.Union([Type.Literal('not-counted'), Type.Literal('unknown')], {
      description:
        'not-counted: none of the views was applied, retrying is safe. unknown: the database may have ' +
        'committed them just before the connection failed; retrying may count them twice',
    }),
  },
  { additionalProperties: true, description: 'RFC 9457 problem details, with the outcome for the views' },
);
