package booking

import (
	"context"
	"testing"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

const hall = "sidi-othmane-hall"

// legalPerson registers a school (code) or a company (ice) represented by
// a new person, and returns that representative acting for it.
func (e *env) legalPerson(t *testing.T, kind, name, email, number string) authz.Actor {
	t.Helper()
	ctx := context.Background()
	rep := e.person(t, email)
	var id int64
	q := `INSERT INTO legal_persons (kind, name, school_code, created_by, created_at) VALUES ('school', $1, $2, $3, $4) RETURNING id`
	role := "director"
	if kind == "company" {
		q = `INSERT INTO legal_persons (kind, name, ice, rc, created_by, created_at) VALUES ('company', $1, $2, 'RC 1', $3, $4) RETURNING id`
		role = "manager"
	}
	if err := e.d.Transact(ctx, func(tx *db.Tx) error {
		return tx.QueryRowContext(ctx, q, name, number, rep, monday).Scan(&id)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.d.ExecContext(ctx, `INSERT INTO representatives (legal_person_id, person_id, role, created_at) VALUES ($1, $2, $3, $4)`,
		id, rep, role, monday); err != nil {
		t.Fatal(err)
	}
	return authz.Actor{Person: rep, EmailVerified: true, Now: e.clock.now(), Represents: []int64{id}, ActingFor: id}
}

// Sidi Othmane's hall keeps 40 % of its weekday slots from 09:00 to
// 18:00 for schools, now bound to who books: its director acting for the
// school takes that share (without even naming the group: the school is
// who it is), while a citizen or an association declaring the group is
// refused on the group's field, and outside it is refused the share; a
// company acting books nothing; a school books nowhere schools may not;
// "my bookings" of the school's director acting for it are the school's.
func TestSchoolsTakeTheSchoolShareAsSchools(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		school := e.legalPerson(t, "school", "École primaire Ibn Khaldoun", "director@example.ma", "21074V")
		company := e.legalPerson(t, "company", "Atlas SARL", "boss@example.ma", "001234567000089")
		assoc := authz.Actor{Person: e.maarifRep, EmailVerified: true, Now: monday, Represents: []int64{e.assoc}, ActingFor: e.assoc}
		book := func(a authz.Actor, h, m int, group string) (*Booking, error) {
			return e.s.Book(ctx, a, BookInput{Facility: hall, Start: at(2026, 12, 11, h, m), Group: group})
		}
		// Friday 11 December: three of the six school-hour slots taken.
		for i, hm := range [][2]int{{9, 0}, {10, 30}, {12, 0}} {
			if _, err := book(e.citizen(i), hm[0], hm[1], ""); err != nil {
				t.Fatal(err)
			}
		}
		_, err := book(e.citizen(3), 13, 30, "schools")
		wantField(t, err, "group", "booking.error.group_who.school")
		_, err = book(assoc, 13, 30, "schools")
		wantField(t, err, "group", "booking.error.group_who.school")
		_, err = book(assoc, 13, 30, "")
		wantKey(t, err, "booking.error.reserved")
		_, err = book(e.citizen(3), 13, 30, "")
		wantKey(t, err, "booking.error.reserved")
		_, err = book(company, 13, 30, "")
		wantKey(t, err, "booking.error.who.company")
		if !errs.Is(err, errs.Forbidden) {
			t.Fatalf("a company acting: %v", err)
		}

		b, err := book(school, 13, 30, "")
		if err != nil {
			t.Fatalf("the school in school hours: %v", err)
		}
		if b.Group != "schools" || b.HolderLegal != school.ActingFor || b.Holder != school.Person {
			t.Fatalf("the school's booking: group %q, held for %d by %d", b.Group, b.HolderLegal, b.Holder)
		}
		if _, err := book(school, 15, 0, "schools"); err != nil {
			t.Fatalf("the school naming its group: %v", err)
		}
		var n int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM bookings WHERE holder_legal_id = $1 AND group_code = 'schools'`, school.ActingFor).Scan(&n); err != nil || n != 2 {
			t.Fatalf("%d bookings of the school in its group (%v)", n, err)
		}
		// The school's bookings are the school's, not its director's own.
		if bs, err := e.s.Mine(ctx, school); err != nil || len(bs) != 2 {
			t.Fatalf("the school's bookings: %d, %v", len(bs), err)
		}
		self := school
		self.ActingFor = 0
		if bs, err := e.s.Mine(ctx, self); err != nil || len(bs) != 0 {
			t.Fatalf("the director's own bookings: %d, %v", len(bs), err)
		}
		// Moulay Rachid's field takes citizens and associations only.
		_, err = e.s.Book(ctx, school, BookInput{Facility: field1, Start: at(2026, 12, 9, 10, 0)})
		wantKey(t, err, "booking.error.who.school")
		// Nor may a company wait in line for the hall.
		_, err = e.s.JoinWaitlist(ctx, company, BookInput{Facility: hall, Start: at(2026, 12, 11, 13, 30)})
		wantKey(t, err, "booking.error.who.company")
	})
}

// A school's quotas count the bookings held in its name, school by
// school: its director's own bookings, and another school's, are apart.
func TestSchoolQuotasCountPerSchool(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		mgr := e.manager(e.mrManager, "sidi-othmane")
		f, v, err := e.s.Facility(ctx, hall)
		if err != nil {
			t.Fatal(err)
		}
		r := f.Rules
		for i, q := range r.Quotas {
			if q.Per == WhoSchool && q.Period == "week" {
				r.Quotas[i].Max = 2
			}
		}
		if _, err := e.s.UpdateRules(ctx, mgr, hall, v, r); err != nil {
			t.Fatal(err)
		}
		a := e.legalPerson(t, "school", "École Ibn Khaldoun", "a@example.ma", "21074V")
		b := e.legalPerson(t, "school", "Collège Al Massira", "b@example.ma", "210751X")
		for _, day := range []int{14, 15} {
			if _, err := e.s.Book(ctx, a, BookInput{Facility: hall, Start: at(2026, 12, day, 9, 0)}); err != nil {
				t.Fatalf("school A on the %d: %v", day, err)
			}
		}
		_, err = e.s.Book(ctx, a, BookInput{Facility: hall, Start: at(2026, 12, 16, 9, 0)})
		wantKey(t, err, "booking.error.legal_quota.week")
		if _, err := e.s.Book(ctx, b, BookInput{Facility: hall, Start: at(2026, 12, 16, 9, 0)}); err != nil {
			t.Fatalf("school B: %v", err)
		}
		self := a
		self.ActingFor = 0
		if _, err := e.s.Book(ctx, self, BookInput{Facility: hall, Start: at(2026, 12, 17, 9, 0)}); err != nil {
			t.Fatalf("school A's director in their own name: %v", err)
		}
		// The week after, A books again.
		if _, err := e.s.Book(ctx, a, BookInput{Facility: hall, Start: at(2026, 12, 21, 9, 0)}); err != nil {
			t.Fatalf("school A the next week: %v", err)
		}
	})
}

// A group kept for who may not book at the facility contradicts its
// rules: refused at the desk, as in a catalogue.
func TestAGroupForWhoDoesNotBookIsRefused(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		mgr := e.manager(e.mrManager, "moulay-rachid")
		f, v, err := e.s.Facility(ctx, field1)
		if err != nil {
			t.Fatal(err)
		}
		g := f.Rules.Groups[0]
		g.Who = WhoSchool
		_, err = e.s.SaveGroup(ctx, mgr, field1, v, g)
		wantKeys(t, err, "booking.rules.group_who")
		g.Who = WhoAssociation
		if _, err := e.s.SaveGroup(ctx, mgr, field1, v, g); err != nil {
			t.Fatalf("a group kept for associations, who book here: %v", err)
		}
		cat := DefaultCatalogue()
		hallDef, _ := cat.Facility(hall)
		if hallDef.Rules.Groups[0].Who != WhoSchool || hallDef.Rules.Groups[0].Code != "schools" {
			t.Fatalf("the catalogue's schools group: %+v", hallDef.Rules.Groups[0])
		}
	})
}
