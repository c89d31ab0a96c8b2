package booking

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/jobs"
)

// missed books slot start of code for citizen i with the clock at
// bookAt, lets the slot pass unchecked and runs the clock: a no-show.
func (e *env) missed(t *testing.T, i int, code string, bookAt, start time.Time) *Booking {
	t.Helper()
	ctx := context.Background()
	e.clock.set(bookAt)
	b, err := e.s.Book(ctx, e.citizen(i), BookInput{Facility: code, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.set(start.Add(NoShowGrace + time.Minute))
	if _, err := e.s.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	return b
}

func dispatchAll(t *testing.T, q *jobs.Queue) {
	t.Helper()
	for {
		k, err := q.DispatchNow(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			return
		}
	}
}

// A holder contests a penalty once, within seven days, with a reason;
// nobody else may. The facility's managers see the contest on the desk,
// never another arrondissement's; a manager never decides on their own
// penalty. Lifted, the penalty no longer counts on the ladder and the
// suspension it brought ends (the holder books again, and the next
// no-show takes the step as if it had never been); upheld, it stays. A
// decision is final, in the database too; the holder is told.
func TestPenaltiesAreContestedAndReviewed(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		q := notifyingEnv(t, e)
		ctx := context.Background()
		mgr := e.manager(e.mrManager, "moulay-rachid")
		first := e.missed(t, 1, field1, monday, at(2026, 12, 9, 10, 0))
		second := e.missed(t, 1, "moulay-rachid-field-2", monday.Add(time.Hour), at(2026, 12, 9, 16, 0))
		ps, err := e.s.Penalties(ctx, e.citizen(1))
		if err != nil || len(ps) != 2 || ps[0].Step != 2 || ps[0].SuspendedUntil == nil || ps[0].Review != "" {
			t.Fatalf("two no-shows: %+v, %v", ps, err)
		}
		e.clock.set(at(2026, 12, 10, 9, 0))
		_, err = e.s.Book(ctx, e.citizen(1), BookInput{Facility: field1, Start: at(2026, 12, 12, 10, 0)})
		wantKey(t, err, "booking.error.suspended")

		// Another person cannot contest it, nor can the holder without a
		// reason or with too long a one; nothing is written.
		if err := e.s.Contest(ctx, e.citizen(2), second.ID, "not mine"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another citizen contested: %v", err)
		}
		err = e.s.Contest(ctx, e.citizen(1), second.ID, "   ")
		wantKey(t, err, "booking.review.error.reason")
		if errs.As(err).Field != "reason" {
			t.Errorf("the missing reason is on %q", errs.As(err).Field)
		}
		wantKey(t, e.s.Contest(ctx, e.citizen(1), second.ID, strings.Repeat("ب", ReviewTextMax+1)), "booking.review.error.too_long")
		var n int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM booking_penalty_reviews`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d reviews written by refused contests (%v)", n, err)
		}
		if err := e.s.Contest(ctx, e.citizen(1), second.ID, "  J’étais à l’hôpital, certificat à l’appui.  "); err != nil {
			t.Fatal(err)
		}
		wantKey(t, e.s.Contest(ctx, e.citizen(1), second.ID, "again"), "booking.review.error.contested")

		// The desk of Moulay Rachid lists it; Maârif's does not, and its
		// manager may not decide it.
		rs, err := e.s.Reviews(ctx, mgr, "moulay-rachid")
		if err != nil || len(rs) != 1 || rs[0].Booking.ID != second.ID || rs[0].Grounds != "J’étais à l’hôpital, certificat à l’appui." ||
			rs[0].HolderLatin != "Said Alaoui" || rs[0].Step != 2 {
			t.Fatalf("the desk's reviews: %+v, %v", rs, err)
		}
		if _, err := e.s.Reviews(ctx, e.manager(e.maarifMgr, "maarif"), "moulay-rachid"); err == nil {
			t.Fatal("Maarif's manager read Moulay Rachid's reviews")
		}
		if rs, err := e.s.Reviews(ctx, e.manager(e.maarifMgr, "maarif"), "maarif"); err != nil || len(rs) != 0 {
			t.Fatalf("Maarif's desk: %+v, %v", rs, err)
		}
		if err := e.s.DecideReview(ctx, e.manager(e.maarifMgr, "maarif"), second.ID, Lifted, "ok"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another arrondissement's manager decided: %v", err)
		}
		// The holder, as a manager of the facility, may not lift their own.
		wantKey(t, e.s.DecideReview(ctx, e.manager(e.people[1], "moulay-rachid"), second.ID, Lifted, "mine"), "error.authz.conflict")
		err = e.s.DecideReview(ctx, mgr, second.ID, Lifted, " ")
		wantKey(t, err, "booking.review.error.note")
		if f := errs.As(err).Field; f != "note_"+strconv.FormatInt(second.ID, 10) {
			t.Errorf("the missing note is on %q", f)
		}
		wantKey(t, e.s.DecideReview(ctx, mgr, second.ID, "forgiven", "ok"), "booking.review.error.decision")
		wantKey(t, e.s.DecideReview(ctx, mgr, first.ID, Lifted, "ok"), "booking.review.error.not_contested")

		// Lifted: the suspension ends and the holder books again.
		if err := e.s.DecideReview(ctx, mgr, second.ID, Lifted, "Certificat vérifié."); err != nil {
			t.Fatal(err)
		}
		wantKey(t, e.s.DecideReview(ctx, mgr, second.ID, Upheld, "changed my mind"), "booking.review.error.decided")
		if _, err := d.ExecContext(ctx, `UPDATE booking_penalty_reviews SET decision = 'upheld'`); err == nil {
			t.Fatal("the database let a decision change")
		}
		if _, err := d.ExecContext(ctx, `DELETE FROM booking_penalty_reviews`); err == nil {
			t.Fatal("the database let a review be deleted")
		}
		if _, err := d.ExecContext(ctx, `UPDATE booking_penalties SET suspended_until = NULL`); err == nil {
			t.Fatal("the database let a penalty change")
		}
		third := e.missed(t, 1, field1, at(2026, 12, 10, 9, 0), at(2026, 12, 12, 10, 0))
		ps, _ = e.s.Penalties(ctx, e.citizen(1))
		if len(ps) != 3 || ps[1].Review != Lifted || ps[0].Booking != third.ID || ps[0].Step != 2 || ps[0].SuspendedUntil == nil {
			t.Fatalf("the no-show after a lifted penalty: %+v; want step 2 (the lifted one does not count)", ps)
		}

		// Upheld: the penalty stays, and so does its suspension.
		if err := e.s.Contest(ctx, e.citizen(1), third.ID, "Le terrain était fermé."); err != nil {
			t.Fatal(err)
		}
		if err := e.s.DecideReview(ctx, mgr, third.ID, Upheld, "Le terrain était ouvert ce jour-là."); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.Book(ctx, e.citizen(1), BookInput{Facility: field1, Start: at(2026, 12, 14, 10, 0)})
		wantKey(t, err, "booking.error.suspended")
		if ps, _ := e.s.Penalties(ctx, e.citizen(1)); ps[0].Review != Upheld {
			t.Fatalf("upheld penalty: %+v", ps[0])
		}

		// Seven days after the first penalty, it is too late to contest it.
		e.clock.set(at(2026, 12, 16, 10, 30))
		wantKey(t, e.s.Contest(ctx, e.citizen(1), first.ID, "late"), "booking.review.error.late")

		// Each decision is audited and told to the holder.
		var audits int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action IN ('booking.penalty_contested',
			'booking.penalty_lifted', 'booking.penalty_upheld')`).Scan(&audits); err != nil || audits != 4 {
			t.Fatalf("%d audit records of contests and decisions (%v), want 4", audits, err)
		}
		dispatchAll(t, q)
		rows, err := d.QueryContext(ctx, `SELECT template, data FROM notify_deliveries WHERE template LIKE 'booking.penalty_%'
			AND channel = 'inbox' ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got []string
		for rows.Next() {
			var tpl, raw string
			if err := rows.Scan(&tpl, &raw); err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(raw), &m); err != nil {
				t.Fatal(err)
			}
			got = append(got, tpl+":"+m["Note"].(string))
		}
		if strings.Join(got, "|") != "booking.penalty_lifted:Certificat vérifié.|booking.penalty_upheld:Le terrain était ouvert ce jour-là." {
			t.Fatalf("the holder's notices: %v", got)
		}
	})
}

// An association's booking: a manager who represents the association may
// not decide on its holder's penalty.
func TestAManagerNeverDecidesOnTheirAssociationsPenalty(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		// A citizen books for the association, which the Maârif manager
		// represents too.
		if _, err := d.ExecContext(ctx, `INSERT INTO representatives (legal_person_id, person_id, role, created_at)
			VALUES ($1, $2, 'manager', $3)`, e.assoc, e.people[0], monday); err != nil {
			t.Fatal(err)
		}
		holder := e.citizen(0)
		holder.ActingFor, holder.Represents = e.assoc, []int64{e.assoc}
		start := at(2026, 12, 9, 10, 0)
		b, err := e.s.Book(ctx, holder, BookInput{Facility: field1, Start: start})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.set(start.Add(NoShowGrace + time.Minute))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		// The holder contests acting for the association, as they would
		// cancel; another of its representatives may not (the penalty is
		// the holder's), nor the holder outside the association's account
		// (they do not read its bookings there).
		other := authz.Actor{Person: e.maarifRep, EmailVerified: true, Now: e.clock.now(), ActingFor: e.assoc, Represents: []int64{e.assoc}}
		wantKey(t, e.s.Contest(ctx, other, b.ID, "x"), "booking.review.error.not_penalised")
		if err := e.s.Contest(ctx, e.citizen(0), b.ID, "x"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("contested outside the association's account: %v", err)
		}
		if err := e.s.Contest(ctx, holder, b.ID, "Notre entraîneur est venu."); err != nil {
			t.Fatal(err)
		}
		rep := e.manager(e.mrManager, "moulay-rachid", e.assoc)
		wantKey(t, e.s.DecideReview(ctx, rep, b.ID, Lifted, "ok"), "error.authz.conflict")
		if err := e.s.DecideReview(ctx, e.manager(e.mrManager, "moulay-rachid"), b.ID, Lifted, "Vu."); err != nil {
			t.Fatal(err)
		}
	})
}
