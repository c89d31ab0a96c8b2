package staff

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/platform/errs"
)

// ActorNames names the actors of records as people read them: "person:12"
// becomes the person's name, "person:12 for legal:3" the person's name for
// the company's; "system", "cli:admin" and other labels stay as they are.
// lang chooses the script of names. It reads identity's tables persons and
// legal_persons directly, one query each for a page: a read across
// capabilities, for the auditors only.
func (s *Service) ActorNames(ctx context.Context, op Operator, records []audit.Record, lang string) (map[string]string, error) {
	if err := op.check(authz.ReadAudit, 0); err != nil {
		return nil, err
	}
	persons, legals := map[int64]string{}, map[int64]string{}
	for _, r := range records {
		for _, part := range strings.Split(r.Actor, " for ") {
			if id, ok := labelID(part, "person:"); ok {
				persons[id] = ""
			} else if id, ok := labelID(part, "legal:"); ok {
				legals[id] = ""
			}
		}
	}
	if err := s.names(ctx, persons, `SELECT id, TRIM(given_name_ar || ' ' || family_name_ar), TRIM(given_name_latin || ' ' || family_name_latin) FROM persons`, lang); err != nil {
		return nil, err
	}
	if err := s.names(ctx, legals, `SELECT id, name_ar, name FROM legal_persons`, lang); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, r := range records {
		if _, done := out[r.Actor]; done {
			continue
		}
		parts := strings.Split(r.Actor, " for ")
		for i, part := range parts {
			if id, ok := labelID(part, "person:"); ok && persons[id] != "" {
				parts[i] = persons[id]
			} else if id, ok := labelID(part, "legal:"); ok && legals[id] != "" {
				parts[i] = legals[id]
			}
		}
		out[r.Actor] = strings.Join(parts, " → ")
	}
	return out, nil
}

// labelID reads the id of an actor label such as "person:12".
func labelID(label, prefix string) (int64, bool) {
	rest, ok := strings.CutPrefix(label, prefix)
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil && id > 0
}

// names fills ids with names read by query (id, Arabic, Latin), in lang.
func (s *Service) names(ctx context.Context, ids map[int64]string, query, lang string) error {
	if len(ids) == 0 {
		return nil
	}
	var ph []string
	var args []any
	for id := range ids {
		args = append(args, id)
		ph = append(ph, "$"+strconv.Itoa(len(args)))
	}
	rows, err := s.db.QueryContext(ctx, query+` WHERE id IN (`+strings.Join(ph, ", ")+`)`, args...)
	if err != nil {
		return fmt.Errorf("staff: actor names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var ar, latin string
		if err := rows.Scan(&id, &ar, &latin); err != nil {
			return fmt.Errorf("staff: actor names: %w", err)
		}
		if lang == "ar" && ar != "" || latin == "" {
			ids[id] = ar
		} else {
			ids[id] = latin
		}
	}
	return rows.Err()
}

// AuditActor turns what an auditor typed in the actor filter into the
// label the log keeps: an e-mail address becomes its person's label
// ("person:12"); anything else is kept as typed ("system", "cli:admin").
func (s *Service) AuditActor(ctx context.Context, op Operator, typed string) (string, error) {
	if err := op.check(authz.ReadAudit, 0); err != nil {
		return "", err
	}
	typed = strings.TrimSpace(typed)
	if !strings.Contains(typed, "@") {
		return typed, nil
	}
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT id FROM persons WHERE email_key = $1`, strings.ToLower(typed)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", errs.E(errs.Invalid, "admin.audit.actor_unknown").OnField("actor")
	}
	if err != nil {
		return "", fmt.Errorf("staff: audit actor: %w", err)
	}
	return "person:" + strconv.FormatInt(id, 10), nil
}
