-- The spatial side of PostgreSQL: PostGIS (in the public schema, once per
-- database: a DBA creates it where the application's role may not), and
-- the permit files' locations as geometries generated from their GeoJSON,
-- with a GiST index — the authorised projects' layer selects by box
-- (see internal/platform/db/spatial.go; SQLite keeps an R*Tree instead).
CREATE EXTENSION IF NOT EXISTS postgis SCHEMA public;
ALTER TABLE permit_files ADD COLUMN geom public.geometry(Geometry, 4326)
	GENERATED ALWAYS AS (public.ST_SetSRID(public.ST_GeomFromGeoJSON(location), 4326)) STORED;
CREATE INDEX permit_files_geom ON permit_files USING gist (geom) WHERE geom IS NOT NULL;
