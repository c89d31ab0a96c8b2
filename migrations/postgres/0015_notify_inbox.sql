-- The in-app inbox shows each notice as a short message (the SMS's text,
-- which names no attachment) with a link to the page it concerns, a path
-- on the site (a file, the mandates). Entries filed before have neither:
-- the inbox shows their subject alone.
ALTER TABLE notifications ADD COLUMN summary TEXT;
ALTER TABLE notifications ADD COLUMN link TEXT CHECK (link LIKE '/%' AND link NOT LIKE '//%');
