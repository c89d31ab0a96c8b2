-- madina:foreign-keys-off
-- Schools as legal persons: see the PostgreSQL twin. SQLite cannot alter a
-- CHECK, so legal_persons, representatives and legal_claims are rebuilt
-- the way SQLite documents it (ALTER TABLE, "making other kinds of table
-- schema changes"): the marker above makes db.Migrate run this file on one
-- connection with PRAGMA foreign_keys=OFF (the tables that reference
-- legal_persons keep their rows and their REFERENCES clauses, which name
-- the table by name), in one transaction that PRAGMA foreign_key_check
-- must find clean before COMMIT; then foreign_keys is ON again. Columns
-- keep their order (school_code last, as PostgreSQL adds it); indexes are
-- created again.
CREATE TABLE new_legal_persons (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind IN ('company', 'association', 'school')),
	name TEXT NOT NULL CHECK (name <> '' AND length(name) <= 200),
	name_ar TEXT NOT NULL DEFAULT '',
	ice TEXT UNIQUE CHECK (ice IS NULL OR length(ice) = 15),
	rc TEXT,
	association_number TEXT,
	created_by BIGINT NOT NULL REFERENCES persons (id),
	created_at TIMESTAMP NOT NULL,
	association_key TEXT,
	school_code TEXT UNIQUE CHECK (school_code IS NULL OR length(school_code) BETWEEN 6 AND 7),
	CHECK ((kind = 'company') = (ice IS NOT NULL AND rc IS NOT NULL)),
	CHECK ((kind = 'association') = (association_number IS NOT NULL)),
	CHECK ((kind = 'school') = (school_code IS NOT NULL))
);
INSERT INTO new_legal_persons (id, kind, name, name_ar, ice, rc, association_number, created_by, created_at, association_key)
	SELECT id, kind, name, name_ar, ice, rc, association_number, created_by, created_at, association_key FROM legal_persons;
DROP TABLE legal_persons;
ALTER TABLE new_legal_persons RENAME TO legal_persons;
CREATE UNIQUE INDEX legal_persons_association_key ON legal_persons (association_key)
	WHERE association_key IS NOT NULL;

CREATE TABLE new_representatives (
	legal_person_id BIGINT NOT NULL REFERENCES legal_persons (id),
	person_id BIGINT NOT NULL REFERENCES persons (id),
	role TEXT NOT NULL CHECK (role IN ('manager', 'president', 'legal_representative', 'director')),
	created_at TIMESTAMP NOT NULL,
	revoked_at TIMESTAMP,
	PRIMARY KEY (legal_person_id, person_id)
);
INSERT INTO new_representatives (legal_person_id, person_id, role, created_at, revoked_at)
	SELECT legal_person_id, person_id, role, created_at, revoked_at FROM representatives;
DROP TABLE representatives;
ALTER TABLE new_representatives RENAME TO representatives;
CREATE INDEX representatives_person ON representatives (person_id);

CREATE TABLE new_legal_claims (
	id INTEGER PRIMARY KEY,
	legal_person_id BIGINT NOT NULL REFERENCES legal_persons (id),
	claimant_id BIGINT NOT NULL REFERENCES persons (id),
	role TEXT NOT NULL CHECK (role IN ('manager', 'president', 'legal_representative', 'director')),
	evidence_sha256 TEXT NOT NULL CHECK (length(evidence_sha256) = 64),
	evidence_size BIGINT NOT NULL CHECK (evidence_size > 0),
	evidence_name TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'refused')),
	reason TEXT NOT NULL DEFAULT '',
	decided_by BIGINT REFERENCES persons (id),
	decided_at TIMESTAMP,
	created_at TIMESTAMP NOT NULL,
	CHECK ((status = 'pending') = (decided_at IS NULL)),
	CHECK ((decided_at IS NULL) = (decided_by IS NULL)),
	CHECK (status <> 'refused' OR reason <> '')
);
INSERT INTO new_legal_claims (id, legal_person_id, claimant_id, role, evidence_sha256, evidence_size, evidence_name, status,
		reason, decided_by, decided_at, created_at)
	SELECT id, legal_person_id, claimant_id, role, evidence_sha256, evidence_size, evidence_name, status,
		reason, decided_by, decided_at, created_at FROM legal_claims;
DROP TABLE legal_claims;
ALTER TABLE new_legal_claims RENAME TO legal_claims;
CREATE UNIQUE INDEX legal_claims_one_pending ON legal_claims (legal_person_id, claimant_id) WHERE status = 'pending';
CREATE INDEX legal_claims_pending ON legal_claims (status, id) WHERE status = 'pending';
