package csvx_test

import (
	"encoding/csv"
	"strings"
	"testing"

	"madina/internal/platform/csvx"
)

func TestCell(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "+212600": "'+212600", "-3": "'-3", "@SUM(A1)": "'@SUM(A1)",
		"\t=x": "'\t=x", "\r=x": "'\r=x", "Maârif": "Maârif", "": "", "محمد": "محمد", "MAARIF-2026-00042": "MAARIF-2026-00042"} {
		if got := csvx.Cell(in); got != want {
			t.Errorf("Cell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestEncode(t *testing.T) {
	b, err := csvx.Encode([][]string{{"الرقم", "Intitulé"}, {"=HYPERLINK(\"x\")", "a,b\n\"c\""}})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.HasPrefix(s, "\ufeffالرقم,Intitulé\r\n") {
		t.Fatalf("no BOM or CRLF: %q", s)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(s, "\ufeff"))).ReadAll()
	if err != nil || len(recs) != 2 || recs[1][0] != `'=HYPERLINK("x")` || recs[1][1] != "a,b\n\"c\"" {
		t.Fatalf("%q %v", recs, err)
	}
}
