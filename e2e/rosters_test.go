package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"madina/internal/booking"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
	"madina/internal/platform/secretbox"
)

// fieldTwo is Moulay Rachid's second field, whose seasons go by roster.
const fieldTwo = "moulay-rachid-field-2"

// rosterWindow is how long the journey's roster takes applications.
const rosterWindow = 60 * time.Second

// TestSeasonRosterJourney walks issue #15's season roster in Chromium on
// a phone: Naima Bennis, acting for her association, applies for
// Saturday 17:00 of the coming season; the window closes; Meriem
// Sentissi, the field's manager, allocates the roster from the desk (or
// the clock has already); Naima sees the weekly slot granted. A roster's
// window lasts weeks: before the server starts, the field gets a season
// beginning in two days and its roster is committed as the clock would,
// with a seed sealed by the server's key, but a window closing sixty
// seconds later.
func TestSeasonRosterJourney(t *testing.T) {
	dir := t.TempDir()
	demo(t, dir)
	ctx := context.Background()
	d, err := db.Open(ctx, "sqlite:"+filepath.Join(dir, "madina.db"))
	if err != nil {
		t.Fatal(err)
	}
	var raw string
	if err := d.QueryRowContext(ctx, `SELECT definition FROM booking_facilities WHERE code = $1`, fieldTwo).Scan(&raw); err != nil {
		t.Fatal(err)
	}
	var f booking.Facility
	if err := json.Unmarshal([]byte(raw), &f); err != nil {
		t.Fatal(err)
	}
	now := time.Now().In(i18n.Casablanca)
	start := time.Date(now.Year(), now.Month(), now.Day()+2, 0, 0, 0, 0, i18n.Casablanca)
	season := booking.Season{From: start.Format(time.DateOnly), To: start.AddDate(0, 2, 0).Format(time.DateOnly)}
	f.Seasons = []booking.Season{season}
	f.Rules.Roster = &booking.RosterRule{OpensDays: 3, ClosesDays: 1}
	if err := f.Check(); err != nil {
		t.Fatal(err)
	}
	def, _ := json.Marshal(f)
	if _, err := d.ExecContext(ctx, `UPDATE booking_facilities SET definition = $1 WHERE code = $2`, string(def), fieldTwo); err != nil {
		t.Fatal(err)
	}
	key, err := secretbox.LoadOrCreateKey(filepath.Join(dir, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	var sr [32]byte
	_, _ = rand.Read(sr[:])
	seed := hex.EncodeToString(sr[:])
	sum := sha256.Sum256([]byte(seed))
	closes := time.Now().Add(rosterWindow).UTC()
	if _, err := d.ExecContext(ctx, `INSERT INTO booking_rosters (facility_code, season_from, season_to, opens_at, closes_at,
		seed_hash, sealed_seed, state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8)`, fieldTwo, season.From, season.To,
		time.Now().Add(-time.Hour).UTC(), closes, hex.EncodeToString(sum[:]),
		box.Seal([]byte(seed), "booking.roster:"+fieldTwo+"@"+season.From), time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if booking.SeedHash(seed) != hex.EncodeToString(sum[:]) {
		t.Fatal("the seed's hash is not the service's")
	}

	began := time.Now()
	srv := startServer(t, "--data-dir", dir)
	b := startBrowser(t)
	naima := b.newTab(t, srv, phone390)
	signIn(naima, "naima.bennis@example.ma", false)
	naima.open("/me/legal", 200)
	naima.follow("act for the association", 200, chromedp.Click(chromedp.CSS(`form[action^="/me/acting/"] button[type=submit]`)))
	naima.setLanguage("fr")
	naima.open("/bookings/places/"+fieldTwo, 200)
	checkNoHorizontalScroll(naima)
	if time.Now().After(closes) {
		t.Fatalf("the representative reached the form after the window closed (%s): the machine is too slow for its %s window", closes, rosterWindow)
	}
	naima.do(chromedp.SetValue(chromedp.CSS("#choice1"), "6@17:00"))
	submit(naima, "apply for the season roster", `form:has(input[name=action][value=roster]) button[type=submit]`)
	if p := naima.path(); p != "/bookings?done=roster" {
		t.Fatalf("the application led to %s: %s", p, naima.alerts())
	}
	if txt := text(naima, "main"); !strings.Contains(txt, "En attente du tirage") || !strings.Contains(txt, "Retirer la candidature") {
		t.Fatalf("my bookings do not show the application waiting for the draw:\n%s", txt)
	}
	t.Logf("applied %s after the server started", time.Since(began).Round(time.Second))
	if time.Now().After(closes) {
		t.Fatalf("the application came after the window closed (%s): the journey is too slow for its %s window", closes, rosterWindow)
	}

	// The window closes; the manager allocates from the desk (unless the
	// clock, every minute, has just done it).
	meriem := b.newTab(t, srv, phone390)
	signInStaffAt(meriem, "meriem.sentissi@example.ma", time.Now())
	meriem.setLanguage("fr")
	time.Sleep(time.Until(closes) + time.Second)
	meriem.open("/bookings/desk", 200)
	if count(meriem, `form[action^="/bookings/desk/rosters/"] button[type=submit]`) > 0 {
		// 409: the clock allocated it between the desk's page and the click.
		switch status, problem := post(meriem, `form[action^="/bookings/desk/rosters/"] button[type=submit]`); status {
		case 200:
			if p := meriem.path(); p != "/bookings/desk?done=roster_allocated" {
				t.Fatalf("the allocation led to %s: %s", p, meriem.alerts())
			}
		case 409:
			t.Logf("the desk's allocation came second: %s", problem)
		default:
			t.Fatalf("the allocation answered %d: %s", status, problem)
		}
	}

	naima.open("/bookings", 200)
	checkNoHorizontalScroll(naima)
	txt := text(naima, "main")
	if !strings.Contains(txt, "Attribué : Samedi 17:00") || !strings.Contains(txt, "semaines réservées") ||
		!strings.Contains(txt, "Rendre ce créneau hebdomadaire") {
		t.Fatalf("Naima does not see the weekly slot granted:\n%s", txt)
	}
	t.Logf("the journey took %s from the server's start", time.Since(began).Round(time.Second))
}
