-- Documents Madina issued signed (capability internal/signature, issue
-- #11): one row per signed PDF, kept in the blob store under its SHA-256
-- (sha256, the hash of the final signed bytes: the blob's key). kind is
-- what it is ('receipt', 'decision'…), reference the file's official
-- number, file_id the permit file. source_sha256 is the hash of the
-- unsigned document: the QR code of the signature block carries it
-- (BASE_URL/verify?h=…), since the signed bytes' hash cannot be printed
-- inside them. signers lists who signed, one "name (serial)" a line.
-- One document of a kind per file.
CREATE TABLE signed_documents (
	id INTEGER PRIMARY KEY,
	sha256 TEXT NOT NULL UNIQUE CHECK (length(sha256) = 64),
	source_sha256 TEXT NOT NULL CHECK (length(source_sha256) = 64),
	kind TEXT NOT NULL CHECK (kind IN ('receipt', 'decision')),
	reference TEXT NOT NULL,
	file_id BIGINT NOT NULL,
	size BIGINT NOT NULL CHECK (size > 0),
	signed_at TIMESTAMP NOT NULL,
	signers TEXT NOT NULL,
	signer_serials TEXT NOT NULL,
	UNIQUE (kind, file_id)
);
CREATE INDEX signed_documents_source ON signed_documents (source_sha256);

-- The commune's electronic seal: the certificate the built-in CA issued to
-- the commune (a legal person, not a person: law 43-20's seal) and its
-- key, PKCS#8 sealed with the server key only (secretbox, bound to
-- "signature:seal:" + serial): no PIN, since no person acts. Made on first
-- use; one that is not revoked per name ('commune') at a time.
CREATE TABLE signature_seals (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL CHECK (name = 'commune'),
	serial TEXT NOT NULL UNIQUE CHECK (length(serial) BETWEEN 1 AND 64),
	cert BLOB NOT NULL CHECK (typeof(cert) = 'blob'),
	sealed_key TEXT NOT NULL CHECK (sealed_key LIKE 'v1.%'),
	not_after TIMESTAMP NOT NULL,
	created_at TIMESTAMP NOT NULL,
	revoked_at TIMESTAMP
);
CREATE UNIQUE INDEX signature_seals_active ON signature_seals (name) WHERE revoked_at IS NULL;
