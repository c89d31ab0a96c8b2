-- An applicant takes back a document uploaded by mistake (package permit,
-- RemoveDocument). permit_documents stay immutable: a removal is a row of
-- its own, once per document (the primary key), and only while the file
-- is with its applicant (draft, returned, info_requested): once the window
-- holds a file, what it received stays. The service also keeps documents
-- already handed to the window; removals themselves are never changed.
CREATE TABLE permit_document_removals (
	document_id BIGINT NOT NULL PRIMARY KEY REFERENCES permit_documents (id),
	removed_by BIGINT NOT NULL REFERENCES persons (id),
	removed_at TIMESTAMPTZ NOT NULL
);
CREATE FUNCTION permit_document_removals_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF (SELECT f.state FROM permit_documents d JOIN permit_files f ON f.id = d.file_id WHERE d.id = NEW.document_id)
		NOT IN ('draft', 'returned', 'info_requested') THEN
		RAISE EXCEPTION 'permit_document_removals: the file is no longer with its applicant';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER permit_document_removals_open BEFORE INSERT ON permit_document_removals
FOR EACH ROW EXECUTE FUNCTION permit_document_removals_open();
CREATE FUNCTION permit_document_removals_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'permit_document_removals are immutable'; END $$;
CREATE TRIGGER permit_document_removals_immutable BEFORE UPDATE OR DELETE ON permit_document_removals
FOR EACH ROW EXECUTE FUNCTION permit_document_removals_refuse();
