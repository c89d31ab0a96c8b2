-- Staff tokens (issue #16, point 7: the team's work through the JSON API).
-- A staff member's token for a team's tool is issued from a browser
-- session that passed the second factor and is bound to it: it works
-- while that session lives (signing out, or the session's end, ends it)
-- and for 12 hours at most. session_hash is the session's token_hash;
-- a personal token has none. A token's scopes, session and dates never
-- change once issued (only its use and its revocation are recorded).
ALTER TABLE api_tokens ADD COLUMN session_hash TEXT REFERENCES sessions (token_hash);
CREATE INDEX api_tokens_session ON api_tokens (session_hash);
CREATE TRIGGER api_tokens_staff BEFORE INSERT ON api_tokens
WHEN (' ' || NEW.scopes || ' ') LIKE '% requests:work %' AND (NEW.session_hash IS NULL OR NEW.expires_at IS NULL
	OR julianday(NEW.expires_at) - julianday(NEW.created_at) > 0.5000001)
BEGIN SELECT RAISE(ABORT, 'api_tokens: a staff token is bound to a session, for 12 hours at most'); END;
CREATE TRIGGER api_tokens_fixed BEFORE UPDATE ON api_tokens
WHEN NEW.scopes <> OLD.scopes OR COALESCE(NEW.session_hash, '') <> COALESCE(OLD.session_hash, '')
	OR NEW.person_id <> OLD.person_id OR NEW.created_at <> OLD.created_at
	OR COALESCE(NEW.expires_at, '') <> COALESCE(OLD.expires_at, '')
BEGIN SELECT RAISE(ABORT, 'api_tokens: a token is never changed once issued'); END;
