package app_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"madina/internal/apptest"
	"madina/internal/platform/db"
)

// TestAdminImportAddresses: the operator loads the city's territory, then
// its address gazetteer from a CSV file; a file with mistakes is refused
// with each mistake at its line, in English or in the language asked for,
// and changes nothing; the same source imported again replaces its
// addresses.
func TestAdminImportAddresses(t *testing.T) {
	t.Parallel()
	apptest.Engines(t, func(t *testing.T, e db.Engine) {
		run, url := adminCLI(t, e)
		ctx := context.Background()
		dir := t.TempDir()
		if code, _, errs := run("import-districts", filepath.Join("..", "district", "casablanca.json")); code != 0 {
			t.Fatalf("import-districts: %d %s", code, errs)
		}
		file := func(name, content string) string {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			return p
		}
		good := file("sig-2026.csv", "address,lat,lon\n\"12, rue Ibn Batouta\",33.5688,-7.5525\n١٢ زنقة ابن بطوطة,33.5686,-7.5527\n")
		code, out, errs := run("import-addresses", "--lang", "en", "--source", "SIG Casablanca", good)
		if code != 0 || !strings.Contains(out, "Addresses in the gazetteer “SIG Casablanca”: 2 (before: 0)") {
			t.Fatalf("import: %d %q %s", code, out, errs)
		}
		bad := file("sig-bad.csv", "address,lat,lon\n3 rue A,33.5688,-7.5525\n4 rue A,33.0,-7.0\n5 rue A,nord,ouest\n")
		code, out, errs = run("import-addresses", "--lang", "en", "--source", "SIG Casablanca", bad)
		if code != 1 || out != "" || !strings.Contains(errs, "The file sig-bad.csv has mistakes; nothing changed in the gazetteer:") ||
			!strings.Contains(errs, "Line 3: lat: This location is outside") || !strings.Contains(errs, "Line 4: lat: Enter the latitude and longitude") {
			t.Fatalf("a bad file in English: %d %q %q", code, out, errs)
		}
		if code, _, errs = run("import-addresses", "--lang", "fr", "--source", "SIG Casablanca", bad); code != 1 || !strings.Contains(errs, "Ligne 3") {
			t.Fatalf("a bad file in French: %d %q", code, errs)
		}
		if code, _, errs = run("import-addresses", "--lang", "en", "--source", " ", good); code != 1 || !strings.Contains(errs, "--source: Name the gazetteer") {
			t.Fatalf("no source: %d %q", code, errs)
		}
		if code, _, _ = run("import-addresses"); code != 2 {
			t.Fatalf("no file: exit %d, want 2", code)
		}
		d, err := db.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		count := func() (n int) {
			t.Helper()
			if err := d.QueryRowContext(ctx, `SELECT COUNT(*) FROM addresses WHERE source = 'SIG Casablanca' AND arrondissement_code = 'sidi-othmane'`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(); n != 2 {
			t.Fatalf("%d addresses after the refused files, want 2", n)
		}
		// Next year's file, named after its source by default.
		next := file("SIG Casablanca.csv", "address,lat,lon\n14 rue Ibn Batouta,33.5689,-7.5524\n")
		if code, out, errs = run("import-addresses", "--lang", "en", next); code != 0 || !strings.Contains(out, "“SIG Casablanca”: 1 (before: 2)") {
			t.Fatalf("re-import: %d %q %s", code, out, errs)
		}
		if n := count(); n != 1 {
			t.Fatalf("%d addresses after the re-import, want 1", n)
		}
	})
}
