package permit

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"madina/internal/authz"
	"madina/internal/people"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// Each body sitting on a file gives its opinion (issue #12, point 4):
// one of its organisation's committee members records it — favourable,
// favourable with reservations, unfavourable — with reasons unless
// favourable, once per body and round; the other members and the window
// see it at once, as Rokhas publishes each opinion when entered. The
// last opinion of a round concludes it (rounds.go).

// Verdicts of an opinion (permit_opinions.verdict).
const (
	Favourable   = "favourable"
	Reservations = "reservations"
	Unfavourable = "unfavourable"
)

// Verdicts lists them in the order forms offer them.
var Verdicts = []string{Favourable, Reservations, Unfavourable}

// Opinion is a body's opinion on a file.
type Opinion struct {
	Round        int
	Body         Term
	Organisation string        // its code
	By           int64         // the member who gave it
	Member       people.Person // their record (their name, in the reader's language)
	Verdict      string
	Reasons      string
	GivenAt      time.Time
}

// MaxReasons bounds an opinion's reasons, in characters.
const MaxReasons = 4000

// mySeat is the seat of file f that a's organisations hold: the body they
// give the opinion for.
func mySeat(a authz.Actor, seats []storedSeat) (storedSeat, bool) {
	for _, st := range seats {
		for _, g := range a.Grants {
			if g.Role == authz.CommitteeMember && st.Organisation != "" && g.Org == st.Organisation {
				return st, true
			}
		}
	}
	return storedSeat{}, false
}

// MayGiveOpinion returns the file, the body a gives an opinion for and
// the round it is for, when they may give it now (GiveOpinion's checks
// without recording).
func (s *Service) MayGiveOpinion(ctx context.Context, a authz.Actor, id int64) (*File, Term, int, error) {
	f, seat, round, err := s.mayGiveOpinion(ctx, s.db, a, id)
	if err != nil {
		return nil, Term{}, 0, err
	}
	return f, s.bodyTerm(ctx, f, seat.Body), round, nil
}

func (s *Service) mayGiveOpinion(ctx context.Context, q db.Querier, a authz.Actor, id int64) (*File, storedSeat, int, error) {
	f, _, err := s.load(ctx, q, a, authz.GiveOpinion, id)
	if err != nil {
		return nil, storedSeat{}, 0, err
	}
	r, ok, err := lastRound(ctx, q, f.ID)
	if err != nil {
		return nil, storedSeat{}, 0, err
	}
	if f.State != Accepted || f.Holder != HolderCommittee || !ok || !r.Open() {
		return nil, storedSeat{}, 0, errs.E(errs.Conflict, "permit.opinion.error.not_open").With("number", f.Display())
	}
	seats, err := fileSeats(ctx, q, f.ID)
	if err != nil {
		return nil, storedSeat{}, 0, err
	}
	seat, ok := mySeat(a, seats)
	if !ok {
		return nil, storedSeat{}, 0, errs.E(errs.NotFound, "permit.error.file_not_found")
	}
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM permit_opinions WHERE file_id = $1 AND round = $2 AND body = $3`,
		f.ID, r.N, seat.Body).Scan(&n); err != nil {
		return nil, storedSeat{}, 0, fmt.Errorf("permit: opinions: %w", err)
	}
	if n > 0 {
		return nil, storedSeat{}, 0, errs.E(errs.Conflict, "permit.opinion.error.given").With("number", f.Display())
	}
	return f, seat, r.N, nil
}

// CheckOpinion checks what a member typed: a known verdict, reasons
// unless favourable (10 characters at least), not too long.
func CheckOpinion(verdict, reasons string) (string, error) {
	reasons = strings.TrimSpace(reasons)
	if !slices.Contains(Verdicts, verdict) {
		return "", errs.E(errs.Invalid, "permit.opinion.error.verdict").OnField("verdict")
	}
	n := utf8.RuneCountInString(reasons)
	if verdict != Favourable && n < 10 {
		return "", errs.E(errs.Invalid, "permit.opinion.error.reasons").OnField("reasons")
	}
	if n > MaxReasons {
		return "", errs.E(errs.Invalid, "permit.error.too_long").With("max", MaxReasons).OnField("reasons")
	}
	return reasons, nil
}

// GiveOpinion records the opinion of the body a's organisation holds on
// file id in round (the one the member read; 0: the current one), once;
// it is on the file's history and in the audit chain. An opinion on a
// round that has closed since (the plans it judged were revised) is
// refused. The round's last opinion concludes it.
func (s *Service) GiveOpinion(ctx context.Context, a authz.Actor, id int64, round int, verdict, reasons string) (*Opinion, error) {
	reasons, err := CheckOpinion(verdict, reasons)
	if err != nil {
		return nil, err
	}
	var op *Opinion
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		f, _, err := s.load(ctx, tx, a, authz.GiveOpinion, id)
		if err != nil {
			return err
		}
		// The file's row is held from here: the round cannot close under
		// the opinion, and two last opinions conclude once.
		if err := tx.LockRow(ctx, "permit_files", "id", f.ID); err != nil {
			return err
		}
		if round != 0 {
			if r, ok, err := lastRound(ctx, tx, f.ID); err != nil {
				return err
			} else if ok && r.N != round {
				return errs.E(errs.Conflict, "permit.opinion.error.old_round").With("number", f.Display()).With("round", r.N)
			}
		}
		f, seat, n, err := s.mayGiveOpinion(ctx, tx, a, id)
		if err != nil {
			return err
		}
		k, err := s.kindOf(ctx, tx, f)
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO permit_opinions (file_id, round, body, organisation_code, given_by, verdict,
			reasons, given_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, f.ID, n, seat.Body, seat.Organisation, a.Person, verdict, reasons, now); err != nil {
			return fmt.Errorf("permit: opinion on file %d: %w", f.ID, err)
		}
		op = &Opinion{Round: n, Body: s.bodyTerm(ctx, f, seat.Body), Organisation: seat.Organisation, By: a.Person,
			Verdict: verdict, Reasons: reasons, GivenAt: now}
		if err := s.record(ctx, tx, a, k, f, "opinion", "", "", map[string]any{"body": seat.Body, "verdict": verdict, "round": n}, false, now); err != nil {
			return err
		}
		c, err := s.conclude(ctx, tx, k, f, now)
		if err != nil || c == nil {
			return err
		}
		if err := bump(ctx, tx, f, now); err != nil {
			return err
		}
		return s.concluded(ctx, tx, k, f, n, c, now)
	})
	if err != nil {
		return nil, err
	}
	return op, nil
}

// Opinions are the opinions given on file id, in the order given, for
// the staff who read it (the window, the committee's members); the
// applicant reads the consolidated remarks instead (issue #12, point 5).
func (s *Service) Opinions(ctx context.Context, a authz.Actor, id int64) ([]Opinion, error) {
	f, _, err := s.load(ctx, s.db, a, authz.ReadFile, id)
	if err != nil {
		return nil, err
	}
	if !a.Staff() {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT round, body, organisation_code, given_by, verdict, reasons, given_at
		FROM permit_opinions WHERE file_id = $1 ORDER BY id`, f.ID)
	if err != nil {
		return nil, fmt.Errorf("permit: opinions: %w", err)
	}
	var out []Opinion
	for rows.Next() {
		var op Opinion
		var body string
		if err := rows.Scan(&op.Round, &body, &op.Organisation, &op.By, &op.Verdict, &op.Reasons, &op.GivenAt); err != nil {
			rows.Close()
			return nil, fmt.Errorf("permit: opinions: %w", err)
		}
		op.Body, op.GivenAt = Term{Code: body}, op.GivenAt.UTC()
		out = append(out, op)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Body = s.bodyTerm(ctx, f, out[i].Body.Code)
		if p, err := s.people.Person(ctx, s.db, out[i].By); err == nil {
			out[i].Member = p
		}
	}
	return out, nil
}

// bodyTerm is body's name in f's catalogue (its code when unknown).
func (s *Service) bodyTerm(ctx context.Context, f *File, body string) Term {
	cat, err := s.catalogueOf(ctx, s.db, f.CatalogueVersion)
	if err != nil {
		cat = s.cat
	}
	t, _ := cat.Body(body)
	return t
}
