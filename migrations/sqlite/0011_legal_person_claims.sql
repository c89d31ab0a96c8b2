-- A legal person registers once. A company's ICE is unique since 0005 (the
-- application stores its 15 ASCII digits, whatever was typed). An
-- association's registration number now is too, through its key: the
-- application (identity.AssociationKey) folds digits, drops separators and
-- leading zeros and sorts the groups, so "2019/0456", "2019-456" and
-- "0456/2019" have one key, and fills the column on every insert (rows from
-- before this migration at start-up). A second association with a key
-- already held is refused here too.
ALTER TABLE legal_persons ADD COLUMN association_key TEXT;
CREATE UNIQUE INDEX legal_persons_association_key ON legal_persons (association_key)
	WHERE association_key IS NOT NULL;

-- Someone who registers a legal person already registered claims to
-- represent it too, with evidence (statutes, minutes naming them: a PDF in
-- the blob store). Its representatives or an administrator approve (the
-- claimant becomes a representative) or refuse; the row stays as the record.
CREATE TABLE legal_claims (
	id INTEGER PRIMARY KEY,
	legal_person_id BIGINT NOT NULL REFERENCES legal_persons (id),
	claimant_id BIGINT NOT NULL REFERENCES persons (id),
	role TEXT NOT NULL CHECK (role IN ('manager', 'president', 'legal_representative')),
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
-- One open claim per person and legal person.
CREATE UNIQUE INDEX legal_claims_one_pending ON legal_claims (legal_person_id, claimant_id) WHERE status = 'pending';
CREATE INDEX legal_claims_pending ON legal_claims (status, id) WHERE status = 'pending';
