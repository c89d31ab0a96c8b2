-- The city itself: its name and its territory, the boundary parcel
-- locations must lie in (a GeoJSON Polygon or MultiPolygon). One row, from
-- the city's reference data file like the rest of the district tables.
CREATE TABLE city (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	code TEXT NOT NULL CHECK (code <> ''),
	name_ar TEXT NOT NULL CHECK (name_ar <> ''),
	name_fr TEXT NOT NULL CHECK (name_fr <> ''),
	name_en TEXT NOT NULL CHECK (name_en <> ''),
	boundary TEXT NOT NULL CHECK (boundary <> ''),
	boundary_source TEXT NOT NULL DEFAULT ''
);
