-- How to reach a single window (address in three languages, phone, place
-- on the map), as the reference file gives it: a JSON object, '{}' until a
-- reference with contacts is loaded.
ALTER TABLE windows ADD COLUMN contact TEXT NOT NULL DEFAULT '{}';
