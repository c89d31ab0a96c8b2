-- Attachments of notifications (package notify): files sent with an e-mail
-- delivery, such as an appointment's .ics or a PDF receipt. They are
-- written in the transaction that records the delivery and kept once it is
-- sent or has failed, so that every retry sends them again, in id order.
-- Only e-mail deliveries carry attachments: channel is always 'email' and
-- the foreign key covers (delivery_id, channel), hence the unique index on
-- notify_deliveries. name is the file name the recipient sees (never a
-- path); content_type a MIME type with its parameters; size the length of
-- data in octets, at most 2 MiB (the package also limits the attachments
-- of one message to 2 MiB together).
CREATE UNIQUE INDEX notify_deliveries_id_channel ON notify_deliveries (id, channel);

CREATE TABLE notify_attachments (
	id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	delivery_id BIGINT NOT NULL REFERENCES notify_deliveries (id),
	channel TEXT NOT NULL DEFAULT 'email' CHECK (channel = 'email'),
	name TEXT NOT NULL CHECK (name <> '' AND octet_length(name) <= 255
		AND strpos(name, '/') = 0 AND strpos(name, chr(92)) = 0),
	content_type TEXT NOT NULL CHECK (content_type LIKE '_%/_%'),
	data BYTEA NOT NULL,
	size INTEGER NOT NULL CHECK (size > 0 AND size <= 2097152),
	FOREIGN KEY (delivery_id, channel) REFERENCES notify_deliveries (id, channel),
	CHECK (size = octet_length(data))
);
CREATE INDEX notify_attachments_delivery ON notify_attachments (delivery_id, id);
