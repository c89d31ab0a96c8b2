package permitdemo

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"madina/internal/district"
	"madina/internal/identity/identitydemo"
	"madina/internal/permit"
	"madina/internal/platform/geo"
	"madina/internal/platform/i18n"
	"madina/internal/platform/pdf"
)

// TestDemoDocuments: the documents are small, valid PDFs (and a PNG),
// shared between files.
func TestDemoDocuments(t *testing.T) {
	var docs dfDocuments
	for _, name := range dfDocNames() {
		for _, rev := range []string{"A", "B"} {
			b, err := docs.get(name, rev)
			if err != nil {
				t.Fatal(err)
			}
			info, err := pdf.Inspect(bytes.NewReader(b), int64(len(b)))
			if err != nil || info.Pages < 1 || len(b) > 60<<10 {
				t.Errorf("%s %s: %d bytes, %+v, %v", name, rev, len(b), info, err)
			}
		}
	}
	if b, err := docs.get("photo", "A"); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) || len(b) > 60<<10 {
		t.Errorf("photo: %d bytes, %v", len(b), err)
	}
}

// TestDemoFilePeople checks the added people: unique e-mail addresses and
// CIN numbers, names in both scripts, one committee member per
// organisation, parcels inside the city.
func TestDemoFilePeople(t *testing.T) {
	owners := Owners()
	if len(owners) != OwnerCount {
		t.Fatalf("%d owners", len(owners))
	}
	seen := map[string]bool{}
	for _, d := range identitydemo.Accounts() {
		seen[d.Email] = true
	}
	for _, o := range owners {
		if seen[o.Email] || seen[o.CIN] || !strings.HasSuffix(o.Email, "@example.ma") || o.GivenNameAR == "" || o.FamilyNameLatin == "" {
			t.Errorf("owner %+v", o)
		}
		seen[o.Email], seen[o.CIN] = true, true
	}
	for _, ag := range Agents() {
		if seen[ag.Email] {
			t.Errorf("agent %s twice", ag.Email)
		}
		seen[ag.Email] = true
	}
	orgs := map[string]bool{}
	for _, m := range Members() {
		if seen[m.Email] || orgs[m.Org] || m.GivenNameAR == "" || m.FamilyNameLatin == "" {
			t.Errorf("member %+v", m)
		}
		seen[m.Email], orgs[m.Org] = true, true
	}
	if again := Owners(); again[17] != owners[17] {
		t.Error("the owners are not the same from one load to the next")
	}
	locate := permit.Locator(func(context.Context) (geo.Geometry, i18n.Text, error) {
		ref := district.Casablanca()
		return ref.Boundary, ref.City.Name, nil
	})
	for _, a := range dfArrs {
		for _, c := range [][2]float64{{0, 0}, {0.007, 0.009}, {-0.007, -0.009}, {0.007, -0.009}, {-0.007, 0.009}} {
			if _, err := locate(t.Context(), "", ftoa(a.lat+c[0]), ftoa(a.lon+c[1])); err != nil {
				t.Errorf("%s: %v", a.code, err)
			}
		}
	}
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', 5, 64) }
