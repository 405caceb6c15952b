-- A bucketed table for the shard-set and reshard tests: fenced on every write, so a bucket move copies its rows.
CREATE TABLE accounts (
  id      bigint PRIMARY KEY,
  balance bigint NOT NULL DEFAULT 0
);
CREATE TRIGGER accounts_fence BEFORE INSERT OR UPDATE OR DELETE ON accounts
  FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence('id', 'id');
