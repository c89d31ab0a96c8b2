package complaint

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
)

// The service-level clock tells the team when a deadline passes — to
// acknowledge a received request, to resolve an open one — and raises a
// request to its category's escalation organisation when escalate_at
// passes, each once (alerted_at, escalated_at; reopening starts over).
// A request waiting on the citizen is neither alerted nor raised.

// TopicRequestAlert is published when a request's deadline passed
// (Kind "overdue", To its organisation) or it was raised (Kind
// "escalated", To the escalation organisation). Payload RequestAlert.
const TopicRequestAlert = "complaint.request_alert"

// RequestAlert reports a passed deadline or an escalation.
type RequestAlert struct {
	V              int       `json:"v"`
	Request        int64     `json:"request"`
	Number         string    `json:"number"`
	Kind           string    `json:"kind"` // warning, overdue or escalated
	To             string    `json:"to"`   // the organisation whose officers are told
	Arrondissement string    `json:"arrondissement"`
	Due            time.Time `json:"due"`
	Silent         bool      `json:"silent,omitempty"`
	At             time.Time `json:"at"`
}

// Warn tells the team of each request whose next deadline falls today
// (Casablanca's day: the sweep sees it in the small hours, a working day
// ahead of the deadline's end) — and the escalation organisation's
// officers, the team's supervisors — once per deadline (warned_at;
// acknowledging, reopening or reassigning starts over); it returns how
// many requests.
func (s *Service) Warn(ctx context.Context) (int, error) {
	if err := authz.Check(system, authz.SweepRequests, authz.Resource{}); err != nil {
		return 0, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	soon := s.cal.AddWorkingDays(now, 0) // the end of today
	ids, err := s.ids(ctx, `SELECT id FROM complaint_requests WHERE warned_at IS NULL AND alerted_at IS NULL AND held_at IS NULL AND ((state = 'received' AND ack_due <= $1)
			OR (state IN ('acknowledged', 'in_progress', 'reopened') AND resolve_due <= $1)) ORDER BY id LIMIT 500`, soon)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		done, err := s.alertOne(ctx, id, "warning", now)
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

// Alert tells the teams of the requests whose deadline passed and raises
// those past escalate_at; it returns how many of each.
func (s *Service) Alert(ctx context.Context) (overdue, escalated int, err error) {
	if err := authz.Check(system, authz.SweepRequests, authz.Resource{}); err != nil {
		return 0, 0, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	for _, kind := range []string{"overdue", "escalated"} {
		query := `SELECT id FROM complaint_requests WHERE alerted_at IS NULL AND held_at IS NULL AND ((state = 'received' AND ack_due < $1)
			OR (state IN ('acknowledged', 'in_progress', 'reopened') AND resolve_due < $1)) ORDER BY id LIMIT 500`
		if kind == "escalated" {
			query = `SELECT id FROM complaint_requests WHERE escalated_at IS NULL AND held_at IS NULL AND escalate_at < $1
				AND state IN ('received', 'acknowledged', 'in_progress', 'reopened') ORDER BY id LIMIT 500`
		}
		ids, err := s.ids(ctx, query, now)
		if err != nil {
			return overdue, escalated, err
		}
		for _, id := range ids {
			done, err := s.alertOne(ctx, id, kind, now)
			if err != nil {
				return overdue, escalated, err
			}
			if done && kind == "overdue" {
				overdue++
			} else if done {
				escalated++
			}
		}
	}
	return overdue, escalated, nil
}

func (s *Service) ids(ctx context.Context, query string, args ...any) ([]int64, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("complaint: clock: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// alertOne alerts (or raises) request id in its own transaction, if it
// still needs it.
func (s *Service) alertOne(ctx context.Context, id int64, kind string, now time.Time) (bool, error) {
	done := false
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := tx.LockRow(ctx, "complaint_requests", "id", id); err != nil {
			return err
		}
		r, err := request(ctx, tx, "id", id)
		if err != nil {
			return err
		}
		if err := authz.Check(system, authz.SweepRequests, r.Resource()); err != nil {
			return err
		}
		col, to, due := "alerted_at", r.Organisation, r.ResolveDue
		if r.State == Received {
			due = r.AckDue
		}
		var also string // a second organisation told
		switch kind {
		case "warning":
			col = "warned_at"
			if r.Overdue(now) || r.State == Waiting || !r.State.Open() || due.After(s.cal.AddWorkingDays(now, 0)) {
				return nil
			}
			if k, ok := s.cat.Category(r.Category); ok && k.Escalation.To != r.Organisation {
				also = k.Escalation.To
			}
		case "escalated":
			col, due = "escalated_at", r.EscalateAt
			k, ok := s.cat.Category(r.Category)
			if !ok {
				return nil
			}
			to = k.Escalation.To
			if !r.State.Open() || r.State == Waiting || !now.After(r.EscalateAt) {
				return nil
			}
		default:
			if !r.Overdue(now) {
				return nil
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE complaint_requests SET `+col+` = $1 WHERE id = $2 AND `+col+` IS NULL`, now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return nil // another node did it
		}
		done = true
		if _, err := audit.Append(ctx, tx, audit.Entry{Actor: "system", Action: "complaint." + kind, ObjectType: "complaint_request",
			ObjectID: strconv.FormatInt(r.ID, 10), Change: map[string]any{"number": r.Number, "to": to, "due": due}, At: now}); err != nil {
			return err
		}
		for _, org := range []string{to, also} {
			if org == "" {
				continue
			}
			if err := s.events.Publish(ctx, tx, TopicRequestAlert, RequestAlert{V: EventVersion, Request: r.ID, Number: r.Number, Kind: kind,
				To: org, Arrondissement: r.Arrondissement, Due: due, Silent: notify.IsQuiet(ctx), At: now}); err != nil {
				return err
			}
		}
		return nil
	})
	return done, err
}

// SendAlerts is the subscriber of TopicRequestAlert: the complaint
// officers of the organisation alerted whose grant covers the request's
// arrondissement are told, in their language, on their channels (staff's
// grants are read directly, read only: docs/ARCHITECTURE.md, "Joins
// across capabilities").
func (s *Service) SendAlerts(ctx context.Context, tx *db.Tx, ev jobs.Event) error {
	var p RequestAlert
	if err := ev.Decode(&p); err != nil {
		return err
	}
	n := s.notices
	template := "complaint." + p.Kind
	if p.V != EventVersion || p.Silent || n == nil || !n.notify.Has(template) {
		return nil
	}
	r, err := request(ctx, tx, "id", p.Request)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT person_id FROM staff_grants WHERE role = 'complaint_officer'
		AND organisation_code = $1 AND revoked_at IS NULL AND (arrondissement_code IS NULL OR arrondissement_code = $2)
		ORDER BY person_id`, p.To, p.Arrondissement)
	if err != nil {
		return fmt.Errorf("complaint: officers of %s: %w", p.To, err)
	}
	var people []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		people = append(people, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range people {
		who, err := n.people.Person(ctx, tx, id)
		if err != nil {
			continue // an account closed since its grant
		}
		l := i18n.Lang(who.Lang)
		d := map[string]any{"Name": who.DisplayName(who.Lang), "Number": r.Number, "Category": r.Category,
			"Due": i18n.FormatDate(l, p.Due), "URL": n.baseURL + "/requests/" + strconv.FormatInt(r.ID, 10)}
		if k, ok := s.cat.Category(r.Category); ok {
			d["Category"] = k.Name.Pick(l)
		}
		if err := n.notify.Send(ctx, tx, notify.Message{Template: template, Data: d,
			Key:      ev.Topic + ":" + strconv.FormatInt(ev.ID, 10) + ":person:" + strconv.FormatInt(who.ID, 10),
			To:       notify.Recipient{UserID: "person:" + strconv.FormatInt(who.ID, 10), Email: who.Email, Phone: who.Phone, Lang: who.Lang},
			Channels: who.Channels()}); err != nil {
			return err
		}
	}
	return nil
}
