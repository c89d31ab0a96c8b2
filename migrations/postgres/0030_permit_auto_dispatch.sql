-- Automatic dispatch (issue #12, point 2; package permit, autodispatch.go).
-- Madina itself dispatches an accepted urban file to its committee, within
-- the dispatch deadline: its selection of the seats has no person behind
-- it. selected_by becomes nullable, and NULL means exactly that: the
-- system selected the seat by the catalogue's rules (a permanent or an
-- occasional member). A member added with a reason is always an agent's
-- act.
ALTER TABLE permit_committee_seats ALTER COLUMN selected_by DROP NOT NULL;
ALTER TABLE permit_committee_seats ADD CONSTRAINT permit_committee_seats_system
	CHECK (selected_by IS NOT NULL OR basis IN ('permanent', 'occasional'));

-- Whether a window's accepted urban files are dispatched by Madina itself
-- (automatic, the default: a window without a row) or wait for an agent
-- (automatic false). Configuration kept by the operator or an
-- administrator (authz orgs.manage), audited.
CREATE TABLE permit_dispatch_modes (
	window_code TEXT PRIMARY KEY REFERENCES windows (code),
	automatic BOOLEAN NOT NULL,
	set_by BIGINT REFERENCES persons (id),
	set_at TIMESTAMPTZ NOT NULL
);
