-- The same fences as V2, each table with a trigger function of its own (no to_jsonb of the row on every write): see
-- trellis_fence_table in db/platform/beforeMigrate__trellis_bucket_fence.sql.
SELECT trellis_fence_table('users', 'id', 'id', false);
SELECT trellis_fence_table('email_index', 'email', 'key', false);
SELECT trellis_fence_table('user_events', 'user_id', 'id', true);
