-- A table for the platform's own data-layer tests.
CREATE TABLE items (
  id bigint PRIMARY KEY,
  name text NOT NULL,
  amount integer NOT NULL DEFAULT 0
);
