package permit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/permit/catalogue"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// The president of the file's window decides an urban file once its
// committee concluded (issue #12, point 6): as the committee's rule
// concluded — the permit with the reservations as its conditions, or the
// refusal with each ground tied to the opinion and the rule it comes
// from. Nobody overrides a binding opinion: the president signs the
// decision the rule gives or leaves it (and its deadline runs). With a
// usable signing key they sign it with their PIN; otherwise the commune
// seals it, as every decision Madina issues is signed.

// The president's transitions.
const (
	TGrant  = "grant"  // accepted (committee's decision step, concluded grant) → approved
	TReject = "reject" // accepted (committee's decision step, concluded refuse) → refused
)

// Ground is an opinion a decision rests on, as the file shows it: the
// body, its verdict and the members' reasons, and the part of the rule
// it weighs through (catalogue.GroundBinding…).
type Ground struct {
	Body    Term
	Verdict string
	Rule    string
	Reasons string
}

// Conclusion is a closed round's conclusion as the secretariat, the
// president and the decision show it.
type Conclusion struct {
	Round    Round
	Outcome  string // catalogue.OutcomeGrant, OutcomeRefuse, OutcomeRemarks
	Grounds  []Ground
	Silences []Term
	Rule     catalogue.DecisionRule
}

// Transition is the president's transition for the conclusion: TGrant
// or TReject ("" for remarks).
func (c Conclusion) Transition() string {
	switch c.Outcome {
	case catalogue.OutcomeGrant:
		return TGrant
	case catalogue.OutcomeRefuse:
		return TReject
	}
	return ""
}

// conclusionView is f's latest conclusion with the opinions' reasons and
// the bodies' names; ok false while no round closed.
func (s *Service) conclusionView(ctx context.Context, q db.Querier, k *Kind, f *File) (*Conclusion, error) {
	r, c, ok, err := s.conclusionOf(ctx, q, k, f)
	if err != nil || !ok {
		return nil, err
	}
	cm, _ := committeeOf(k, f)
	out := &Conclusion{Round: r, Outcome: c.Outcome, Rule: cm.Decision}
	for _, g := range c.Grounds {
		var reasons string
		err := q.QueryRowContext(ctx, `SELECT reasons FROM permit_opinions WHERE file_id = $1 AND round = $2 AND body = $3`,
			f.ID, r.N, g.Body).Scan(&reasons)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("permit: opinion: %w", err)
		}
		out.Grounds = append(out.Grounds, Ground{Body: s.bodyTerm(ctx, f, g.Body), Verdict: g.Verdict, Rule: g.Rule, Reasons: reasons})
	}
	for _, b := range c.Silences {
		out.Silences = append(out.Silences, s.bodyTerm(ctx, f, b))
	}
	return out, nil
}

// Conclusion is file id's latest conclusion, for the staff who read it;
// nil while no round closed.
func (s *Service) Conclusion(ctx context.Context, a authz.Actor, id int64) (*Conclusion, error) {
	f, k, err := s.load(ctx, s.db, a, authz.ReadFile, id)
	if err != nil {
		return nil, err
	}
	if f.Family != Urban {
		return nil, nil
	}
	return s.conclusionView(ctx, s.db, k, f)
}

// MayDecidePermit returns the file and the conclusion the president a
// decides on now, the checks of DecidePermit without deciding.
func (s *Service) MayDecidePermit(ctx context.Context, a authz.Actor, id int64) (*File, *Conclusion, error) {
	return s.mayDecidePermit(ctx, s.db, a, id)
}

func (s *Service) mayDecidePermit(ctx context.Context, q db.Querier, a authz.Actor, id int64) (*File, *Conclusion, error) {
	f, k, err := s.load(ctx, q, a, authz.DecideFile, id)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.conclusionView(ctx, q, k, f)
	if err != nil {
		return nil, nil, err
	}
	if c == nil || c.Transition() == "" {
		return nil, nil, errs.E(errs.Conflict, "permit.rounds.error.outcome").With("number", f.Display())
	}
	t, _ := transitionNamed(c.Transition())
	if _, err := s.guard(a, t, f, k, 0); err != nil {
		return nil, nil, err
	}
	return f, c, nil
}

// decisionText is what the file records as its decision's conditions or
// reasons: each ground's reasons, one per paragraph.
func (c *Conclusion) decisionText() string {
	var parts []string
	for _, g := range c.Grounds {
		if r := strings.TrimSpace(g.Reasons); r != "" {
			parts = append(parts, r)
		}
	}
	return strings.Join(parts, "\n")
}

// DecidePermit takes the president's decision on urban file id, at the
// version they saw, as its committee concluded. When the president
// holds a usable key (SignsDecisions) the decision PDF is signed with it,
// unlocked by pin, all or nothing; otherwise the commune seals it (the
// job).
func (s *Service) DecidePermit(ctx context.Context, a authz.Actor, id int64, version int, pin string) (*File, error) {
	_, c, err := s.mayDecidePermit(ctx, s.db, a, id)
	if err != nil {
		return nil, err
	}
	name := c.Transition()
	// A president holding a usable key signs with it, or decides nothing;
	// without one, the commune's seal signs after.
	var sign SignPDF
	if pin != "" || s.SignsDecisions(ctx, a) {
		if s.signatures == nil {
			return nil, errs.E(errs.Conflict, "permit.error.no_signature")
		}
		if sign, err = s.signatures.UnlockPDFSigner(ctx, a, pin, id, KindDecision); err != nil {
			return nil, err
		}
	}
	apply := func(tx *db.Tx, f *File, now time.Time) (map[string]any, error) {
		k, err := s.kindOf(ctx, tx, f)
		if err != nil {
			return nil, err
		}
		// Again in the transaction: the conclusion decided on is the
		// file's last.
		cur, err := s.conclusionView(ctx, tx, k, f)
		if err != nil {
			return nil, err
		}
		if cur == nil || cur.Transition() != name || cur.Round.N != c.Round.N {
			return nil, errs.E(errs.Conflict, "permit.error.stale")
		}
		data, err := s.close(ctx, tx, f, cur.decisionText(), now)
		if err != nil {
			return nil, err
		}
		data["round"], data["outcome"] = cur.Round.N, cur.Outcome
		return data, nil
	}
	var after func(tx *db.Tx, f *File, k *Kind) error
	if sign != nil {
		after = func(tx *db.Tx, f *File, k *Kind) error {
			v := &View{File: f, Kind: k}
			var err error
			if v.Documents, err = documents(ctx, tx, f.ID); err != nil {
				return err
			}
			if f.Window != "" {
				if w, err := s.window(ctx, f.Window); err == nil {
					v.Window = &w
				}
			}
			b, _, err := s.decisionPDFFrom(ctx, tx, v, notePresident)
			if err != nil {
				return err
			}
			what := "Autorisation"
			if name == TReject {
				what = "Refus d’autorisation"
			}
			return sign(ctx, tx, KindDecision, f.Number, f.ID, what+" — décision n° "+f.Number, b)
		}
	}
	return s.transitionThen(ctx, a, id, version, name, apply, after)
}

// ToDecide lists the urban files of the windows a presides whose
// committee concluded and whose decision is theirs, the oldest first.
func (s *Service) ToDecide(ctx context.Context, a authz.Actor) ([]StudyRow, error) {
	if err := authz.Check(a, authz.ReadStudies, authz.Resource{}); err != nil {
		return nil, err
	}
	var windows []any
	var ph []string
	for _, g := range a.Grants {
		if g.Role == authz.President && g.Window != "" {
			windows = append(windows, g.Window)
			ph = append(ph, fmt.Sprintf("$%d", len(windows)))
		}
	}
	if len(windows) == 0 {
		return nil, nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+studyColumns+` FROM permit_files f
		WHERE f.state = 'accepted' AND f.holder = 'committee' AND f.step = 'decision' AND f.window_code IN (`+strings.Join(ph, ", ")+`)
		ORDER BY f.updated_at, f.id LIMIT `+fmt.Sprint(MaxStudyRows), windows...)
	if err != nil {
		return nil, fmt.Errorf("permit: files to decide: %w", err)
	}
	return scanStudyRows(rows)
}
