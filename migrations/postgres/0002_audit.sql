-- The hash-chained audit log (package audit). Append-only: each row's hash
-- covers its fields and the previous row's hash; seq is the chain order, so
-- its uniqueness is what keeps the chain from forking. Hashes and digests are
-- lower-case hex SHA-256. The change itself is never stored, only its digest.
CREATE TABLE audit_log (
	seq BIGINT PRIMARY KEY CHECK (seq >= 1),
	at TIMESTAMPTZ NOT NULL,
	actor TEXT NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
	action TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
	object_type TEXT NOT NULL CHECK (length(object_type) BETWEEN 1 AND 100),
	object_id TEXT NOT NULL CHECK (length(object_id) <= 200),
	change_digest TEXT NOT NULL CHECK (length(change_digest) = 64),
	prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
	hash TEXT NOT NULL CHECK (length(hash) = 64)
);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);
