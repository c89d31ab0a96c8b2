-- A notice sent for an event carries a key stable for that event and its
-- recipient (e.g. "permit.file_changed:42:person:7"): an event handed
-- twice to its subscriber records each delivery once. Deliveries without a
-- key (NULL) are never folded together.
ALTER TABLE notify_deliveries ADD COLUMN event_key TEXT CHECK (event_key <> '');
CREATE UNIQUE INDEX notify_deliveries_event_key ON notify_deliveries (event_key, channel);
