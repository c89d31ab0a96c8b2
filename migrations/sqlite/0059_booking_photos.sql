-- booking_facility_photos: a facility's photos (issue #15 point 1), added
-- and removed by its managers at the desk, shown on its public page in
-- the order of position. Each is re-encoded as JPEG (no EXIF, no GPS;
-- package platform/photo) and kept in the blob store; its caption in
-- Arabic, French and/or English — at least one — is the image's alt text
-- with the facility's name. Six a facility at most: positions 1 to 6,
-- one photo each. A photo's id names it in its public address, which is
-- cached for good, so nothing of a photo changes but its position (a
-- removal closes the gap); a removal deletes the row (audited), and the
-- blob sweeper removes the blob once no row names it.
CREATE TABLE booking_facility_photos (
	id INTEGER PRIMARY KEY,
	facility_code TEXT NOT NULL REFERENCES booking_facilities (code),
	position INTEGER NOT NULL CHECK (position BETWEEN 1 AND 6),
	sha256 TEXT NOT NULL CHECK (length(sha256) = 64),
	size BIGINT NOT NULL CHECK (size > 0 AND size <= 5242880),
	width INTEGER NOT NULL CHECK (width BETWEEN 1 AND 1600),
	height INTEGER NOT NULL CHECK (height BETWEEN 1 AND 1600),
	caption_ar TEXT NOT NULL DEFAULT '' CHECK (length(caption_ar) <= 200),
	caption_fr TEXT NOT NULL DEFAULT '' CHECK (length(caption_fr) <= 200),
	caption_en TEXT NOT NULL DEFAULT '' CHECK (length(caption_en) <= 200),
	added_at TIMESTAMP NOT NULL,
	added_by TEXT NOT NULL CHECK (added_by <> ''),
	CONSTRAINT booking_facility_photos_caption CHECK (caption_ar <> '' OR caption_fr <> '' OR caption_en <> '')
);
CREATE UNIQUE INDEX booking_facility_photos_position ON booking_facility_photos (facility_code, position);
CREATE TRIGGER booking_facility_photos_fixed BEFORE UPDATE OF id, facility_code, sha256, size, width, height, caption_ar,
	caption_fr, caption_en, added_at, added_by ON booking_facility_photos
BEGIN SELECT RAISE(ABORT, 'booking_facility_photos: only the position changes'); END;
