-- Users, on the shard of their id's bucket (a uniformly random bucket chosen at creation).
CREATE TABLE users (
  id         bigint PRIMARY KEY,
  email      text        NOT NULL,
  name       text        NOT NULL,
  roles      text[]      NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version    bigint      NOT NULL DEFAULT 1
);
-- Filters by email and the email index's repair check look users up by lower-cased email.
CREATE INDEX users_email_lower_idx ON users (lower(email));

-- The cross-shard unique index of emails: each entry lives on the shard of hash(lower(email)), keyed by the
-- lower-cased email. See dev.trellis.user.store.EmailIndex for the reserve / confirm protocol.
CREATE TABLE email_index (
  email       text        PRIMARY KEY,
  user_id     bigint      NOT NULL,
  confirmed   boolean     NOT NULL DEFAULT false,
  reserved_at timestamptz NOT NULL
);

-- The outbox: one row per change to a user, written in the same transaction as the change, on the user's shard.
-- txid is the writing transaction's id (xid8 as bigint). A feed reads rows below trellis_txid_horizon() (their
-- transactions have all ended, so no row below it can still appear), in seq order.
CREATE TABLE user_events (
  seq             bigserial   PRIMARY KEY,
  txid            bigint      NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
  user_id         bigint      NOT NULL,
  event_type      text        NOT NULL CHECK (event_type IN ('CREATED', 'UPDATED', 'DELETED')),
  email           text        NOT NULL,
  name            text        NOT NULL,
  roles           text[]      NOT NULL,
  user_created_at timestamptz NOT NULL,
  user_updated_at timestamptz NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_events_txid_idx ON user_events (txid);
CREATE INDEX user_events_user_idx ON user_events (user_id, seq);
