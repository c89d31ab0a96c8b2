package permit

import (
	"context"
	"time"

	"madina/internal/platform/db"
)

// Tacit approval of an urban file (issue #12, point 6, last sentence).
// Where the catalogue's schedule says that the administration's silence
// on the overall deadline counts as approval ("silence": "approval" on
// its "overall"), an urban file whose overall deadline passes while it is
// still accepted and undecided — not paused: a file waiting for its
// applicant's answers to remarks does not run — is approved by that
// silence, as the clock already approves economic files (TTacit): the
// file closes approved and tacit, every open deadline is met, the
// deadline's outcome is tacit_approval, the event is public and audited
// as the system's, the applicants get the permit.tacit notice, and the
// decision job seals the certificate (decision.go draws it: "certificate
// of tacit approval", the legal ground with the catalogue's source, the
// urban general conditions and the plans approved by their SHA-256).
// Casablanca's catalogue (2023.1) puts no silence rule on its urban
// schedules' overall deadlines — only on the members' study — so its
// urban files are never approved this way: the overall deadline passing
// alerts the window, as before.

// tacitUrban approves f by the administration's silence on its overall
// deadline d, in the clock's transaction that claimed d.
func (s *Service) tacitUrban(ctx context.Context, tx *db.Tx, k *Kind, f *File, d StepDeadline, data map[string]any, now time.Time) error {
	t, _ := transitionNamed(TTacit)
	to, err := checkTransition(t, f.State, f.Family)
	if err != nil {
		return err
	}
	from := f.State
	f.State, f.Holder, f.Tacit = to, holderOf[to], true
	if _, err := s.close(ctx, tx, f, "", now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE permit_deadlines SET outcome = 'tacit_approval' WHERE id = $1`, d.ID); err != nil {
		return err
	}
	if err := bump(ctx, tx, f, now); err != nil {
		return err
	}
	data["source"] = d.Source
	if err := s.record(ctx, tx, system, k, f, TTacit, from, to, data, true, now); err != nil {
		return err
	}
	return s.fileChanged(ctx, tx, f, TTacit, from, to, nil)
}
