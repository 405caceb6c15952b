-- The partner simulators' ledgers move from the shard of hash(idempotency key) to the shard of their order's bucket:
-- an order then needs no other shard than its own for its partners (before, an order on a healthy shard could be
-- REJECTED because its payment row lived on a stopped one), and a bucket move carries the rows with the order.
-- Each row gets its order's id, and the fence reads the bucket from it. Keys are '<saga id>/<step>' with saga id
-- 'order_<order id>' (dev.trellis.order.saga.OrderSagaSteps.key), so existing rows get the id from their key.
-- Existing rows stay on the shard they were written on: where that is not their order's shard, they are a dead
-- simulator's history (a refund of such a charge finds no row and leaves a VOIDED one on the order's shard).
SET LOCAL trellis.fence = 'off';

ALTER TABLE sim_payments ADD COLUMN order_id bigint;
UPDATE sim_payments SET order_id = COALESCE(substring(idempotency_key FROM '^order_([0-9]+)/')::bigint, 0);
ALTER TABLE sim_payments ALTER COLUMN order_id SET NOT NULL;

ALTER TABLE sim_shipments ADD COLUMN order_id bigint;
UPDATE sim_shipments SET order_id = COALESCE(substring(idempotency_key FROM '^order_([0-9]+)/')::bigint, 0);
ALTER TABLE sim_shipments ALTER COLUMN order_id SET NOT NULL;

-- sim_notifications has had its order's id from the start.
SELECT trellis_fence_table('sim_payments', 'order_id', 'id', false);
SELECT trellis_fence_table('sim_shipments', 'order_id', 'id', false);
SELECT trellis_fence_table('sim_notifications', 'order_id', 'id', false);
