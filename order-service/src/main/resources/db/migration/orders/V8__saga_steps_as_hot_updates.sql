-- Every step of a saga is one UPDATE of its order_sagas row that records the step and renews the lease
-- (lease_until), five or so per saga. While lease_until was the key of the index of unfinished sagas, none of them
-- could be a HOT update: each wrote a new entry into all four indexes of the table (the bucket expression evaluated
-- again, the unique saga_id checked again), and order_sagas was the only table of the saga's with no HOT update at
-- all (pg_stat_user_tables under the bench's load). Keyed on order_id, the index changes only when a saga starts or
-- ends (its status is in the predicate); the recovery worker reads the few unfinished rows it lists and orders them
-- by lease_until itself. A tenth of each new page is left free so that a step's new row version fits beside the old.
DROP INDEX order_sagas_unfinished_idx;
CREATE INDEX order_sagas_unfinished_idx ON order_sagas (order_id)
  WHERE status IN ('PENDING', 'IN_PROGRESS', 'COMPENSATING');
ALTER TABLE order_sagas SET (fillfactor = 90);
