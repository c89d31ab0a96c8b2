-- Identity: people, legal persons they represent, professionals, staff,
-- sessions, verification codes, second factor, API tokens and mandates.

CREATE TABLE persons (
	id INTEGER PRIMARY KEY,
	email TEXT NOT NULL CHECK (email <> '' AND length(email) <= 254),
	email_key TEXT NOT NULL UNIQUE,
	email_verified_at TIMESTAMP,
	phone TEXT NOT NULL DEFAULT '',
	phone_verified_at TIMESTAMP,
	cin TEXT UNIQUE CHECK (cin IS NULL OR length(cin) BETWEEN 2 AND 10),
	given_name_ar TEXT NOT NULL DEFAULT '',
	family_name_ar TEXT NOT NULL DEFAULT '',
	given_name_latin TEXT NOT NULL DEFAULT '',
	family_name_latin TEXT NOT NULL DEFAULT '',
	lang TEXT NOT NULL DEFAULT 'ar' CHECK (lang IN ('ar', 'fr', 'en')),
	notify_email BOOLEAN NOT NULL DEFAULT 1,
	notify_sms BOOLEAN NOT NULL DEFAULT 1,
	password_hash TEXT,
	totp_secret TEXT,
	totp_enabled_at TIMESTAMP,
	totp_last_step BIGINT NOT NULL DEFAULT 0,
	failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
	locked_until TIMESTAMP,
	developer BOOLEAN NOT NULL DEFAULT 0,
	disabled_at TIMESTAMP,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	CHECK (totp_enabled_at IS NULL OR totp_secret IS NOT NULL)
);

-- Accounts at an OpenID Connect provider (the national digital identity).
CREATE TABLE oidc_links (
	issuer TEXT NOT NULL,
	subject TEXT NOT NULL,
	person_id BIGINT NOT NULL REFERENCES persons (id),
	created_at TIMESTAMP NOT NULL,
	PRIMARY KEY (issuer, subject)
);

CREATE TABLE legal_persons (
	id INTEGER PRIMARY KEY,
	kind TEXT NOT NULL CHECK (kind IN ('company', 'association')),
	name TEXT NOT NULL CHECK (name <> '' AND length(name) <= 200),
	name_ar TEXT NOT NULL DEFAULT '',
	ice TEXT UNIQUE CHECK (ice IS NULL OR length(ice) = 15),
	rc TEXT,
	association_number TEXT,
	created_by BIGINT NOT NULL REFERENCES persons (id),
	created_at TIMESTAMP NOT NULL,
	CHECK ((kind = 'company') = (ice IS NOT NULL AND rc IS NOT NULL)),
	CHECK ((kind = 'association') = (association_number IS NOT NULL))
);

-- Who may act for a legal person: a company's manager, an association's
-- president.
CREATE TABLE representatives (
	legal_person_id BIGINT NOT NULL REFERENCES legal_persons (id),
	person_id BIGINT NOT NULL REFERENCES persons (id),
	role TEXT NOT NULL CHECK (role IN ('manager', 'president', 'legal_representative')),
	created_at TIMESTAMP NOT NULL,
	revoked_at TIMESTAMP,
	PRIMARY KEY (legal_person_id, person_id)
);
CREATE INDEX representatives_person ON representatives (person_id);

-- A professional acts as such only once staff verified the registration.
CREATE TABLE professionals (
	person_id BIGINT PRIMARY KEY REFERENCES persons (id),
	profession TEXT NOT NULL CHECK (profession IN ('architect', 'engineer', 'surveyor')),
	registration_number TEXT NOT NULL CHECK (registration_number <> ''),
	verified_at TIMESTAMP,
	verified_by BIGINT REFERENCES persons (id),
	created_at TIMESTAMP NOT NULL,
	UNIQUE (profession, registration_number),
	CHECK ((verified_at IS NULL) = (verified_by IS NULL))
);

CREATE TABLE organisations (
	code TEXT PRIMARY KEY CHECK (code <> ''),
	kind TEXT NOT NULL CHECK (kind IN ('commune', 'arrondissement', 'prefecture', 'urban_agency', 'civil_protection',
		'utility', 'electricity', 'telecom', 'land_registry', 'other')),
	arrondissement_code TEXT REFERENCES arrondissements (code),
	name_ar TEXT NOT NULL CHECK (name_ar <> ''),
	name_fr TEXT NOT NULL CHECK (name_fr <> ''),
	name_en TEXT NOT NULL CHECK (name_en <> ''),
	created_at TIMESTAMP NOT NULL,
	CHECK ((kind = 'arrondissement') = (arrondissement_code IS NOT NULL))
);

-- A staff role, in an organisation, limited to one arrondissement or
-- window where it applies.
CREATE TABLE staff_grants (
	id INTEGER PRIMARY KEY,
	person_id BIGINT NOT NULL REFERENCES persons (id),
	organisation_code TEXT NOT NULL REFERENCES organisations (code),
	role TEXT NOT NULL CHECK (role IN ('admin', 'window_agent', 'committee_member', 'complaint_officer',
		'facility_manager', 'dispatcher', 'editor', 'moderator', 'auditor')),
	arrondissement_code TEXT REFERENCES arrondissements (code),
	window_code TEXT REFERENCES windows (code),
	granted_by BIGINT REFERENCES persons (id),
	granted_at TIMESTAMP NOT NULL,
	revoked_at TIMESTAMP,
	CHECK (role <> 'window_agent' OR window_code IS NOT NULL)
);
CREATE INDEX staff_grants_person ON staff_grants (person_id);

-- Sessions: the cookie holds a random token; only its SHA-256 is stored.
CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY CHECK (length(token_hash) = 64),
	person_id BIGINT NOT NULL REFERENCES persons (id),
	acting_for BIGINT REFERENCES legal_persons (id),
	created_at TIMESTAMP NOT NULL,
	last_seen_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP NOT NULL,
	mfa_at TIMESTAMP,
	revoked_at TIMESTAMP,
	user_agent TEXT NOT NULL DEFAULT '',
	CHECK (expires_at > created_at)
);
CREATE INDEX sessions_person ON sessions (person_id);

-- One-time codes: e-mail links, SMS codes, password resets. Hashed.
CREATE TABLE verification_codes (
	id INTEGER PRIMARY KEY,
	person_id BIGINT NOT NULL REFERENCES persons (id),
	purpose TEXT NOT NULL CHECK (purpose IN ('email', 'phone', 'reset')),
	target TEXT NOT NULL,
	code_hash TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP NOT NULL,
	used_at TIMESTAMP,
	attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	CHECK (expires_at > created_at)
);
CREATE INDEX verification_codes_person ON verification_codes (person_id, purpose);
CREATE UNIQUE INDEX verification_codes_hash ON verification_codes (code_hash);

CREATE TABLE recovery_codes (
	person_id BIGINT NOT NULL REFERENCES persons (id),
	code_hash TEXT NOT NULL,
	used_at TIMESTAMP,
	PRIMARY KEY (person_id, code_hash)
);

-- Personal API tokens: only the SHA-256 of the token is stored.
CREATE TABLE api_tokens (
	id INTEGER PRIMARY KEY,
	person_id BIGINT NOT NULL REFERENCES persons (id),
	name TEXT NOT NULL CHECK (name <> '' AND length(name) <= 100),
	token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
	scopes TEXT NOT NULL,
	created_at TIMESTAMP NOT NULL,
	last_used_at TIMESTAMP,
	expires_at TIMESTAMP,
	revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_person ON api_tokens (person_id);

-- A project owner (person or legal person) lets a professional act for
-- them: for one file, or for every file of a permit kind, until an end date.
CREATE TABLE mandates (
	id INTEGER PRIMARY KEY,
	grantor_person_id BIGINT REFERENCES persons (id),
	grantor_legal_id BIGINT REFERENCES legal_persons (id),
	professional_id BIGINT NOT NULL REFERENCES persons (id),
	scope TEXT NOT NULL CHECK (scope IN ('file', 'kind')),
	file_ref TEXT,
	permit_kind TEXT,
	starts_at TIMESTAMP NOT NULL,
	ends_at TIMESTAMP NOT NULL,
	created_by BIGINT NOT NULL REFERENCES persons (id),
	created_at TIMESTAMP NOT NULL,
	revoked_at TIMESTAMP,
	CHECK ((grantor_person_id IS NULL) <> (grantor_legal_id IS NULL)),
	CHECK ((scope = 'file') = (file_ref IS NOT NULL)),
	CHECK ((scope = 'kind') = (permit_kind IS NOT NULL)),
	CHECK (ends_at > starts_at),
	CHECK (grantor_person_id IS NULL OR grantor_person_id <> professional_id)
);
CREATE INDEX mandates_professional ON mandates (professional_id);
CREATE INDEX mandates_grantor_person ON mandates (grantor_person_id);
CREATE INDEX mandates_grantor_legal ON mandates (grantor_legal_id);
