-- A bucket move finds a bucket's rows by its bucket expression (BucketMover: the copy, the catch-up, the delete of
-- the source rows). Without an index on it every move scanned each table whole, so a move's cost grew with the
-- table. One expression index per moved table, on exactly the expression of its fence (trellis_fence_table in V3);
-- the testing kit's BucketedSchema fails for a moved table whose bucket predicate no index serves. The outbox
-- (user_events) is not moved: its rows stay on the shard that wrote them, and no reader selects them by bucket.
CREATE INDEX users_bucket_idx ON users (trellis_bucket_of_id(id));
CREATE INDEX email_index_bucket_idx ON email_index (trellis_bucket_of_key(email));
