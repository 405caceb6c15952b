-- Writes to a bucket this shard does not own (it moved, and the writer routed by an older directory version) are
-- refused inside their transaction: see db/platform/beforeMigrate__trellis_bucket_fence.sql. Orders and what hangs
-- off them are in their id's (the user's) bucket; stock, reservations and the simulators' ledgers in their key's.
CREATE TRIGGER orders_bucket_fence BEFORE INSERT OR UPDATE OR DELETE ON orders
  FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence('id', 'id');
CREATE TRIGGER order_sagas_bucket_fence BEFORE INSERT OR UPDATE OR DELETE ON order_sagas
  FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence('order_id', 'id');
CREATE TRIGGER idempotency_keys_bucket_fence BEFORE INSERT OR UPDATE OR DELETE ON idempotency_keys
  FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence('user_id', 'id');
-- The outbox is append-only and fenced on INSERT alone: its rows stay on the shard they were written on, whose feed
-- delivers them once, and whose retention purges them after the bucket moved.
CREATE TRIGGER order_events_bucket_fence BEFORE INSERT ON order_events
  FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence('id', 'id');
CREATE TRIGGER inventory_bucket_fence BEFORE INSERT OR UPDATE OR DELETE ON inventory
  FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence('sku', 'key');
CREATE TRIGGER inventory_reservations_bucket_fence BEFORE INSERT OR UPDATE OR DELETE ON inventory_reservations
  FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence('sku', 'key');
CREATE TRIGGER sim_payments_bucket_fence BEFORE INSERT OR UPDATE OR DELETE ON sim_payments
  FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence('idempotency_key', 'key');
CREATE TRIGGER sim_shipments_bucket_fence BEFORE INSERT OR UPDATE OR DELETE ON sim_shipments
  FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence('idempotency_key', 'key');
CREATE TRIGGER sim_notifications_bucket_fence BEFORE INSERT OR UPDATE OR DELETE ON sim_notifications
  FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence('idempotency_key', 'key');
