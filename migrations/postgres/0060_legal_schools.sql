-- Schools as legal persons (issue #15 point 2: "who may book … school",
-- "schools in school hours"). A school is known by its establishment code
-- as the Ministry of National Education assigns it (the GRESA code MASSAR
-- shows; the application keeps it upper case, identity.SchoolCodeKey), once
-- like a company's ICE; its director represents it. The SQLite twin
-- rebuilds the tables whose CHECK changes (SQLite cannot alter a CHECK).
ALTER TABLE legal_persons ADD COLUMN school_code TEXT UNIQUE
	CHECK (school_code IS NULL OR length(school_code) BETWEEN 6 AND 7);
ALTER TABLE legal_persons DROP CONSTRAINT legal_persons_kind_check;
ALTER TABLE legal_persons ADD CONSTRAINT legal_persons_kind_check CHECK (kind IN ('company', 'association', 'school'));
ALTER TABLE legal_persons ADD CHECK ((kind = 'school') = (school_code IS NOT NULL));

ALTER TABLE representatives DROP CONSTRAINT representatives_role_check;
ALTER TABLE representatives ADD CONSTRAINT representatives_role_check
	CHECK (role IN ('manager', 'president', 'legal_representative', 'director'));
ALTER TABLE legal_claims DROP CONSTRAINT legal_claims_role_check;
ALTER TABLE legal_claims ADD CONSTRAINT legal_claims_role_check
	CHECK (role IN ('manager', 'president', 'legal_representative', 'director'));
