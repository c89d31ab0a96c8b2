package complaint

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// The team's work besides the state machine: sending a request to
// another team, and merging duplicates.

// Reassign sends request id (seen at version; 0: whatever it is now) to
// another team — an organisation, and the arrondissement whose grant
// answers it ("" keeps the request's) — with the reason, which the
// reporters read. Its clock goes on; the new team is alerted afresh.
func (s *Service) Reassign(ctx context.Context, a authz.Actor, id int64, version int, org, arrondissement, reason string) (*Request, error) {
	org, arrondissement, reason = strings.TrimSpace(org), strings.TrimSpace(arrondissement), strings.TrimSpace(reason)
	var r *Request
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		var err error
		if r, err = lockedRequest(ctx, tx, a, id, authz.HandleRequest, version); err != nil {
			return err
		}
		if !r.State.Open() {
			return errs.E(errs.Conflict, "complaint.error.state").With("state", string(r.State))
		}
		var fe errs.Fields
		if arrondissement == "" {
			arrondissement = r.Arrondissement
		}
		ok, err := organisationExists(ctx, tx, org)
		if err != nil {
			return err
		}
		switch {
		case !ok:
			_ = fe.Add(errs.E(errs.Invalid, "complaint.error.organisation").OnField("organisation"))
		case org == r.Organisation && arrondissement == r.Arrondissement:
			_ = fe.Add(errs.E(errs.Invalid, "complaint.error.same_team").OnField("organisation"))
		}
		var known bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM arrondissements WHERE code = $1)`, arrondissement).Scan(&known); err != nil {
			return err
		}
		if !known {
			_ = fe.Add(errs.E(errs.Invalid, "complaint.error.arrondissement").OnField("arrondissement"))
		}
		switch n := utf8.RuneCountInString(reason); {
		case n == 0:
			_ = fe.Add(errs.E(errs.Invalid, "complaint.error.note.reassign").OnField("note"))
		case n > MaxNote:
			_ = fe.Add(errs.E(errs.Invalid, "complaint.error.too_long").With("max", MaxNote).OnField("note"))
		}
		if err := fe.Err(); err != nil {
			return err
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		res, err := tx.ExecContext(ctx, `UPDATE complaint_requests SET organisation_code = $1, arrondissement_code = $2,
			alerted_at = NULL, warned_at = NULL, escalated_at = NULL, version = version + 1, updated_at = $3
			WHERE id = $4 AND version = $5`, org, arrondissement, now, r.ID, r.Version)
		if err != nil {
			return fmt.Errorf("complaint: reassign %d: %w", r.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.Conflict, "complaint.error.stale")
		}
		// The history and the audit name the team before and after.
		from := r.Organisation
		r.Organisation, r.Arrondissement, r.Version, r.UpdatedAt = org, arrondissement, r.Version+1, now
		return s.record(ctx, tx, a, r, CReassign, r.State, r.State, reason+"\n("+from+" → "+org+")", now)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Merge merges the duplicate dup into request kept: the duplicate is
// closed with a public answer naming the request kept (note, if given,
// says more), and its reporter and co-reporters become co-reporters of
// the request kept, who hear of its changes from now on. The officer
// must be allowed to handle both (officially: never on a request they
// reported or co-reported).
func (s *Service) Merge(ctx context.Context, a authz.Actor, kept, dup int64, note string) (*Request, error) {
	note = strings.TrimSpace(note)
	if utf8.RuneCountInString(note) > MaxNote {
		return nil, errs.E(errs.Invalid, "complaint.error.too_long").With("max", MaxNote).OnField("note")
	}
	if kept == dup {
		return nil, errs.E(errs.Invalid, "complaint.error.merge_self").OnField("duplicate")
	}
	var k, d *Request
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		// Both rows locked, in the order of their ids (no deadlock between
		// two officers merging the same pair each way).
		for _, id := range []int64{min(kept, dup), max(kept, dup)} {
			if err := tx.LockRow(ctx, "complaint_requests", "id", id); err != nil {
				return err
			}
		}
		var err error
		if k, err = request(ctx, tx, "id", kept); err != nil {
			return err
		}
		if err := authz.Check(a, authz.ReadRequest, k.Resource()); err != nil {
			return err
		}
		if err := authz.Check(a, authz.HandleRequest, k.Resource()); err != nil {
			return err
		}
		if d, err = request(ctx, tx, "id", dup); err != nil {
			return errs.E(errs.Invalid, "complaint.error.duplicate").OnField("duplicate").Cause(err)
		}
		if err := authz.Check(a, authz.ReadRequest, d.Resource()); err != nil {
			return errs.E(errs.Invalid, "complaint.error.duplicate").OnField("duplicate").Cause(err)
		}
		if err := authz.Check(a, authz.HandleRequest, d.Resource()); err != nil {
			return err
		}
		if k.State == Closed || k.MergedInto != 0 {
			return errs.E(errs.Conflict, "complaint.error.state").With("state", string(k.State))
		}
		if !d.State.Open() {
			return errs.E(errs.Invalid, "complaint.error.duplicate_state").OnField("duplicate")
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		answer := k.Number
		if note != "" {
			answer += "\n" + note
		}
		// The duplicate: closed, naming the request kept.
		from := d.State
		s.apply(d, CClose, Closed, answer, now)
		if err := bump(ctx, tx, d, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE complaint_requests SET merged_into = $1 WHERE id = $2`, k.ID, d.ID); err != nil {
			return fmt.Errorf("complaint: merge %d: %w", d.ID, err)
		}
		d.MergedInto = k.ID
		if err := s.record(ctx, tx, a, d, CMerge, from, Closed, answer, now); err != nil {
			return err
		}
		// The request kept: its new co-reporters, and a line.
		for _, p := range append([]int64{d.Reporter}, d.CoReporters...) {
			if p == 0 || p == k.Reporter || slices.Contains(k.CoReporters, p) {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO complaint_coreporters (request_id, person_id, via_request_id, added_at)
				VALUES ($1, $2, $3, $4)`, k.ID, p, d.ID, now); err != nil {
				return fmt.Errorf("complaint: co-reporter: %w", err)
			}
			k.CoReporters = append(k.CoReporters, p)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE complaint_requests SET version = version + 1, updated_at = $1 WHERE id = $2`, now, k.ID); err != nil {
			return err
		}
		k.Version, k.UpdatedAt = k.Version+1, now
		return s.record(ctx, tx, a, k, CMerged, k.State, k.State, d.Number, now)
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// Following lists the requests a person co-reports (merged from their
// duplicates), newest first.
func (s *Service) Following(ctx context.Context, a authz.Actor) ([]*Request, error) {
	if err := authz.Check(a, authz.ReadRequest, authz.Resource{OwnerPerson: a.Person}); err != nil {
		return nil, err
	}
	return listRequests(ctx, s.db, `id IN (SELECT request_id FROM complaint_coreporters WHERE person_id = $1)`,
		`filed_at DESC, id DESC`, 200, a.Person)
}

// Rating is a reporter's rating of the answer.
type Rating struct {
	Stars   int
	Comment string
	RatedAt time.Time
}

// MaxRatingComment bounds a rating's comment.
const MaxRatingComment = 1000

// Rate records (or changes) the reporter's rating of the answer to request
// id, once it is resolved or closed: 1 to 5 stars and an optional
// comment.
func (s *Service) Rate(ctx context.Context, a authz.Actor, id int64, stars int, comment string) error {
	comment = strings.TrimSpace(comment)
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		r, err := request(ctx, tx, "id", id)
		if err != nil {
			return err
		}
		if err := authz.Check(a, authz.ReadRequest, r.Resource()); err != nil {
			return err
		}
		if err := authz.Check(a, authz.FollowRequest, r.Resource()); err != nil {
			return err
		}
		if r.State.Open() || r.MergedInto != 0 {
			return errs.E(errs.Conflict, "complaint.error.rate_state")
		}
		var fe errs.Fields
		if stars < 1 || stars > 5 {
			_ = fe.Add(errs.E(errs.Invalid, "complaint.error.stars").OnField("stars"))
		}
		if utf8.RuneCountInString(comment) > MaxRatingComment {
			_ = fe.Add(errs.E(errs.Invalid, "complaint.error.too_long").With("max", MaxRatingComment).OnField("comment"))
		}
		if err := fe.Err(); err != nil {
			return err
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		if _, err := tx.ExecContext(ctx, `INSERT INTO complaint_ratings (request_id, person_id, stars, comment, rated_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT (request_id) DO UPDATE SET stars = excluded.stars, comment = excluded.comment,
			rated_at = excluded.rated_at`, r.ID, a.Person, stars, comment, now); err != nil {
			return fmt.Errorf("complaint: rate %d: %w", r.ID, err)
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(a, r.Resource()), Action: "complaint.rate",
			ObjectType: "complaint_request", ObjectID: strconv.FormatInt(r.ID, 10),
			Change: map[string]any{"number": r.Number, "stars": stars}, At: now})
		return err
	})
}

// RatingOf is the rating of request id, if any (for whoever read it).
func (s *Service) RatingOf(ctx context.Context, id int64) (*Rating, error) {
	var rt Rating
	err := s.db.QueryRowContext(ctx, `SELECT stars, comment, rated_at FROM complaint_ratings WHERE request_id = $1`, id).
		Scan(&rt.Stars, &rt.Comment, &rt.RatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("complaint: rating: %w", err)
	}
	return &rt, nil
}

// Held lists an organisation's requests held for review (floods), oldest
// first, for one of its complaint officers (their grants' arrondissements).
func (s *Service) Held(ctx context.Context, a authz.Actor, org string) ([]*Request, error) {
	if err := authz.Check(a, authz.ReadRequestQueue, authz.Resource{Org: org}); err != nil {
		return nil, err
	}
	where, args := queueWhere(officerArrondissements(a, org))
	where = strings.Replace(where, "held_at IS NULL", "held_at IS NOT NULL", 1)
	return listRequests(ctx, s.db, where, "held_at, id", 500, append([]any{org}, args...)...)
}

// officerArrondissements are the arrondissements a's grants for org cover
// (nil: all).
func officerArrondissements(a authz.Actor, org string) []string {
	var arrs []string
	for _, g := range a.Grants {
		if g.Role != authz.ComplaintOfficer || g.Org != org {
			continue
		}
		if g.Arrondissement == "" {
			return nil
		}
		arrs = append(arrs, g.Arrondissement)
	}
	return arrs
}

// Release lets a request held for review into the team's queue (and
// everything public), with a history line; one that is spam is closed
// instead, with its public reason.
func (s *Service) Release(ctx context.Context, a authz.Actor, id int64) (*Request, error) {
	var r *Request
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		var err error
		if r, err = lockedRequest(ctx, tx, a, id, authz.HandleRequest, 0); err != nil {
			return err
		}
		if r.HeldAt == nil {
			return errs.E(errs.Conflict, "complaint.error.not_held")
		}
		now := s.now().UTC().Truncate(time.Microsecond)
		if _, err := tx.ExecContext(ctx, `UPDATE complaint_requests SET held_at = NULL, held_reason = '', version = version + 1,
			updated_at = $1 WHERE id = $2`, now, r.ID); err != nil {
			return fmt.Errorf("complaint: release %d: %w", r.ID, err)
		}
		r.HeldAt, r.HeldReason, r.Version, r.UpdatedAt = nil, "", r.Version+1, now
		return s.record(ctx, tx, a, r, CRelease, r.State, r.State, "", now)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}
