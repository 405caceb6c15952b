-- The ledgers of the local partner simulators (dev.trellis.order.partner): the payment gateway, the carrier and the
-- notifier are third parties that cannot exist here, so their stand-ins keep what they did in these tables, on the
-- shard of hash(idempotency key). They write in autocommit, never inside an order's transaction: like a real
-- partner's books, they hold what the partner did whatever became of the order, and survive the service.
-- Each row is keyed by the caller's idempotency key (saga id and step), so a retried call acts once.

CREATE TABLE sim_payments (
  idempotency_key text        PRIMARY KEY,
  payment_id      text        NOT NULL DEFAULT '',
  token           text        NOT NULL DEFAULT '',
  amount_cents    bigint      NOT NULL DEFAULT 0,
  currency        text        NOT NULL DEFAULT '',
  -- VOIDED: a refund arrived before any charge, so a late charge with this key is refused.
  state           text        NOT NULL CHECK (state IN ('CHARGED', 'REFUNDED', 'VOIDED')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sim_shipments (
  idempotency_key text        PRIMARY KEY,
  shipment_id     text        NOT NULL DEFAULT '',
  country         text        NOT NULL DEFAULT '',
  -- VOIDED: a cancellation arrived before the shipment, so a late create with this key is refused.
  state           text        NOT NULL CHECK (state IN ('CREATED', 'CANCELLED', 'VOIDED')),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sim_notifications (
  idempotency_key text        PRIMARY KEY,
  recipient       text        NOT NULL,
  kind            text        NOT NULL CHECK (kind IN ('CONFIRMATION', 'CANCELLATION')),
  order_id        bigint      NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
