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
// not decide on its penalty, nor may one who contested it.
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
		// Another representative of the association contests it, acting
		// for it: the penalty is the association's.
		other := authz.Actor{Person: e.maarifRep, EmailVerified: true, Now: e.clock.now(), ActingFor: e.assoc, Represents: []int64{e.assoc}}
		if err := e.s.Contest(ctx, other, b.ID, "Notre entraîneur est venu."); err != nil {
			t.Fatal(err)
		}
		wantKey(t, e.s.Contest(ctx, holder, b.ID, "encore"), "booking.review.error.contested")
		rep := e.manager(e.mrManager, "moulay-rachid", e.assoc)
		wantKey(t, e.s.DecideReview(ctx, rep, b.ID, Lifted, "ok"), "error.authz.conflict")
		// Whoever contested is involved, even once they no longer
		// represent the association.
		contester := e.manager(e.maarifRep, "moulay-rachid")
		wantKey(t, e.s.DecideReview(ctx, contester, b.ID, Lifted, "ok"), "error.authz.conflict")
		// The database keeps the rule too.
		if _, err := d.ExecContext(ctx, `UPDATE booking_penalty_reviews SET decision = 'lifted', decided_at = $1, decided_by = $2,
			note = 'x'`, e.clock.now(), e.maarifRep); err == nil {
			t.Fatal("the database let the one who contested decide")
		}
		if _, err := d.ExecContext(ctx, `UPDATE booking_penalty_reviews SET contested_by = $1`, e.people[1]); err == nil {
			t.Fatal("the database let a contest change hands")
		}
		if err := e.s.DecideReview(ctx, e.manager(e.mrManager, "moulay-rachid"), b.ID, Lifted, "Vu."); err != nil {
			t.Fatal(err)
		}
	})
}

// A penalty on a booking held by an association belongs to the
// association: only a current representative acting for it contests it.
// From a personal session the representative is told to act for it; a
// representative of another association does not see it; a revoked one
// is told they no longer represent it — and nothing is written. "My
// space" lists it in the association's account only; in the booker's own
// name it is counted, not shown. Once decided, the holder and whoever
// contested are told.
func TestAnAssociationsPenaltyIsContestedOnlyActingForIt(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		q := notifyingEnv(t, e)
		ctx := context.Background()
		represent := func(legal, person int64) {
			t.Helper()
			if _, err := d.ExecContext(ctx, `INSERT INTO representatives (legal_person_id, person_id, role, created_at)
				VALUES ($1, $2, 'manager', $3)`, legal, person, monday); err != nil {
				t.Fatal(err)
			}
		}
		acting := func(person, legal int64) authz.Actor {
			return authz.Actor{Person: person, EmailVerified: true, Now: e.clock.now(), ActingFor: legal, Represents: []int64{legal}}
		}
		represent(e.assoc, e.people[0]) // the one who books
		represent(e.assoc, e.people[1]) // another representative
		represent(e.assoc, e.people[2]) // soon revoked
		var club int64                  // another association, people[3] represents it
		if err := d.Transact(ctx, func(tx *db.Tx) error {
			return tx.QueryRowContext(ctx, `INSERT INTO legal_persons (kind, name, association_number, created_by, created_at)
				VALUES ('association', 'Club de Sbata', 'A-9876', $1, $2) RETURNING id`, e.people[3], monday).Scan(&club)
		}); err != nil {
			t.Fatal(err)
		}
		represent(club, e.people[3])

		start := at(2026, 12, 9, 10, 0)
		b, err := e.s.Book(ctx, acting(e.people[0], e.assoc), BookInput{Facility: field1, Start: start})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.set(start.Add(NoShowGrace + time.Minute))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecContext(ctx, `UPDATE representatives SET revoked_at = $1 WHERE person_id = $2`, e.clock.now(), e.people[2]); err != nil {
			t.Fatal(err)
		}

		// The booker in their own name: told to act for the association.
		personal := e.citizen(0)
		personal.Represents = []int64{e.assoc}
		err = e.s.Contest(ctx, personal, b.ID, "x")
		wantKey(t, err, "error.authz.act_as_owner")
		if !errs.Is(err, errs.Forbidden) {
			t.Errorf("from a personal session: %v, want forbidden", err)
		}
		// Another association's representative: not found.
		if err := e.s.Contest(ctx, acting(e.people[3], club), b.ID, "x"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another association's representative: %v, want not found", err)
		}
		// A revoked representative — in their own name, as the session
		// becomes, or with a stale session still acting for it.
		wantKey(t, e.s.Contest(ctx, e.citizen(2), b.ID, "x"), "booking.review.error.revoked")
		wantKey(t, e.s.Contest(ctx, acting(e.people[2], e.assoc), b.ID, "x"), "booking.review.error.revoked")
		var n int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM booking_penalty_reviews`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("%d reviews written by refused contests (%v)", n, err)
		}

		// My space: the association's account lists it for every
		// representative; the booker's own name counts it only.
		if ps, err := e.s.Penalties(ctx, acting(e.people[1], e.assoc)); err != nil || len(ps) != 1 || ps[0].Booking != b.ID {
			t.Fatalf("the association's penalties: %+v, %v", ps, err)
		}
		if ps, err := e.s.Penalties(ctx, personal); err != nil || len(ps) != 0 {
			t.Fatalf("the booker's own penalties show the association's: %+v, %v", ps, err)
		}
		if n, err := e.s.AssociationPenalties(ctx, personal); err != nil || n != 1 {
			t.Fatalf("the association's penalties on the booker's ladder: %d, %v", n, err)
		}
		if ps, err := e.s.Penalties(ctx, acting(e.people[3], club)); err != nil || len(ps) != 0 {
			t.Fatalf("another association's penalties: %+v, %v", ps, err)
		}

		// The database refuses a contest naming no one.
		if _, err := d.ExecContext(ctx, `INSERT INTO booking_penalty_reviews (penalty_id, reason, contested_at)
			SELECT id, 'x', at FROM booking_penalties`); err == nil {
			t.Fatal("the database took a contest naming no one")
		}
		// Another representative, acting for it, contests it.
		if err := e.s.Contest(ctx, acting(e.people[1], e.assoc), b.ID, "L’entraîneur était là, feuille de présence jointe."); err != nil {
			t.Fatal(err)
		}
		var by int64
		if err := d.QueryRowContext(ctx, `SELECT contested_by FROM booking_penalty_reviews`).Scan(&by); err != nil || by != e.people[1] {
			t.Fatalf("contested by %d (%v), want %d", by, err, e.people[1])
		}
		mgr := e.manager(e.mrManager, "moulay-rachid")
		if err := e.s.DecideReview(ctx, mgr, b.ID, Lifted, "Feuille de présence vérifiée."); err != nil {
			t.Fatal(err)
		}
		if n, err := e.s.AssociationPenalties(ctx, personal); err != nil || n != 0 {
			t.Fatalf("a lifted penalty still counted: %d, %v", n, err)
		}
		if sp, err := suspendedUntil(ctx, d, e.people[0], e.assoc, e.clock.now()); err != nil || sp != nil {
			t.Fatalf("suspended after the lift: %+v, %v", sp, err)
		}
		var audits int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action IN ('booking.penalty_contested', 'booking.penalty_lifted')
			AND object_id = $1`, strconv.FormatInt(b.ID, 10)).Scan(&audits); err != nil || audits != 2 {
			t.Fatalf("%d audit records (%v), want the contest and the decision", audits, err)
		}
		dispatchAll(t, q)
		rows, err := d.QueryContext(ctx, `SELECT user_id FROM notify_deliveries WHERE template = 'booking.penalty_lifted' AND channel = 'inbox'
			ORDER BY user_id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var told []string
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				t.Fatal(err)
			}
			told = append(told, u)
		}
		want := []string{"person:" + strconv.FormatInt(e.people[0], 10), "person:" + strconv.FormatInt(e.people[1], 10)}
		if strings.Join(told, ",") != strings.Join(want, ",") {
			t.Fatalf("told %v, want the holder and whoever contested %v", told, want)
		}
	})
}
