-- Plan review (package planreview, issue #13): annotations and
-- measurements on the plan sheets of permit files, and their threads of
-- replies. A sheet is a version of a permit document (permit_documents):
-- an annotation is made on one version, and shows on the later versions
-- of the same item while it stays open (carried over, computed on read:
-- doc_version and resolved_version say where it shows).

-- What the server read once from a sheet's PDF, by its content hash: its
-- pages, each page's box in PDF user space, its rotation, its user unit
-- and the scale of its own measurement dictionary (/VP /Measure, metres
-- per user unit) when it has one.
CREATE TABLE planreview_sheets (
	sha256 TEXT NOT NULL PRIMARY KEY CHECK (length(sha256) = 64),
	pages INTEGER NOT NULL CHECK (pages >= 1),
	read_at TIMESTAMP NOT NULL
);
CREATE TABLE planreview_pages (
	sha256 TEXT NOT NULL REFERENCES planreview_sheets (sha256),
	page INTEGER NOT NULL CHECK (page >= 1),
	x0 REAL NOT NULL,
	y0 REAL NOT NULL,
	x1 REAL NOT NULL,
	y1 REAL NOT NULL,
	rotate INTEGER NOT NULL DEFAULT 0 CHECK (rotate IN (0, 90, 180, 270)),
	user_unit REAL NOT NULL DEFAULT 1 CHECK (user_unit > 0),
	measure REAL CHECK (measure > 0),
	measure_ratio TEXT NOT NULL DEFAULT '' CHECK (length(measure_ratio) <= 200),
	PRIMARY KEY (sha256, page),
	CHECK (x1 > x0 AND y1 > y0)
);

CREATE TABLE planreview_annotations (
	id INTEGER PRIMARY KEY,
	file_id BIGINT NOT NULL REFERENCES permit_files (id),
	document_id BIGINT NOT NULL REFERENCES permit_documents (id),
	item TEXT NOT NULL CHECK (item <> ''),
	doc_version INTEGER NOT NULL CHECK (doc_version >= 1),
	page INTEGER NOT NULL CHECK (page >= 1),
	kind TEXT NOT NULL CHECK (kind IN ('pin', 'arrow', 'line', 'rectangle', 'ellipse', 'polygon', 'freehand', 'text',
		'highlight', 'distance', 'polyline', 'area', 'rectangle_area', 'count', 'angle')),
	geometry TEXT NOT NULL CHECK (geometry <> ''),
	body TEXT NOT NULL DEFAULT '' CHECK (length(body) <= 4000),
	motivation TEXT NOT NULL CHECK (motivation IN ('commenting', 'questioning', 'assessing', 'highlighting', 'describing')),
	status TEXT NOT NULL CHECK (status IN ('open', 'resolved', 'info')),
	visibility TEXT NOT NULL CHECK (visibility IN ('committee', 'shared')),
	round INTEGER NOT NULL CHECK (round >= 0),
	author_id BIGINT NOT NULL REFERENCES persons (id),
	side TEXT NOT NULL CHECK (side IN ('committee', 'window')),
	organisation_code TEXT REFERENCES organisations (code),
	calibration TEXT,
	measured REAL,
	measured2 REAL,
	created_at TIMESTAMP NOT NULL,
	updated_at TIMESTAMP NOT NULL,
	resolved_version INTEGER,
	resolved_by BIGINT REFERENCES persons (id),
	resolved_at TIMESTAMP,
	version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
	CHECK ((status = 'resolved') = (resolved_version IS NOT NULL)),
	CHECK ((resolved_version IS NULL) = (resolved_by IS NULL) AND (resolved_by IS NULL) = (resolved_at IS NULL)),
	CHECK (resolved_version IS NULL OR resolved_version >= doc_version),
	CHECK ((calibration IS NULL) = (kind NOT IN ('distance', 'polyline', 'area', 'rectangle_area')))
);
-- A sheet's annotations: those of its version, and the open ones of the
-- item's earlier versions.
CREATE INDEX planreview_annotations_sheet ON planreview_annotations (file_id, item, doc_version, id);

-- Replies on an annotation: the applicant (or their architect) answers on
-- the annotation itself; the committee and the window answer back. A
-- reply is never changed.
CREATE TABLE planreview_replies (
	id INTEGER PRIMARY KEY,
	annotation_id BIGINT NOT NULL REFERENCES planreview_annotations (id),
	document_id BIGINT NOT NULL REFERENCES permit_documents (id),
	author_id BIGINT NOT NULL REFERENCES persons (id),
	side TEXT NOT NULL CHECK (side IN ('applicant', 'committee', 'window')),
	organisation_code TEXT REFERENCES organisations (code),
	body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
	created_at TIMESTAMP NOT NULL
);
CREATE INDEX planreview_replies_annotation ON planreview_replies (annotation_id, id);
