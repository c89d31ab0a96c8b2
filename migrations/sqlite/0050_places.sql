-- The directory of places (issue #14, point 2): each at a point assigned
-- to its arrondissement, with its names in the three languages (and their
-- folded form, which the directory's search compares), address, opening
-- hours (OpenStreetMap's syntax) and contacts. Imports key places by code.
-- location is the point as GeoJSON, for the spatial index (an R*Tree kept
-- by triggers, as permit_files_rtree; see internal/platform/db/spatial.go).
CREATE TABLE places (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	code TEXT NOT NULL UNIQUE CHECK (code <> '' AND length(code) <= 80),
	category TEXT NOT NULL CHECK (category <> ''),
	name_ar TEXT NOT NULL CHECK (name_ar <> ''),
	name_fr TEXT NOT NULL CHECK (name_fr <> ''),
	name_en TEXT NOT NULL CHECK (name_en <> ''),
	name_folded TEXT NOT NULL,
	address_ar TEXT NOT NULL DEFAULT '',
	address_fr TEXT NOT NULL DEFAULT '',
	address_en TEXT NOT NULL DEFAULT '',
	arrondissement_code TEXT REFERENCES arrondissements (code),
	lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
	lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
	location TEXT GENERATED ALWAYS AS (json_object('type', 'Point', 'coordinates', json_array(lon, lat))) VIRTUAL,
	hours TEXT NOT NULL DEFAULT '',
	phone TEXT NOT NULL DEFAULT '',
	email TEXT NOT NULL DEFAULT '',
	website TEXT NOT NULL DEFAULT '',
	source TEXT NOT NULL DEFAULT '',
	version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	updated_at TIMESTAMP NOT NULL,
	updated_by INTEGER REFERENCES persons (id)
);
CREATE INDEX places_category ON places (category, arrondissement_code);
CREATE INDEX places_arrondissement ON places (arrondissement_code);

CREATE VIRTUAL TABLE places_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat);
CREATE TRIGGER places_rtree_insert AFTER INSERT ON places
BEGIN
	INSERT INTO places_rtree VALUES (NEW.id, NEW.lon, NEW.lon, NEW.lat, NEW.lat);
END;
CREATE TRIGGER places_rtree_update AFTER UPDATE OF lon, lat ON places
BEGIN
	UPDATE places_rtree SET min_lon = NEW.lon, max_lon = NEW.lon, min_lat = NEW.lat, max_lat = NEW.lat WHERE id = NEW.id;
END;
CREATE TRIGGER places_rtree_delete AFTER DELETE ON places
BEGIN
	DELETE FROM places_rtree WHERE id = OLD.id;
END;
