package booking

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// `madina booking check-catalogue FILE` says a city's own catalogue is
// valid, or names every contradiction in English; and the file given by
// --booking-catalogue-file is the one served.
func TestACityChecksItsOwnCatalogue(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	// Casablanca's, with a facility not yet open (Maârif's coworking, no
	// hours).
	own := strings.Replace(string(defaultCatalogue), `"hours": [{"days": [1, 2, 3, 4, 5, 6], "open": "08:00", "close": "20:00"}],`, "", 1)
	if own == string(defaultCatalogue) {
		t.Fatal("the test's edit of the catalogue no longer applies")
	}
	if err := os.WriteFile(good, []byte(own), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(strings.Replace(own, `"horizon_days": 7`, `"horizon_days": 0`, 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (int, string) {
		var out, errw bytes.Buffer
		code := CLI(context.Background(), append([]string{"check-catalogue"}, args...), &out, &errw)
		return code, out.String() + errw.String()
	}
	if code, out := run(good); code != 0 || !strings.Contains(out, "VALID") || !strings.Contains(out, "1 not yet open") {
		t.Errorf("a good catalogue: %d %s", code, out)
	}
	if code, out := run(bad); code != 1 || !strings.Contains(out, "moulay-rachid-field-1") ||
		!strings.Contains(out, "The booking horizon") || !strings.Contains(out, "exceeds the horizon (0 days)") || strings.Contains(out, "booking.rules.") {
		t.Errorf("a bad catalogue: %d %s", code, out)
	}
	if code, _ := run(filepath.Join(dir, "none.json")); code != 3 {
		t.Errorf("a missing file: %d", code)
	}
	if code, _ := run(); code != 2 {
		t.Errorf("no file: %d", code)
	}
	b, err := catalogueSource(good)
	if err != nil || string(b) != own {
		t.Errorf("the file given is not the one served: %v", err)
	}
	if b, _ := catalogueSource(""); !bytes.Equal(b, defaultCatalogue) {
		t.Error("without a file, not the embedded catalogue")
	}
}
