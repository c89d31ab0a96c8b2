-- Signers' keys (capability internal/signature, issue #11). One row per
-- signing key a person enrolled: a certificate the built-in CA issued for
-- a key Madina generated ('issued'), or a provider's certificate and key
-- imported from PKCS#12 ('imported'). sealed_key is the PKCS#8 private key
-- sealed twice: with a key derived from the signer's PIN (argon2id over
-- pin_salt) and then with the server key (secretbox, bound to the row's
-- person and serial); neither the database nor the server key alone opens
-- it. failed_attempts counts wrong PINs since the last right one; the
-- fifth sets locked_at and the key is unusable from then on. A person has
-- at most one key that is not revoked.
CREATE TABLE signer_keys (
	id INTEGER PRIMARY KEY,
	person_id BIGINT NOT NULL REFERENCES persons (id),
	kind TEXT NOT NULL CHECK (kind IN ('issued', 'imported')),
	serial TEXT NOT NULL CHECK (length(serial) BETWEEN 1 AND 64),
	subject TEXT NOT NULL,
	issuer TEXT NOT NULL,
	cert BLOB NOT NULL CHECK (typeof(cert) = 'blob'),
	chain BLOB NOT NULL CHECK (typeof(chain) = 'blob'),
	sealed_key TEXT NOT NULL CHECK (sealed_key LIKE 'v1.%'),
	pin_salt BLOB NOT NULL CHECK (typeof(pin_salt) = 'blob') CHECK (length(pin_salt) = 16),
	not_before TIMESTAMP NOT NULL,
	not_after TIMESTAMP NOT NULL,
	created_at TIMESTAMP NOT NULL,
	failed_attempts INTEGER NOT NULL DEFAULT 0 CHECK (failed_attempts BETWEEN 0 AND 5),
	locked_at TIMESTAMP,
	last_used_at TIMESTAMP,
	revoked_at TIMESTAMP,
	revoked_by BIGINT REFERENCES persons (id),
	reason INTEGER CHECK (reason BETWEEN 0 AND 10 AND reason <> 7),
	UNIQUE (issuer, serial),
	CHECK ((revoked_at IS NULL) = (reason IS NULL)),
	CHECK (locked_at IS NULL OR failed_attempts = 5)
);
CREATE UNIQUE INDEX signer_keys_active ON signer_keys (person_id) WHERE revoked_at IS NULL;
CREATE INDEX signer_keys_created ON signer_keys (created_at, id);
