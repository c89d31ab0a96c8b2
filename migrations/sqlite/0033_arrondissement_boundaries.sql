-- Each arrondissement's territory (a GeoJSON Polygon or MultiPolygon, from
-- the city's reference file; NULL when the file gives none), so that a
-- location is assigned to its arrondissement by point-in-polygon, and
-- where those boundaries come from (how approximate they are).
ALTER TABLE arrondissements ADD COLUMN boundary TEXT CHECK (boundary <> '');
ALTER TABLE city ADD COLUMN arrondissement_boundary_source TEXT NOT NULL DEFAULT '';
