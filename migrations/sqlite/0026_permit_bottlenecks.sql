-- The bottleneck figures (package permit, Bottlenecks; docs/arch/bottlenecks.md).
-- Each opinion is compared with the members' study deadline it answered:
-- a file's deadlines by actor, the latest started first. Without it the
-- look-up scanned every deadline once per opinion (7 s over 5,000 files
-- on PostgreSQL); the file page's list of a file's deadlines uses it too.
CREATE INDEX permit_deadlines_file ON permit_deadlines (file_id, actor, starts_at);
-- The opinions of the last 90 days: the table only grows, the period
-- stays.
CREATE INDEX permit_opinions_given ON permit_opinions (given_at);
