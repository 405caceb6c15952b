-- Writes to a bucket this shard does not own (it moved, and the writer routed by an older directory version) are
-- refused inside their transaction: see db/platform/beforeMigrate__trellis_bucket_fence.sql.
CREATE TRIGGER users_bucket_fence BEFORE INSERT OR UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence('id', 'id');
-- The outbox is append-only and fenced on INSERT alone: its rows stay on the shard they were written on, whose feed
-- delivers them once, and whose retention purges them after the bucket moved.
CREATE TRIGGER user_events_bucket_fence BEFORE INSERT ON user_events
  FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence('user_id', 'id');
CREATE TRIGGER email_index_bucket_fence BEFORE INSERT OR UPDATE OR DELETE ON email_index
  FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence('email', 'key');
