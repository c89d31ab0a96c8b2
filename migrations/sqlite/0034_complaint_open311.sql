-- Open311's write side (issue #16, point 6; package complaint).
--
-- complaint_open311_clients: the applications (a FixMyStreet-like site,
-- a phone app) that staff registered to post requests through
-- /open311/v2. Each has one key, given once and kept here only as its
-- SHA-256 (key_hash); a revoked client posts no more. Never deleted: the
-- requests it posted name it.
CREATE TABLE complaint_open311_clients (
	id INTEGER PRIMARY KEY,
	name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
	key_hash TEXT NOT NULL UNIQUE CHECK (length(key_hash) = 64),
	issued_by BIGINT REFERENCES persons (id),
	issued_at TIMESTAMP NOT NULL,
	revoked_at TIMESTAMP,
	CONSTRAINT complaint_open311_clients_revoked CHECK (revoked_at IS NULL OR revoked_at >= issued_at)
);
CREATE TRIGGER complaint_open311_clients_fixed BEFORE UPDATE ON complaint_open311_clients
WHEN OLD.key_hash <> NEW.key_hash OR OLD.issued_at <> NEW.issued_at OR OLD.issued_by IS NOT NEW.issued_by
	OR (OLD.revoked_at IS NOT NULL AND OLD.revoked_at IS NOT NEW.revoked_at)
BEGIN SELECT RAISE(ABORT, 'complaint_open311_clients: a key is never changed, a revocation never undone'); END;
CREATE TRIGGER complaint_open311_clients_kept BEFORE DELETE ON complaint_open311_clients
BEGIN SELECT RAISE(ABORT, 'complaint_open311_clients are never deleted'); END;

-- complaint_contacts: an e-mail address or phone number proven by a
-- one-time code, for filing without an account where the category
-- allows it. The code and the session token given once proven are kept
-- only as their SHA-256; five wrong codes end the attempt. Never deleted:
-- the requests filed with it name it.
CREATE TABLE complaint_contacts (
	id INTEGER PRIMARY KEY,
	channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
	address TEXT NOT NULL CHECK (length(address) BETWEEN 3 AND 254),
	code_hash TEXT NOT NULL CHECK (length(code_hash) = 64),
	token_hash TEXT UNIQUE CHECK (token_hash IS NULL OR length(token_hash) = 64),
	lang TEXT NOT NULL CHECK (lang IN ('ar', 'fr', 'en')),
	attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts BETWEEN 0 AND 5),
	created_at TIMESTAMP NOT NULL,
	expires_at TIMESTAMP NOT NULL,
	verified_at TIMESTAMP,
	CONSTRAINT complaint_contacts_verified CHECK ((verified_at IS NULL) = (token_hash IS NULL)),
	CONSTRAINT complaint_contacts_expiry CHECK (created_at < expires_at)
);
CREATE TRIGGER complaint_contacts_kept BEFORE DELETE ON complaint_contacts
BEGIN SELECT RAISE(ABORT, 'complaint_contacts are never deleted'); END;

-- A request posted through Open311 has no reporter's account: it names
-- the client that posted it, and keeps what the client sent of the person
-- (name, e-mail, phone, device), never published. A request filed without
-- an account names its proven contact (contact_id). Exactly one of the
-- three: the account, the client, the contact.
-- open311_token: what the client may ask tokens/{token} about.
--
-- SQLite cannot drop a NOT NULL: the table is built again (its photos and
-- history reference it by name; the foreign keys are checked at commit,
-- once its rows are back).
PRAGMA defer_foreign_keys = ON;
CREATE TABLE complaint_requests_0034 AS SELECT * FROM complaint_requests;
DROP TABLE complaint_requests;
CREATE TABLE complaint_requests (
	id INTEGER PRIMARY KEY,
	number TEXT NOT NULL UNIQUE CHECK (length(number) BETWEEN 6 AND 32),
	tracking_code TEXT NOT NULL CHECK (length(tracking_code) = 8),
	category TEXT NOT NULL CHECK (category <> ''),
	catalogue_version TEXT NOT NULL CHECK (catalogue_version <> ''),
	reporter_id BIGINT REFERENCES persons (id),
	organisation_code TEXT NOT NULL REFERENCES organisations (code),
	arrondissement_code TEXT NOT NULL REFERENCES arrondissements (code),
	lat REAL CHECK (lat BETWEEN -90 AND 90),
	lon REAL CHECK (lon BETWEEN -180 AND 180),
	address TEXT NOT NULL DEFAULT '' CHECK (length(address) <= 300),
	description TEXT NOT NULL CHECK (length(description) BETWEEN 1 AND 4000),
	public_description TEXT NOT NULL CHECK (length(public_description) BETWEEN 1 AND 4000),
	answers TEXT NOT NULL DEFAULT '{}' CHECK (answers <> ''),
	contact TEXT NOT NULL CHECK (contact IN ('email', 'sms', 'inbox')),
	private BOOLEAN NOT NULL,
	state TEXT NOT NULL CHECK (state IN ('received', 'acknowledged', 'in_progress', 'waiting', 'resolved', 'closed', 'reopened')),
	version INTEGER NOT NULL CHECK (version >= 1),
	filed_at TIMESTAMP NOT NULL,
	ack_due TIMESTAMP NOT NULL,
	resolve_due TIMESTAMP NOT NULL,
	escalate_at TIMESTAMP NOT NULL,
	acknowledged_at TIMESTAMP,
	resolved_at TIMESTAMP,
	closed_at TIMESTAMP,
	waiting_since TIMESTAMP,
	public_answer TEXT NOT NULL DEFAULT '' CHECK (length(public_answer) <= 4000),
	alerted_at TIMESTAMP,
	escalated_at TIMESTAMP,
	updated_at TIMESTAMP NOT NULL,
	client_id BIGINT REFERENCES complaint_open311_clients (id),
	contact_id BIGINT REFERENCES complaint_contacts (id),
	open311_token TEXT CHECK (open311_token IS NULL OR length(open311_token) BETWEEN 16 AND 64),
	reporter_name TEXT NOT NULL DEFAULT '' CHECK (length(reporter_name) <= 200),
	reporter_email TEXT NOT NULL DEFAULT '' CHECK (length(reporter_email) <= 254),
	reporter_phone TEXT NOT NULL DEFAULT '' CHECK (length(reporter_phone) <= 32),
	device_id TEXT NOT NULL DEFAULT '' CHECK (length(device_id) <= 200),
	CONSTRAINT complaint_requests_point CHECK ((lat IS NULL) = (lon IS NULL)),
	CONSTRAINT complaint_requests_due CHECK (filed_at < ack_due AND ack_due <= resolve_due AND resolve_due <= escalate_at),
	CONSTRAINT complaint_requests_acknowledged CHECK (state = 'received' OR acknowledged_at IS NOT NULL),
	CONSTRAINT complaint_requests_waiting CHECK ((state = 'waiting') = (waiting_since IS NOT NULL)),
	CONSTRAINT complaint_requests_resolved CHECK (state NOT IN ('resolved', 'reopened') OR resolved_at IS NOT NULL),
	CONSTRAINT complaint_requests_closed CHECK ((state = 'closed') = (closed_at IS NOT NULL)),
	CONSTRAINT complaint_requests_answered CHECK (state NOT IN ('resolved', 'closed') OR public_answer <> ''),
	CONSTRAINT complaint_requests_source CHECK ((CASE WHEN reporter_id IS NULL THEN 0 ELSE 1 END)
		+ (CASE WHEN client_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN contact_id IS NULL THEN 0 ELSE 1 END) = 1),
	CONSTRAINT complaint_requests_token CHECK ((open311_token IS NULL) = (client_id IS NULL))
);
CREATE INDEX complaint_requests_reporter ON complaint_requests (reporter_id, filed_at);
CREATE INDEX complaint_requests_queue ON complaint_requests (organisation_code, state, resolve_due);
CREATE INDEX complaint_requests_area ON complaint_requests (arrondissement_code, filed_at);
CREATE INDEX complaint_requests_clock ON complaint_requests (state, escalate_at);
CREATE TRIGGER complaint_requests_transition BEFORE UPDATE OF state ON complaint_requests
WHEN OLD.state <> NEW.state AND (OLD.state || '>' || NEW.state) NOT IN (
		'received>acknowledged',
		'received>waiting',
		'received>resolved',
		'received>closed',
		'acknowledged>in_progress',
		'acknowledged>waiting',
		'acknowledged>resolved',
		'acknowledged>closed',
		'in_progress>waiting',
		'in_progress>resolved',
		'in_progress>closed',
		'waiting>in_progress',
		'waiting>resolved',
		'waiting>closed',
		'resolved>closed',
		'resolved>reopened',
		'reopened>in_progress',
		'reopened>waiting',
		'reopened>resolved',
		'reopened>closed')
BEGIN SELECT RAISE(ABORT, 'complaint_requests: no such change of state'); END;
CREATE TRIGGER complaint_requests_fixed BEFORE UPDATE OF number, tracking_code, reporter_id, client_id, contact_id, open311_token, filed_at, description ON complaint_requests
WHEN OLD.number <> NEW.number OR OLD.tracking_code <> NEW.tracking_code
	OR OLD.reporter_id IS NOT NEW.reporter_id OR OLD.client_id IS NOT NEW.client_id OR OLD.contact_id IS NOT NEW.contact_id
	OR OLD.open311_token IS NOT NEW.open311_token
	OR OLD.filed_at <> NEW.filed_at OR OLD.description <> NEW.description
BEGIN SELECT RAISE(ABORT, 'complaint_requests: what was filed is never changed'); END;
CREATE TRIGGER complaint_requests_kept BEFORE DELETE ON complaint_requests
BEGIN SELECT RAISE(ABORT, 'complaint_requests are never deleted'); END;
CREATE UNIQUE INDEX complaint_requests_open311_token ON complaint_requests (open311_token);
CREATE INDEX complaint_requests_client ON complaint_requests (client_id, filed_at);
CREATE INDEX complaint_requests_contact ON complaint_requests (contact_id);
CREATE INDEX complaint_events_at ON complaint_events (at, id);
INSERT INTO complaint_requests (id, number, tracking_code, category, catalogue_version, reporter_id, organisation_code, arrondissement_code,
	lat, lon, address, description, public_description, answers, contact, private, state, version, filed_at, ack_due,
	resolve_due, escalate_at, acknowledged_at, resolved_at, closed_at, waiting_since, public_answer, alerted_at,
	escalated_at, updated_at)
SELECT id, number, tracking_code, category, catalogue_version, reporter_id, organisation_code, arrondissement_code,
	lat, lon, address, description, public_description, answers, contact, private, state, version, filed_at, ack_due,
	resolve_due, escalate_at, acknowledged_at, resolved_at, closed_at, waiting_since, public_answer, alerted_at,
	escalated_at, updated_at FROM complaint_requests_0034;
DROP TABLE complaint_requests_0034;
