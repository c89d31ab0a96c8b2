-- The built-in certificate authority (package internal/platform/pki).
-- pki_authorities holds the keys Madina signs with itself: the root, the
-- issuing CA and the time-stamping unit, each created on first start. key
-- is the PKCS#8 private key sealed with the server key (secretbox, bound to
-- "pki:authority:" + name), never the key in clear; cert its DER certificate.
CREATE TABLE pki_authorities (
	name TEXT NOT NULL PRIMARY KEY CHECK (name IN ('root', 'issuing', 'tsa')),
	cert BYTEA NOT NULL,
	sealed_key TEXT NOT NULL CHECK (sealed_key LIKE 'v1.%'),
	created_at TIMESTAMPTZ NOT NULL
);

-- Every certificate a Madina authority issued, by its issuer and serial
-- (lower-case hex): the CRL lists those revoked. A revocation sets both
-- revoked_at and reason (RFC 5280 CRLReason) or neither.
CREATE TABLE pki_certificates (
	issuer TEXT NOT NULL CHECK (issuer IN ('root', 'issuing')),
	serial TEXT NOT NULL CHECK (length(serial) BETWEEN 1 AND 40),
	subject TEXT NOT NULL,
	not_before TIMESTAMPTZ NOT NULL,
	not_after TIMESTAMPTZ NOT NULL,
	cert BYTEA NOT NULL,
	revoked_at TIMESTAMPTZ,
	reason INTEGER CHECK (reason BETWEEN 0 AND 10 AND reason <> 7),
	PRIMARY KEY (issuer, serial),
	CHECK ((revoked_at IS NULL) = (reason IS NULL))
);
CREATE INDEX pki_certificates_revoked ON pki_certificates (issuer, revoked_at) WHERE revoked_at IS NOT NULL;

-- The CRLs issued, one row each: numbers grow by one per issuer, the
-- primary key refuses a number issued twice. The newest is what /pki/crl
-- serves until its next_update draws near.
CREATE TABLE pki_crls (
	issuer TEXT NOT NULL CHECK (issuer IN ('root', 'issuing')),
	number INTEGER NOT NULL CHECK (number >= 1),
	this_update TIMESTAMPTZ NOT NULL,
	next_update TIMESTAMPTZ NOT NULL,
	crl BYTEA NOT NULL,
	PRIMARY KEY (issuer, number)
);
