package booking_test

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/booking"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/secretbox"
)

// Over HTTP, the desk's second round: a roster whose first round gave
// the association nothing, its second round applied for and closed. The
// manager's desk lists the application's second-round choices beside its
// first and a button to allocate the round (the clock would too); the
// manager allocates it, the association is given its choice, the desk
// says so and offers the button no more.
func TestRosterSecondRoundAtTheDesk(t *testing.T) {
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		a := apptest.Accounts(t, e)
		assoc := openSeason(t, a)
		ctx := context.Background()
		var raw string
		if err := a.DB.QueryRowContext(ctx, `SELECT definition FROM booking_facilities WHERE code = 'moulay-rachid-field-2'`).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		var f booking.Facility
		if err := json.Unmarshal([]byte(raw), &f); err != nil || len(f.Seasons) != 1 {
			t.Fatalf("the field's seasons: %v %v", f.Seasons, err)
		}
		season := f.Seasons[0].From
		key, err := secretbox.LoadOrCreateKey(filepath.Join(a.Cfg.DataDir, "secret.key"))
		if err != nil {
			t.Fatal(err)
		}
		box, err := secretbox.New(key)
		if err != nil {
			t.Fatal(err)
		}
		seed := func() (string, string) {
			var b [32]byte
			_, _ = rand.Read(b[:])
			s := hex.EncodeToString(b[:])
			sum := sha256.Sum256([]byte(s))
			return s, hex.EncodeToString(sum[:])
		}
		// insert writes a row and reads back its id (QueryRow reads
		// on the read-only connections).
		insert := func(table, query string, args ...any) int64 {
			t.Helper()
			if _, err := a.DB.ExecContext(ctx, query, args...); err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			var id int64
			if err := a.DB.QueryRowContext(ctx, `SELECT max(id) FROM `+table).Scan(&id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		now := time.Now().UTC().Truncate(time.Second)
		naima := apptest.PersonID(t, a, "naima.bennis@example.ma")
		// The first round, allocated an hour ago, gave the association
		// nothing (another took its Saturday, since given back).
		first, firstHash := seed()
		roster := insert("booking_rosters", `INSERT INTO booking_rosters (facility_code, season_from, season_to, opens_at, closes_at,
			seed_hash, sealed_seed, seed, state, allocated_at, created_at) VALUES ('moulay-rachid-field-2', $1, $6, $2, $3, $4, 'sealed', $5,
			'allocated', $3, $2)`, season, now.Add(-3*time.Hour), now.Add(-time.Hour), firstHash, first, f.Seasons[0].To)
		app := insert("booking_roster_applications", `INSERT INTO booking_roster_applications (roster_id, person_id, legal_id, token, choice1,
			entered_at, rank) VALUES ($1, $2, $3, 'TOKFIRST01', '6@17:00', $4, 1)`, roster, naima, assoc, now.Add(-2*time.Hour))
		// Its second round closed a minute ago; the association applied.
		second, secondHash := seed()
		round := insert("booking_roster_rounds", `INSERT INTO booking_roster_rounds (roster_id, opens_at, closes_at, seed_hash, sealed_seed,
			state, created_at) VALUES ($1, $2, $3, $4, $5, 'open', $2)`, roster, now.Add(-time.Hour), now.Add(-time.Minute),
			secondHash, box.Seal([]byte(second), "booking.roster:moulay-rachid-field-2@"+season+"#2"))
		if _, err := a.DB.ExecContext(ctx, `INSERT INTO booking_roster_round_applications (round_id, application_id, person_id, token,
			choice1, entered_at) VALUES ($1, $2, $3, 'TOKROUND01', '6@17:00', $4)`, round, app, naima, now.Add(-30*time.Minute)); err != nil {
			t.Fatal(err)
		}

		srv := apptest.Server(t, a) // no clock: the desk allocates
		mgr := apptest.NewBrowser(t, srv.URL)
		mgr.SignIn("meriem.sentissi@example.ma", true)
		mgr.SetLang(i18n.EN)
		action := "/bookings/desk/rosters/" + strconv.FormatInt(roster, 10) + "/round"
		_, body, _ := mgr.Get("/bookings/desk")
		if !strings.Contains(body, "Second round: 1 application,") || !strings.Contains(body, `action="`+action+`"`) ||
			!strings.Contains(body, "Allocate the second round now") || !strings.Contains(body, "Second round. <bdi>Saturday 17:00</bdi>") {
			t.Fatalf("the desk before the second round's allocation:\n%s", apptest.Grep(body, "econd"))
		}
		code, _, h := mgr.Post("/bookings/desk", action, url.Values{})
		if code != http.StatusSeeOther || h.Get("Location") != "/bookings/desk?done=roster_round_allocated" {
			t.Fatalf("allocating the second round: %d %s", code, h.Get("Location"))
		}
		var granted string
		var booked int
		if err := a.DB.QueryRowContext(ctx, `SELECT COALESCE(granted, ''), (SELECT count(*) FROM bookings WHERE holder_legal_id = $2)
			FROM booking_roster_round_applications WHERE round_id = $1`, round, assoc).Scan(&granted, &booked); err != nil {
			t.Fatal(err)
		}
		if granted != "6@17:00" || booked == 0 {
			t.Fatalf("after the desk's allocation the association was given %q and holds %d bookings", granted, booked)
		}
		_, body, _ = mgr.Get("/bookings/desk?done=roster_round_allocated")
		if !strings.Contains(body, "Second round allocated") || strings.Contains(body, `action="`+action+`"`) ||
			!strings.Contains(body, "Granted: Saturday") {
			t.Fatalf("the desk after the second round's allocation:\n%s", apptest.Grep(body, "econd"))
		}
		// Twice: refused, nothing changes.
		if code, body, _ := mgr.Post("/bookings/desk", action, url.Values{}); code != http.StatusConflict {
			t.Fatalf("allocated twice: %d\n%s", code, apptest.Grep(body, "error"))
		}
	})
}
