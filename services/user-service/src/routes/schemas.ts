// The request and response shapes of the user routes: one TypeBox source for validation, the handlers' types
// and the OpenAPI description at /docs.
import { Type, type Static } from '@backend-rebase/service-kit';

const EMAIL_MAX_LENGTH = 200;

/** Syntax as Ajv's `email` format checks it (a dotted domain, no spaces); matched case-insensitively. */
const Email = Type.String({
  format: 'email',
  maxLength: EMAIL_MAX_LENGTH,
  description: `an email address of at most ${EMAIL_MAX_LENGTH} characters; A@x.io and a@x.io are one user`,
  examples: ['jane@example.com'],
});

/** Only the type here: the length rule applies after trimming, which JSON Schema cannot say (users/full-name.ts). */
const FullName = Type.String({
  description: '1 to 200 characters (Unicode code points) after trimming; stored trimmed',
  examples: ['Jane Doe'],
});

export const User = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'UUIDv7, made by the service' }),
    email: Type.String({ description: 'as spelled when the user was created' }),
    full_name: Type.String(),
    joined_at: Type.String({ format: 'date-time', description: 'UTC, ISO-8601 ending in Z' }),
  },
  { additionalProperties: false },
);
export type User = Static<typeof User>;

export const NewUser = Type.Object({ email: Email, full_name: FullName }, { additionalProperties: false });

/** `email` may be left out; when given, it must be the email of the path. */
export const UserUpdate = Type.Object(
  { full_name: FullName, email: Type.Optional(Email) },
  { additionalProperties: false },
);

export const EmailParams = Type.Object({ email: Email });

export const PageQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'users per page' }),
  cursor: Type.Optional(
    Type.String({ description: 'the `next` of the previous page, as it was given; leave out for the first' }),
  ),
});

export const UserPage = Type.Object(
  {
    data: Type.Array(User),
    next: Type.Union([Type.String(), Type.Null()], {
      description: 'the cursor of the next page; null on the last page',
    }),
  },
  { additionalProperties: false },
);
