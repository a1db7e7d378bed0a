-- The users of the user service (shared/spec/users.md). Ids are UUIDv7, made by the service. A user is never
-- deleted for real: `deleted_since` marks a soft delete, and a later upsert of the same email clears it again.
CREATE TABLE users (
  id uuid PRIMARY KEY,
  email varchar(200) NOT NULL,
  full_name varchar(200) NOT NULL,
  joined_at timestamptz NOT NULL DEFAULT now(),
  deleted_since timestamptz NULL
);

-- One user per address whatever its case: A@x.io and a@x.io are the same user. Lookups and the upsert's
-- ON CONFLICT use this same expression.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

-- Keyset pagination walks the active users in (joined_at, id) order: with this index each page is a short
-- range scan wherever it starts, instead of a scan and sort of the whole table.
CREATE INDEX users_active_joined_at_id_idx ON users (joined_at, id) WHERE deleted_since IS NULL;
