-- The directory of places (issue #14, point 2): each at a point assigned
-- to its arrondissement, with its names in the three languages (and their
-- folded form, which the directory's search compares), address, opening
-- hours (OpenStreetMap's syntax) and contacts. Imports key places by code.
-- location (GeoJSON) and geom (PostGIS, GiST-indexed) are generated from
-- the point; see internal/platform/db/spatial.go.
CREATE TABLE places (
	id BIGSERIAL PRIMARY KEY,
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
	lon DOUBLE PRECISION NOT NULL CHECK (lon BETWEEN -180 AND 180),
	lat DOUBLE PRECISION NOT NULL CHECK (lat BETWEEN -90 AND 90),
	location TEXT GENERATED ALWAYS AS ('{"type":"Point","coordinates":[' || lon::text || ',' || lat::text || ']}') STORED,
	geom public.geometry(Point, 4326) GENERATED ALWAYS AS (public.ST_SetSRID(public.ST_MakePoint(lon, lat), 4326)) STORED,
	hours TEXT NOT NULL DEFAULT '',
	phone TEXT NOT NULL DEFAULT '',
	email TEXT NOT NULL DEFAULT '',
	website TEXT NOT NULL DEFAULT '',
	source TEXT NOT NULL DEFAULT '',
	version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	updated_at TIMESTAMPTZ NOT NULL,
	updated_by BIGINT REFERENCES persons (id)
);
CREATE INDEX places_category ON places (category, arrondissement_code);
CREATE INDEX places_arrondissement ON places (arrondissement_code);
CREATE INDEX places_geom ON places USING gist (geom);
