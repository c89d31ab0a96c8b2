-- Notifications (package notify). A delivery is one message to one
-- recipient over one channel; it is written in the transaction of the event
-- that causes it, together with the job that sends it. address holds the
-- e-mail address or phone number (empty for the in-app inbox); data holds
-- the template's data as JSON, rendered when the job runs.
CREATE TABLE notify_deliveries (
	id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	template TEXT NOT NULL CHECK (template <> ''),
	channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'inbox')),
	lang TEXT NOT NULL CHECK (lang IN ('ar', 'fr', 'en')),
	user_id TEXT CHECK (user_id <> ''),
	address TEXT NOT NULL,
	data TEXT NOT NULL,
	status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'logged', 'failed')),
	attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	last_error TEXT,
	job_id BIGINT,
	created_at TIMESTAMPTZ NOT NULL,
	updated_at TIMESTAMPTZ NOT NULL,
	sent_at TIMESTAMPTZ,
	CHECK ((channel = 'inbox') = (address = '')),
	CHECK (channel <> 'inbox' OR user_id IS NOT NULL),
	CHECK ((status IN ('sent', 'logged')) = (sent_at IS NOT NULL))
);
CREATE INDEX notify_deliveries_user ON notify_deliveries (user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX notify_deliveries_pending ON notify_deliveries (status, id) WHERE status IN ('queued', 'failed');

-- The in-app inbox: one row per inbox delivery (delivery_id is unique, so a
-- retried job never files a notification twice), rendered in the
-- recipient's language when it was delivered.
CREATE TABLE notifications (
	id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id TEXT NOT NULL CHECK (user_id <> ''),
	delivery_id BIGINT NOT NULL UNIQUE REFERENCES notify_deliveries (id),
	template TEXT NOT NULL CHECK (template <> ''),
	lang TEXT NOT NULL CHECK (lang IN ('ar', 'fr', 'en')),
	subject TEXT NOT NULL,
	body TEXT NOT NULL,
	created_at TIMESTAMPTZ NOT NULL,
	read_at TIMESTAMPTZ
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;
