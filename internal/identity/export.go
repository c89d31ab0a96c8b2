package identity

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Export gathers everything identity holds about a person, for "download my
// data": the profile, legal persons represented, profession, staff roles,
// sessions, mandates given and received, API tokens (without secrets) and
// the person's audit trail is left to the audit log's own export.
func (s *Service) Export(ctx context.Context, personID int64) (map[string]any, error) {
	p, err := s.store.Person(ctx, s.db, personID)
	if err != nil {
		return nil, err
	}
	out := map[string]any{
		"exported_at": s.now(),
		"profile": map[string]any{
			"email": p.Email, "email_verified_at": p.EmailVerifiedAt, "phone": p.Phone, "phone_verified_at": p.PhoneVerifiedAt,
			"cin": p.CIN, "given_name_ar": p.GivenNameAR, "family_name_ar": p.FamilyNameAR,
			"given_name_latin": p.GivenNameLatin, "family_name_latin": p.FamilyNameLatin, "lang": p.Lang,
			"notify_email": p.NotifyEmail, "notify_sms": p.NotifySMS, "second_factor_since": p.TOTPEnabledAt,
			"created_at": p.CreatedAt,
		},
	}
	queries := []struct {
		key, sql string
	}{
		{"legal_persons", `SELECT l.kind, l.name, l.name_ar, COALESCE(l.ice, '') AS ice, COALESCE(l.rc, '') AS rc, COALESCE(l.association_number, '') AS association_number, COALESCE(l.school_code, '') AS school_code, r.role, r.created_at
			FROM representatives r JOIN legal_persons l ON l.id = r.legal_person_id WHERE r.person_id = $1 AND r.revoked_at IS NULL`},
		{"professional", `SELECT profession, registration_number, verified_at, created_at FROM professionals WHERE person_id = $1`},
		{"staff_roles", `SELECT role, organisation_code, COALESCE(arrondissement_code, '') AS arrondissement_code, COALESCE(window_code, '') AS window_code, granted_at, revoked_at
			FROM staff_grants WHERE person_id = $1`},
		{"sessions", `SELECT created_at, last_seen_at, expires_at, revoked_at, user_agent FROM sessions WHERE person_id = $1 ORDER BY created_at`},
		{"mandates_given", `SELECT m.id, p.email AS professional_email, m.scope, COALESCE(m.file_ref, '') AS file_ref, COALESCE(m.permit_kind, '') AS permit_kind, m.starts_at, m.ends_at, m.revoked_at
			FROM mandates m JOIN persons p ON p.id = m.professional_id WHERE m.grantor_person_id = $1`},
		{"mandates_received", `SELECT m.id, m.scope, COALESCE(m.file_ref, '') AS file_ref, COALESCE(m.permit_kind, '') AS permit_kind, m.starts_at, m.ends_at, m.revoked_at
			FROM mandates m WHERE m.professional_id = $1`},
		{"api_tokens", `SELECT name, scopes, created_at, last_used_at, expires_at, revoked_at FROM api_tokens WHERE person_id = $1`},
	}
	for _, q := range queries {
		rows, err := s.db.QueryContext(ctx, q.sql, personID)
		if err != nil {
			return nil, fmt.Errorf("identity: export %s: %w", q.key, err)
		}
		list, err := rowsToMaps(rows)
		if err != nil {
			return nil, fmt.Errorf("identity: export %s: %w", q.key, err)
		}
		out[q.key] = list
	}
	return out, nil
}

func rowsToMaps(rows *sql.Rows) ([]map[string]any, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		m := map[string]any{}
		for i, c := range cols {
			switch v := vals[i].(type) {
			case []byte:
				m[c] = string(v)
			case time.Time:
				m[c] = v.UTC()
			default:
				m[c] = v
			}
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
