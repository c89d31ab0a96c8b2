package permitdemo_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"madina/internal/app"
	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/permit"
	"madina/internal/platform/db"
	"madina/internal/platform/geo"
)

// TestDemoCommitteeStates loads the demonstration on each engine and
// finds, in the database, a file in every state of the committee's work:
// studied (some opinions given, others awaited), concluded and waiting
// for the secretariat's minutes (remarks to send, a conclusion to
// forward), remarks waiting for the applicant (some answered, some not),
// a second round, a decision waiting for the president, permits granted
// with conditions from reservations, refused on the urban agency's
// binding opinion, a round concluded by silence; decisions signed by the
// president, none left unsigned; the
// presidents' lists; sessions with agendas. A second load changes
// nothing of it.
func TestDemoCommitteeStates(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.New(t, e)
		ctx := context.Background()
		var out strings.Builder
		start := time.Now()
		if err := a.LoadDemo(ctx, &out); err != nil {
			t.Fatal(err)
		}
		t.Logf("LoadDemo on %s: %v\n%s", e, time.Since(start).Round(time.Millisecond), out.String())
		q := func(what, query string, args ...any) int {
			t.Helper()
			var n int
			if err := a.DB.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if n == 0 {
				t.Errorf("no file %s", what)
			}
			return n
		}
		// The last round of a file, and what was said in it.
		const last = `(SELECT MAX(r.round) FROM permit_rounds r WHERE r.file_id = f.id)`
		const accepted = `f.state = 'accepted' AND f.family = 'urban'`
		// Dispatched by Madina at the windows that dispatch automatically,
		// by hand at those whose agent has a demonstration account.
		q("dispatched automatically by Madina", `SELECT COUNT(DISTINCT s.file_id) FROM permit_committee_seats s
			JOIN permit_files f ON f.id = s.file_id WHERE s.selected_by IS NULL
			AND f.window_code NOT IN (SELECT window_code FROM permit_dispatch_modes WHERE NOT automatic)`)
		q("dispatched by an agent", `SELECT COUNT(DISTINCT s.file_id) FROM permit_committee_seats s
			JOIN permit_files f ON f.id = s.file_id WHERE s.selected_by IS NOT NULL AND s.basis <> 'added'
			AND f.window_code IN (SELECT window_code FROM permit_dispatch_modes WHERE NOT automatic)`)
		q("studied with some opinions given and others awaited", `SELECT COUNT(*) FROM permit_files f WHERE `+accepted+`
			AND f.holder = 'committee' AND f.step = 'study' AND `+last+` = 1
			AND (SELECT COUNT(*) FROM permit_opinions o WHERE o.file_id = f.id AND o.round = 1) BETWEEN 1
				AND (SELECT COUNT(*) FROM permit_committee_seats s WHERE s.file_id = f.id) - 1`)
		for _, outcome := range []string{"remarks", "grant"} {
			q("at the minutes, concluded "+outcome, `SELECT COUNT(*) FROM permit_files f JOIN permit_rounds r ON r.file_id = f.id
				AND r.round = `+last+` WHERE `+accepted+` AND f.holder = 'window' AND f.step = 'minutes' AND r.outcome = $1`, outcome)
		}
		q("with remarks to answer, some answered and some not", `SELECT COUNT(*) FROM permit_files f WHERE `+accepted+`
			AND f.step = 'remarks' AND f.holder = 'applicant'
			AND EXISTS (SELECT 1 FROM permit_remarks m WHERE m.file_id = f.id AND m.answer IS NOT NULL)
			AND EXISTS (SELECT 1 FROM permit_remarks m WHERE m.file_id = f.id AND m.answer IS NULL)`)
		q("with remarks none of which is answered", `SELECT COUNT(*) FROM permit_files f WHERE `+accepted+` AND f.step = 'remarks'
			AND NOT EXISTS (SELECT 1 FROM permit_remarks m WHERE m.file_id = f.id AND m.answer IS NOT NULL)`)
		q("in round 2", `SELECT COUNT(*) FROM permit_files f WHERE `+accepted+` AND f.step = 'study' AND `+last+` = 2
			AND EXISTS (SELECT 1 FROM permit_remarks m WHERE m.file_id = f.id AND m.round = 1 AND m.answer IS NOT NULL)`)
		q("waiting for the president", `SELECT COUNT(*) FROM permit_files f WHERE `+accepted+` AND f.holder = 'committee'
			AND f.step = 'decision'`)
		q("granted with conditions from reservations", `SELECT COUNT(*) FROM permit_files f WHERE f.state = 'approved'
			AND f.family = 'urban' AND f.decision_reason <> '' AND EXISTS (SELECT 1 FROM permit_opinions o WHERE o.file_id = f.id
				AND o.round = `+last+` AND o.verdict = 'reservations')`)
		q("granted after two rounds", `SELECT COUNT(*) FROM permit_files f WHERE f.state = 'approved' AND f.family = 'urban'
			AND `+last+` = 2`)
		q("refused on the urban agency's binding opinion", `SELECT COUNT(*) FROM permit_files f WHERE f.state = 'refused'
			AND f.family = 'urban' AND f.decision_reason <> '' AND EXISTS (SELECT 1 FROM permit_opinions o WHERE o.file_id = f.id
				AND o.round = `+last+` AND o.body = 'urban_agency' AND o.verdict = 'unfavourable')`)
		q("concluded by silence", `SELECT COUNT(*) FROM permit_files f JOIN permit_silences s ON s.file_id = f.id
			JOIN permit_rounds r ON r.file_id = f.id AND r.round = s.round WHERE r.closed_at IS NOT NULL`)
		q("granted after a silence", `SELECT COUNT(*) FROM permit_files f WHERE f.state = 'approved'
			AND EXISTS (SELECT 1 FROM permit_silences s WHERE s.file_id = f.id)`)
		// Nothing a committee member said is out of order: opinions after
		// the dispatch, before their round closed, never in the future.
		if n := countOf(t, a, `SELECT COUNT(*) FROM permit_opinions o JOIN permit_rounds r ON r.file_id = o.file_id AND r.round = o.round
			WHERE o.given_at < r.opened_at OR o.given_at > COALESCE(r.closed_at, o.given_at) OR o.given_at > $1`, time.Now()); n != 0 {
			t.Errorf("%d opinions out of their round", n)
		}

		// Every decision of an urban file is signed by its president with
		// their certificate (both demonstration presidents hold one).
		rows, err := a.DB.QueryContext(ctx, `SELECT id FROM permit_files WHERE family = 'urban' AND state IN ('approved', 'refused')`)
		if err != nil {
			t.Fatal(err)
		}
		var decided []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			decided = append(decided, id)
		}
		rows.Close()
		how := map[string]int{}
		for _, id := range decided {
			how[a.Permit.DecisionSignature(ctx, id)]++
		}
		if len(decided) == 0 || how[permit.DecisionByOfficer] != len(decided) {
			t.Errorf("decisions of the urban files: %v", how)
		}

		// The permits granted put projects on the geographic portal in
		// every arrondissement of the city (issue #14, point 7).
		layer, err := a.Permit.AuthorisedProjects(ctx, geo.FeatureQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		perArr := map[string]int{}
		for _, f := range layer.Features {
			perArr[f.Properties.Property("arrondissement").(string)]++
		}
		for _, p := range district.Casablanca().Prefectures {
			for _, arr := range p.Arrondissements {
				if perArr[arr.Code] == 0 {
					t.Errorf("no authorised project in %s (%d projects: %v)", arr.Code, len(layer.Features), perArr)
				}
			}
		}

		// Each demonstration president has a file to decide.
		for _, p := range []struct{ email, org, window string }{{"abdellatif.benslimane@example.ma", "commune", "city"},
			{"latifa.bouhlal@example.ma", "sidi-othmane", "sidi-othmane"}} {
			pres := authz.Actor{Person: apptest.PersonID(t, a, p.email), EmailVerified: true, MFA: true, Now: time.Now(),
				Grants: []authz.Grant{{Role: authz.President, Org: p.org, Window: p.window}}}
			if rows, err := a.Permit.ToDecide(ctx, pres); err != nil || len(rows) == 0 {
				t.Errorf("%s has %d files to decide: %v", p.email, len(rows), err)
			}
		}
		// The sessions of the weeks to come, with agendas.
		q("on a session's agenda", `SELECT COUNT(*) FROM permit_agenda a JOIN permit_files f ON f.id = a.file_id
			WHERE a.session_id IS NOT NULL`)

		// A second load changes none of it.
		first := committeeCounts(t, a)
		if err := a.LoadDemo(ctx, io.Discard); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first, committeeCounts(t, a)); diff != "" {
			t.Errorf("the second load changed the committee's work (-first +second):\n%s", diff)
		}
	})
}

func countOf(t *testing.T, a *app.App, query string, args ...any) int {
	t.Helper()
	var n int
	if err := a.DB.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// committeeCounts counts the rows of the committee's tables.
func committeeCounts(t *testing.T, a *app.App) map[string]int {
	out := map[string]int{}
	for _, table := range []string{"permit_committee_seats", "permit_rounds", "permit_opinions", "permit_silences", "permit_remarks",
		"permit_sessions", "permit_agenda", "staff_grants", "persons"} {
		out[table] = countOf(t, a, `SELECT COUNT(*) FROM `+table)
	}
	return out
}
