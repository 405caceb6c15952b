-- An outbox as services keep one: the transaction id of each row, for OutboxTableIT.
CREATE TABLE events (
  seq bigserial PRIMARY KEY,
  txid bigint NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
  payload text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
