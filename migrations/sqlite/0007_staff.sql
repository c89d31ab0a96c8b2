-- Staff administration: invariants the back office relies on under
-- concurrent administrators.

-- A person holds a given role in a given organisation, scope and window at
-- most once at a time (revoked grants stay as history).
CREATE UNIQUE INDEX staff_grants_active ON staff_grants (person_id, role, organisation_code,
	COALESCE(arrondissement_code, ''), COALESCE(window_code, '')) WHERE revoked_at IS NULL;

-- An arrondissement is one organisation.
CREATE UNIQUE INDEX organisations_arrondissement ON organisations (arrondissement_code)
	WHERE arrondissement_code IS NOT NULL;

-- The back office lists the declarations waiting for verification.
CREATE INDEX professionals_pending ON professionals (created_at) WHERE verified_at IS NULL;
