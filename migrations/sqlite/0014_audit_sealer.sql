-- The audit chain is linked after commit (package audit, Sealer): a write
-- transaction inserts its record unlinked (seq, prev_hash and hash NULL), in
-- insertion order id, and the one sealer gives it its place in the chain
-- (seq), its prev_hash and its hash later. written_at is when the record was
-- written, for the verifier to flag records left unsealed too long.
-- SQLite cannot change a primary key: the table is rebuilt, columns in the
-- order PostgreSQL's ALTER TABLE leaves them.
CREATE TABLE audit_log_sealed (
	seq INTEGER CHECK (seq >= 1),
	at TIMESTAMP NOT NULL,
	actor TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
	action TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
	object_type TEXT NOT NULL CHECK (length(object_type) BETWEEN 1 AND 100),
	object_id TEXT NOT NULL CHECK (length(object_id) <= 200),
	change_digest TEXT NOT NULL CHECK (length(change_digest) = 64),
	prev_hash TEXT CHECK (length(prev_hash) = 64),
	hash TEXT CHECK (length(hash) = 64),
	id INTEGER PRIMARY KEY,
	written_at TIMESTAMP NOT NULL,
	-- A record is sealed (all three set) or not (none set); seq stays
	-- unique, so the chain cannot fork.
	CONSTRAINT audit_log_sealed CHECK ((seq IS NULL) = (prev_hash IS NULL) AND (seq IS NULL) = (hash IS NULL))
);
INSERT INTO audit_log_sealed (seq, at, actor, action, object_type, object_id, change_digest, prev_hash, hash, id, written_at)
	SELECT seq, at, actor, action, object_type, object_id, change_digest, prev_hash, hash, seq, at FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_sealed RENAME TO audit_log;
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE seq IS NULL;
