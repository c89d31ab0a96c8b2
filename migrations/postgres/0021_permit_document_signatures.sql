-- An architect signs a PDF document of a file they prepare (package
-- permit, SignDocument). permit_documents stay immutable: the signed PDF
-- is a new document of the same file and item (the next version of a
-- single item; in a set it takes its source's place), and this row says
-- which document it signs, who signed it and with which certificate. Only
-- while the file is with its applicant; rows are never changed. The
-- source stays stored: removing the signed document brings it back.
CREATE TABLE permit_document_signatures (
	document_id BIGINT NOT NULL PRIMARY KEY REFERENCES permit_documents (id),
	source_id BIGINT NOT NULL REFERENCES permit_documents (id),
	signer BIGINT NOT NULL REFERENCES persons (id),
	signer_name TEXT NOT NULL CHECK (signer_name <> '' AND length(signer_name) <= 200),
	serial TEXT NOT NULL CHECK (serial <> '' AND length(serial) <= 64),
	signed_at TIMESTAMPTZ NOT NULL,
	CHECK (document_id <> source_id)
);
CREATE INDEX permit_document_signatures_source ON permit_document_signatures (source_id);
CREATE FUNCTION permit_document_signatures_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM permit_documents d JOIN permit_documents s
		ON s.file_id = d.file_id AND s.item = d.item AND s.id < d.id
		WHERE d.id = NEW.document_id AND s.id = NEW.source_id) THEN
		RAISE EXCEPTION 'permit_document_signatures: a signed document follows its source in the same file and item';
	END IF;
	IF (SELECT f.state FROM permit_documents d JOIN permit_files f ON f.id = d.file_id WHERE d.id = NEW.document_id)
		NOT IN ('draft', 'returned', 'info_requested') THEN
		RAISE EXCEPTION 'permit_document_signatures: the file is no longer with its applicant';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER permit_document_signatures_check BEFORE INSERT ON permit_document_signatures
FOR EACH ROW EXECUTE FUNCTION permit_document_signatures_check();
CREATE FUNCTION permit_document_signatures_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'permit_document_signatures are immutable'; END $$;
CREATE TRIGGER permit_document_signatures_immutable BEFORE UPDATE OR DELETE ON permit_document_signatures
FOR EACH ROW EXECUTE FUNCTION permit_document_signatures_refuse();
