-- The same fences as V3, each table with a trigger function of its own (no to_jsonb of the row on every write): see
-- trellis_fence_table in db/platform/beforeMigrate__trellis_bucket_fence.sql.
SELECT trellis_fence_table('orders', 'id', 'id', false);
SELECT trellis_fence_table('order_sagas', 'order_id', 'id', false);
SELECT trellis_fence_table('idempotency_keys', 'user_id', 'id', false);
SELECT trellis_fence_table('order_events', 'id', 'id', true);
SELECT trellis_fence_table('inventory', 'sku', 'key', false);
SELECT trellis_fence_table('inventory_reservations', 'sku', 'key', false);
SELECT trellis_fence_table('sim_payments', 'idempotency_key', 'key', false);
SELECT trellis_fence_table('sim_shipments', 'idempotency_key', 'key', false);
SELECT trellis_fence_table('sim_notifications', 'idempotency_key', 'key', false);
