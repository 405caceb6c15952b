-- order-service's tables. Orders, their sagas, idempotency keys and events live on the shard of the user's bucket
-- (an order id is made in that bucket, so it routes there too); inventory and reservations on the shard of
-- hash(sku). Every shard has every table; which rows it holds follows from the routing.

-- An order. Its lines are immutable once placed, so they are kept in the row as parallel arrays (line i is
-- skus[i], quantities[i], unit_prices[i]) and travel whole with every event, without a join.
CREATE TABLE orders (
  id               bigint      PRIMARY KEY,
  user_id          bigint      NOT NULL,
  status           text        NOT NULL CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'REJECTED')),
  reason           text        NOT NULL DEFAULT '',
  skus             text[]      NOT NULL,
  quantities       integer[]   NOT NULL,
  unit_prices      bigint[]    NOT NULL,
  total_cents      bigint      NOT NULL CHECK (total_cents >= 0),
  currency         text        NOT NULL,
  ship_recipient   text        NOT NULL,
  ship_line1       text        NOT NULL,
  ship_line2       text        NOT NULL,
  ship_city        text        NOT NULL,
  ship_postal_code text        NOT NULL,
  ship_country     text        NOT NULL,
  payment_id       text        NOT NULL DEFAULT '',
  shipment_id      text        NOT NULL DEFAULT '',
  -- Raised by every change: a watcher that read the order and then hears of an older change skips it.
  version          bigint      NOT NULL DEFAULT 1,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  CHECK (cardinality(skus) = cardinality(quantities) AND cardinality(skus) = cardinality(unit_prices))
);
-- ListOrders: a user's orders, newest first (ids grow with time).
CREATE INDEX orders_user_idx ON orders (user_id, id DESC);

-- The saga of an order (dev.trellis.order.saga). Written in the transaction of each step's local effect, so after
-- a crash it says exactly which steps completed and which compensations ran; the replica holding the lease drives
-- it, and a replica that finds the lease expired takes it over.
CREATE TABLE order_sagas (
  order_id          bigint      PRIMARY KEY REFERENCES orders (id),
  saga_id           text        GENERATED ALWAYS AS ('order_' || order_id) STORED,
  status            text        NOT NULL
                      CHECK (status IN ('PENDING', 'IN_PROGRESS', 'COMPLETED', 'COMPENSATING', 'FAILED')),
  -- The step running (or to run) next, or the compensation running next; '' when the saga has ended.
  current_step      text        NOT NULL,
  completed_steps   text[]      NOT NULL DEFAULT '{}',
  -- Set when compensation begins: the steps to undo, in the order to undo them.
  compensation_plan text[]      NOT NULL DEFAULT '{}',
  compensated_steps text[]      NOT NULL DEFAULT '{}',
  -- The saga's inputs and each step's result, as {"step": {"name": "value"}}.
  context           jsonb       NOT NULL,
  -- Why the saga compensates: the reason the order ends REJECTED or CANCELLED with.
  failure           text        NOT NULL DEFAULT '',
  -- Set by CancelOrder: the saga stops at its next step boundary and compensates; the order ends CANCELLED.
  cancel_reason     text,
  lease_owner       text,
  lease_until       timestamptz,
  created_at        timestamptz NOT NULL,
  updated_at        timestamptz NOT NULL
);
CREATE UNIQUE INDEX order_sagas_saga_id_idx ON order_sagas (saga_id);
-- The recovery worker looks for unfinished sagas whose lease has run out.
CREATE INDEX order_sagas_unfinished_idx ON order_sagas (lease_until)
  WHERE status IN ('PENDING', 'IN_PROGRESS', 'COMPENSATING');

-- Idempotency keys (AIP-155): one per user and key, written in the transaction that creates the order (or records
-- the client error the first call answered), so a key exists exactly when its result does. Purged after 24 h.
CREATE TABLE idempotency_keys (
  user_id         bigint      NOT NULL,
  idempotency_key text        NOT NULL,
  -- SHA-256 of the request without its key: the same key with another request is refused.
  request_hash    bytea       NOT NULL,
  order_id        bigint      REFERENCES orders (id),
  -- The serialized status of a client error the first call answered, replayed as it was.
  error           bytea,
  created_at      timestamptz NOT NULL,
  PRIMARY KEY (user_id, idempotency_key),
  CHECK ((order_id IS NULL) <> (error IS NULL))
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

-- The outbox of order changes: a copy of the order row after each change (same column names, so one mapping reads
-- both), written in the transaction of the change, on the order's shard. txid is the writing transaction's id;
-- WatchOrder and TrackOrders read it through the platform's OutboxFeed, so a change made by any replica reaches
-- every watcher.
CREATE TABLE order_events (
  seq              bigserial   PRIMARY KEY,
  txid             bigint      NOT NULL DEFAULT pg_current_xact_id()::text::bigint,
  event_at         timestamptz NOT NULL DEFAULT now(),
  id               bigint      NOT NULL,
  user_id          bigint      NOT NULL,
  status           text        NOT NULL,
  reason           text        NOT NULL,
  skus             text[]      NOT NULL,
  quantities       integer[]   NOT NULL,
  unit_prices      bigint[]    NOT NULL,
  total_cents      bigint      NOT NULL,
  currency         text        NOT NULL,
  ship_recipient   text        NOT NULL,
  ship_line1       text        NOT NULL,
  ship_line2       text        NOT NULL,
  ship_city        text        NOT NULL,
  ship_postal_code text        NOT NULL,
  ship_country     text        NOT NULL,
  payment_id       text        NOT NULL,
  shipment_id      text        NOT NULL,
  version          bigint      NOT NULL,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL
);
CREATE INDEX order_events_txid_idx ON order_events (txid);
CREATE INDEX order_events_event_at_idx ON order_events (event_at);

-- Stock per SKU, on the shard of hash(sku). available + reserved + sold only move together, and none goes below
-- zero: the CHECKs are the last guard against overselling; the conditional UPDATEs in InventoryStore the first.
CREATE TABLE inventory (
  sku              text        PRIMARY KEY,
  available        bigint      NOT NULL CHECK (available >= 0),
  reserved         bigint      NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  sold             bigint      NOT NULL DEFAULT 0 CHECK (sold >= 0),
  unit_price_cents bigint      NOT NULL CHECK (unit_price_cents >= 0),
  updated_at       timestamptz NOT NULL
);

-- What each order holds of each SKU, beside the SKU's row: it makes every inventory action of a saga idempotent
-- by (order, sku). A reserve inserts RESERVED once; a release of a row never reserved inserts RELEASED first, so
-- a late reserve finds it and reserves nothing; SOLD once the order is confirmed.
CREATE TABLE inventory_reservations (
  order_id         bigint      NOT NULL,
  sku              text        NOT NULL,
  quantity         integer     NOT NULL CHECK (quantity >= 0),
  state            text        NOT NULL CHECK (state IN ('RESERVED', 'SOLD', 'RELEASED')),
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  PRIMARY KEY (order_id, sku)
);
