-- A primary key that is not an INTEGER PRIMARY KEY admits NULL on SQLite
-- (a documented quirk kept for compatibility), never on PostgreSQL. These
-- triggers refuse NULL where PostgreSQL does, so the two engines keep the
-- same invariant (migrations/drift_test.go found the difference). A table
-- rebuild would say NOT NULL in the column itself, but rebuilding tables
-- that others reference is a larger change than the invariant needs.

CREATE TRIGGER arrondissements_code_not_null_insert BEFORE INSERT ON arrondissements
WHEN NEW.code IS NULL BEGIN SELECT RAISE(ABORT, 'NOT NULL constraint failed: arrondissements.code'); END;

CREATE TRIGGER arrondissements_code_not_null_update BEFORE UPDATE OF code ON arrondissements
WHEN NEW.code IS NULL BEGIN SELECT RAISE(ABORT, 'NOT NULL constraint failed: arrondissements.code'); END;

CREATE TRIGGER organisations_code_not_null_insert BEFORE INSERT ON organisations
WHEN NEW.code IS NULL BEGIN SELECT RAISE(ABORT, 'NOT NULL constraint failed: organisations.code'); END;

CREATE TRIGGER organisations_code_not_null_update BEFORE UPDATE OF code ON organisations
WHEN NEW.code IS NULL BEGIN SELECT RAISE(ABORT, 'NOT NULL constraint failed: organisations.code'); END;

CREATE TRIGGER permit_catalogues_version_not_null_insert BEFORE INSERT ON permit_catalogues
WHEN NEW.version IS NULL BEGIN SELECT RAISE(ABORT, 'NOT NULL constraint failed: permit_catalogues.version'); END;

CREATE TRIGGER permit_catalogues_version_not_null_update BEFORE UPDATE OF version ON permit_catalogues
WHEN NEW.version IS NULL BEGIN SELECT RAISE(ABORT, 'NOT NULL constraint failed: permit_catalogues.version'); END;

CREATE TRIGGER prefectures_code_not_null_insert BEFORE INSERT ON prefectures
WHEN NEW.code IS NULL BEGIN SELECT RAISE(ABORT, 'NOT NULL constraint failed: prefectures.code'); END;

CREATE TRIGGER prefectures_code_not_null_update BEFORE UPDATE OF code ON prefectures
WHEN NEW.code IS NULL BEGIN SELECT RAISE(ABORT, 'NOT NULL constraint failed: prefectures.code'); END;

CREATE TRIGGER professionals_person_id_not_null_insert BEFORE INSERT ON professionals
WHEN NEW.person_id IS NULL BEGIN SELECT RAISE(ABORT, 'NOT NULL constraint failed: professionals.person_id'); END;

CREATE TRIGGER professionals_person_id_not_null_update BEFORE UPDATE OF person_id ON professionals
WHEN NEW.person_id IS NULL BEGIN SELECT RAISE(ABORT, 'NOT NULL constraint failed: professionals.person_id'); END;

CREATE TRIGGER sessions_token_hash_not_null_insert BEFORE INSERT ON sessions
WHEN NEW.token_hash IS NULL BEGIN SELECT RAISE(ABORT, 'NOT NULL constraint failed: sessions.token_hash'); END;

CREATE TRIGGER sessions_token_hash_not_null_update BEFORE UPDATE OF token_hash ON sessions
WHEN NEW.token_hash IS NULL BEGIN SELECT RAISE(ABORT, 'NOT NULL constraint failed: sessions.token_hash'); END;

CREATE TRIGGER windows_code_not_null_insert BEFORE INSERT ON windows
WHEN NEW.code IS NULL BEGIN SELECT RAISE(ABORT, 'NOT NULL constraint failed: windows.code'); END;

CREATE TRIGGER windows_code_not_null_update BEFORE UPDATE OF code ON windows
WHEN NEW.code IS NULL BEGIN SELECT RAISE(ABORT, 'NOT NULL constraint failed: windows.code'); END;
