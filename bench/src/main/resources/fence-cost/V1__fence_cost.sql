-- Tables for the fence-cost pgbench run (bench/README.md, FenceCostDatabase): one unfenced, one with the fence as it
-- was before per-table trigger functions, one with the generic trellis_bucket_fence, one with its own function.
SET LOCAL trellis.fence = 'off';
-- A frozen copy of the fence as it was before per-table functions (the baseline, so it repeats the old platform
-- code on purpose): a KEY SHARE lock on the owner row, the row serialised with to_jsonb.
CREATE FUNCTION old_require_bucket(bucket integer) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM trellis_bucket_owner o WHERE o.bucket = old_require_bucket.bucket FOR KEY SHARE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'bucket % is not owned by this shard', bucket USING ERRCODE = 'TRB01';
  END IF;
END
$$;
CREATE FUNCTION old_bucket_fence() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  col text := TG_ARGV[0];
  by_key boolean := TG_ARGV[1] = 'key';
  new_value text;
  old_value text;
BEGIN
  IF current_setting('trellis.fence', true) = 'off' THEN
    RETURN COALESCE(NEW, OLD);
  END IF;
  IF TG_OP <> 'DELETE' THEN
    new_value := to_jsonb(NEW) ->> col;
    PERFORM old_require_bucket(CASE WHEN by_key THEN trellis_bucket_of_key(new_value)
        ELSE trellis_bucket_of_id(new_value::bigint) END);
  END IF;
  IF TG_OP <> 'INSERT' THEN
    old_value := to_jsonb(OLD) ->> col;
    IF old_value IS DISTINCT FROM new_value THEN
      PERFORM old_require_bucket(CASE WHEN by_key THEN trellis_bucket_of_key(old_value)
          ELSE trellis_bucket_of_id(old_value::bigint) END);
    END IF;
  END IF;
  RETURN COALESCE(NEW, OLD);
END
$$;
CREATE TABLE plain (k integer NOT NULL UNIQUE, id bigint PRIMARY KEY, n bigint NOT NULL DEFAULT 0,
  pad text NOT NULL DEFAULT repeat('x', 200));
CREATE TABLE old (LIKE plain INCLUDING ALL);
CREATE TABLE generic (LIKE plain INCLUDING ALL);
CREATE TABLE own (LIKE plain INCLUDING ALL);
CREATE TRIGGER old_bucket_fence BEFORE INSERT OR UPDATE OR DELETE ON old
  FOR EACH ROW EXECUTE FUNCTION old_bucket_fence('id', 'id');
CREATE TRIGGER generic_bucket_fence BEFORE INSERT OR UPDATE OR DELETE ON generic
  FOR EACH ROW EXECUTE FUNCTION trellis_bucket_fence('id', 'id');
SELECT trellis_fence_table('own', 'id', 'id', false);
INSERT INTO plain (k, id) SELECT g, (g::bigint << 22) | ((g % 1024)::bigint << 12) FROM generate_series(1, 10000) g;
INSERT INTO old (k, id) SELECT k, id FROM plain;
INSERT INTO generic (k, id) SELECT k, id FROM plain;
INSERT INTO own (k, id) SELECT k, id FROM plain;
