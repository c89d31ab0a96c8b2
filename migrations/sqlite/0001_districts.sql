-- Prefectures of arrondissements, arrondissements and single windows.
-- The rows come from the city's reference data file (district package).
CREATE TABLE prefectures (
	code TEXT PRIMARY KEY CHECK (code <> ''),
	name_ar TEXT NOT NULL CHECK (name_ar <> ''),
	name_fr TEXT NOT NULL CHECK (name_fr <> ''),
	name_en TEXT NOT NULL CHECK (name_en <> ''),
	position INTEGER NOT NULL
);

CREATE TABLE arrondissements (
	code TEXT PRIMARY KEY CHECK (code <> ''),
	prefecture_code TEXT NOT NULL REFERENCES prefectures (code),
	name_ar TEXT NOT NULL CHECK (name_ar <> ''),
	name_fr TEXT NOT NULL CHECK (name_fr <> ''),
	name_en TEXT NOT NULL CHECK (name_en <> ''),
	position INTEGER NOT NULL
);
CREATE INDEX arrondissements_prefecture ON arrondissements (prefecture_code);

-- A window is the city's single window (no arrondissement) or one
-- arrondissement's window.
CREATE TABLE windows (
	code TEXT PRIMARY KEY CHECK (code <> ''),
	kind TEXT NOT NULL CHECK (kind IN ('city', 'arrondissement')),
	arrondissement_code TEXT REFERENCES arrondissements (code),
	name_ar TEXT NOT NULL CHECK (name_ar <> ''),
	name_fr TEXT NOT NULL CHECK (name_fr <> ''),
	name_en TEXT NOT NULL CHECK (name_en <> ''),
	CHECK ((kind = 'city') = (arrondissement_code IS NULL))
);
CREATE UNIQUE INDEX windows_one_per_arrondissement ON windows (arrondissement_code);
CREATE UNIQUE INDEX windows_one_city ON windows (kind) WHERE kind = 'city';
