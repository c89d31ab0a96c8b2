-- The address gazetteer (issue #14, point 6): the street addresses a city's
-- GIS department gives, imported by `madina admin import-addresses`, each
-- a point assigned to its arrondissement. label is the address as written,
-- label_folded its folded form (textnorm.Fold), which the search compares.
-- source names the gazetteer: importing a source replaces its addresses.
CREATE TABLE addresses (
	id INTEGER PRIMARY KEY,
	label TEXT NOT NULL CHECK (label <> '' AND length(label) <= 200),
	label_folded TEXT NOT NULL CHECK (label_folded <> ''),
	lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
	lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
	arrondissement_code TEXT NOT NULL REFERENCES arrondissements (code),
	source TEXT NOT NULL CHECK (source <> '' AND length(source) <= 100),
	imported_at TIMESTAMP NOT NULL
);
CREATE INDEX addresses_source ON addresses (source);
CREATE INDEX addresses_arrondissement ON addresses (arrondissement_code);
