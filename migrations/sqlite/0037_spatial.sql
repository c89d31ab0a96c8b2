-- The spatial side of SQLite: an R*Tree of the permit files' locations
-- (each row's bounding box, from its GeoJSON), kept by triggers — the
-- authorised projects' layer selects by box (see
-- internal/platform/db/spatial.go; PostgreSQL uses PostGIS instead).
CREATE VIRTUAL TABLE permit_files_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat);

CREATE TRIGGER permit_files_rtree_insert AFTER INSERT ON permit_files WHEN NEW.location IS NOT NULL
BEGIN
	INSERT INTO permit_files_rtree
	SELECT NEW.id, min(CASE WHEN key = 0 THEN value END), max(CASE WHEN key = 0 THEN value END),
		min(CASE WHEN key = 1 THEN value END), max(CASE WHEN key = 1 THEN value END)
	FROM json_tree(NEW.location, '$.coordinates') WHERE type IN ('integer', 'real');
END;

CREATE TRIGGER permit_files_rtree_update AFTER UPDATE OF location ON permit_files
BEGIN
	DELETE FROM permit_files_rtree WHERE id = OLD.id;
	INSERT INTO permit_files_rtree
	SELECT NEW.id, min(CASE WHEN key = 0 THEN value END), max(CASE WHEN key = 0 THEN value END),
		min(CASE WHEN key = 1 THEN value END), max(CASE WHEN key = 1 THEN value END)
	FROM json_tree(NEW.location, '$.coordinates') WHERE NEW.location IS NOT NULL AND type IN ('integer', 'real')
	HAVING count(*) > 0;
END;

CREATE TRIGGER permit_files_rtree_delete AFTER DELETE ON permit_files
BEGIN
	DELETE FROM permit_files_rtree WHERE id = OLD.id;
END;

INSERT INTO permit_files_rtree
SELECT f.id, min(CASE WHEN t.key = 0 THEN t.value END), max(CASE WHEN t.key = 0 THEN t.value END),
	min(CASE WHEN t.key = 1 THEN t.value END), max(CASE WHEN t.key = 1 THEN t.value END)
FROM permit_files f, json_tree(f.location, '$.coordinates') t
WHERE f.location IS NOT NULL AND t.type IN ('integer', 'real')
GROUP BY f.id;
