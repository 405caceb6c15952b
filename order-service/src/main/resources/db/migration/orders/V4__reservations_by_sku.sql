-- A bucket move's catch-up finds the reservations written during its copy by their bucket column, sku
-- (dev.trellis.platform.data.BucketMover): by index, so the write pause does not grow with the table.
CREATE INDEX inventory_reservations_sku_idx ON inventory_reservations (sku);
