-- A bucket move finds a bucket's rows by its bucket expression (BucketMover: the copy, the catch-up, the delete of
-- the source rows). Without an index on it every move scanned each table whole, so a move's cost grew with the
-- table. One expression index per moved table, on exactly the expression of its fence (trellis_fence_table in V5;
-- V6 for the partner simulators' ledgers, by order_id); the testing kit's BucketedSchema fails for a moved table
-- whose bucket predicate no index serves. The outbox (order_events) is not moved: its rows stay on the shard that
-- wrote them.
--
-- And the one foreign key without an index: deleting a bucket's orders (the source rows after a move, the target's
-- before a copy) checks idempotency_keys for each order, by order_id; without an index each check read the whole
-- table (500 orders of a bucket over a 200 000-row table took minutes: BucketMoveBenchmark --others).
CREATE INDEX orders_bucket_idx ON orders (trellis_bucket_of_id(id));
CREATE INDEX order_sagas_bucket_idx ON order_sagas (trellis_bucket_of_id(order_id));
CREATE INDEX idempotency_keys_bucket_idx ON idempotency_keys (trellis_bucket_of_id(user_id));
CREATE INDEX inventory_bucket_idx ON inventory (trellis_bucket_of_key(sku));
CREATE INDEX inventory_reservations_bucket_idx ON inventory_reservations (trellis_bucket_of_key(sku));
CREATE INDEX sim_payments_bucket_idx ON sim_payments (trellis_bucket_of_id(order_id));
CREATE INDEX sim_shipments_bucket_idx ON sim_shipments (trellis_bucket_of_id(order_id));
CREATE INDEX sim_notifications_bucket_idx ON sim_notifications (trellis_bucket_of_id(order_id));
CREATE INDEX idempotency_keys_order_idx ON idempotency_keys (order_id);
