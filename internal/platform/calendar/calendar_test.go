package calendar

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

func TestDefaultCalendar(t *testing.T) {
	c := Default()
	if got, want := c.Years(), []int{2025, 2026, 2027, 2028, 2029, 2030, 2031}; !cmp.Equal(got, want) {
		t.Fatalf("Years() = %v, want %v", got, want)
	}
	for y := 2025; y <= 2031; y++ {
		hs := c.HolidaysIn(DateRange{MakeDate(y, time.January, 1), MakeDate(y, time.December, 31)})
		count := map[string]int{}
		for _, h := range hs {
			count[h.ID]++
			for _, l := range i18n.Langs {
				if h.Name(l) == "" {
					t.Errorf("%s %s: no name in %s", h.Date, h.ID, l)
				}
			}
		}
		for _, id := range []string{"new-year", "independence-manifesto", "amazigh-new-year", "labour-day", "throne-day",
			"oued-ed-dahab", "revolution-king-people", "youth-day", "green-march", "independence-day", "islamic-new-year"} {
			if count[id] != 1 {
				t.Errorf("%d: %s on %d days, want 1", y, id, count[id])
			}
		}
		// Two days each; an Eid may begin on 31 December and spill over,
		// and a Hijri holiday may come twice in one Gregorian year (none
		// does in 2025–2031).
		for _, id := range []string{"eid-al-mawlid", "eid-al-fitr", "eid-al-adha"} {
			if count[id] != 2 {
				t.Errorf("%d: %s on %d days, want 2", y, id, count[id])
			}
		}
	}
}

func TestHolidayLookup(t *testing.T) {
	c := Default()
	tests := []struct {
		date   string
		id     string // "" for none
		day    int
		hijri  string
		status string
	}{
		{"2025-01-01", "new-year", 1, "", ""},
		{"2023-01-14", "", 0, "", ""}, // Yennayer became a holiday in 2024
		{"2024-01-14", "amazigh-new-year", 1, "", ""},
		{"2025-03-31", "eid-al-fitr", 1, "1446-10-01", Announced},
		{"2025-04-01", "eid-al-fitr", 2, "1446-10-02", Announced},
		{"2025-06-07", "eid-al-adha", 1, "1446-12-10", Announced},
		{"2025-09-05", "eid-al-mawlid", 1, "1447-03-12", Announced},
		{"2025-09-06", "eid-al-mawlid", 2, "1447-03-13", Announced},
		{"2026-03-20", "eid-al-fitr", 1, "1447-10-01", Announced},
		{"2026-07-30", "throne-day", 1, "", ""},
		{"2026-07-31", "", 0, "", ""},
		// Beyond the covered years, fixed holidays still apply.
		{"2040-11-18", "independence-day", 1, "", ""},
		{"1999-07-30", "", 0, "", ""}, // before `from`
	}
	for _, tt := range tests {
		d := mustDate(t, tt.date)
		h, ok := c.Holiday(d)
		if ok != (tt.id != "") || c.IsHoliday(d) != ok {
			t.Errorf("%s: Holiday ok=%v IsHoliday=%v, want %v", tt.date, ok, c.IsHoliday(d), tt.id != "")
			continue
		}
		if !ok {
			continue
		}
		if h.ID != tt.id || h.Day != tt.day || h.Date != d || h.Status != tt.status {
			t.Errorf("%s: got %s day %d on %s status %q", tt.date, h.ID, h.Day, h.Date, h.Status)
		}
		if tt.hijri != "" && h.Hijri.String() != tt.hijri {
			t.Errorf("%s: Hijri %s, want %s", tt.date, h.Hijri, tt.hijri)
		}
		if h.Hijri != (HijriDate{}) && h.Source == "" {
			t.Errorf("%s: no source", tt.date)
		}
	}
	h, _ := c.Holiday(mustDate(t, "2025-06-08"))
	if h.Name(i18n.AR) != "عيد الأضحى" || h.Name(i18n.FR) != "Aïd Al Adha" || h.Name(i18n.EN) != "Eid al-Adha" {
		t.Errorf("names: %+v", h.Names)
	}
	if h, _ := c.Holiday(mustDate(t, "2027-03-10")); !h.IsEstimate() || !strings.Contains(h.Source, "Ministry of Habous announces") {
		t.Errorf("2027 Eid al-Fitr: status %q source %q", h.Status, h.Source)
	}
}

func TestRamadanPeriods(t *testing.T) {
	got := Default().Ramadan()
	if len(got) != 8 { // 2025–2029 one each, 2030 two, 2031 one
		t.Fatalf("%d Ramadan periods", len(got))
	}
	if got[0].Dates != (DateRange{mustDate(t, "2025-03-02"), mustDate(t, "2025-03-30")}) {
		t.Errorf("Ramadan 1446 = %v", got[0].Dates)
	}
	if got[1].Dates != (DateRange{mustDate(t, "2026-02-19"), mustDate(t, "2026-03-19")}) {
		t.Errorf("Ramadan 1447 = %v", got[1].Dates)
	}
}

// editDefault returns the default file after edit, encoded.
func editDefault(t *testing.T, edit func(f *file)) []byte {
	t.Helper()
	f, err := decode(defaultFile)
	if err != nil {
		t.Fatal(err)
	}
	f = f.clone()
	edit(&f)
	return encode(f)
}

func holidayEntry(f *file, year int, id string) *datedEntry {
	for i := range f.Years {
		if f.Years[i].Year == year {
			for j := range f.Years[i].Holidays {
				if f.Years[i].Holidays[j].ID == id {
					return &f.Years[i].Holidays[j]
				}
			}
		}
	}
	panic("no " + id)
}

func TestParseRejectsBadData(t *testing.T) {
	tests := []struct {
		name string
		data func(t *testing.T) []byte
		want []string // substrings of the error
	}{
		{"not JSON", func(*testing.T) []byte { return []byte("{") }, []string{"unexpected EOF"}},
		{"unknown field", func(*testing.T) []byte {
			return bytes.Replace(defaultFile, []byte(`"month": 1,`), []byte(`"mont": 1,`), 1)
		}, []string{`unknown field "mont"`}},
		{"trailing data", func(*testing.T) []byte { return append(bytes.Clone(defaultFile), "{}"...) }, []string{"data after"}},
		{"wrong format", func(t *testing.T) []byte {
			return editDefault(t, func(f *file) { f.Format = "v0" })
		}, []string{`format "v0"`}},
		{"name missing", func(t *testing.T) []byte {
			return editDefault(t, func(f *file) { f.Fixed[0].Names.FR = " "; f.Hijri[2].Names.AR = "" })
		}, []string{`"new-year": name missing in fr`, `"eid-al-fitr": name missing in ar`}},
		{"duplicate id", func(t *testing.T) []byte {
			return editDefault(t, func(f *file) { f.Fixed = append(f.Fixed, f.Fixed[0]) })
		}, []string{`"new-year" defined twice`}},
		{"bad id", func(t *testing.T) []byte {
			return editDefault(t, func(f *file) { f.Fixed[0].ID = "New Year" })
		}, []string{`id "New Year"`}},
		{"impossible fixed date", func(t *testing.T) []byte {
			return editDefault(t, func(f *file) { f.Fixed[0].Month, f.Fixed[0].Day = 2, 30 })
		}, []string{"month 2 day 30 is not a date"}},
		{"from missing", func(t *testing.T) []byte {
			return editDefault(t, func(f *file) { f.Fixed[1].From = 0 })
		}, []string{`"independence-manifesto": from 0`}},
		{"bad Hijri definition", func(t *testing.T) []byte {
			return editDefault(t, func(f *file) { f.Hijri[0].Month = 13; f.Hijri[1].Days = 0 })
		}, []string{"Hijri month 13", "days 0"}},
		{"date under the wrong year", func(t *testing.T) []byte {
			return editDefault(t, func(f *file) { holidayEntry(f, 2027, "eid-al-adha").Date = Date{2028, 5, 17} })
		}, []string{"year 2027: eid-al-adha 1448: 2028-05-17 is not in 2027", "2028-05-17 is +3"}},
		{"date far from its Hijri day", func(t *testing.T) []byte {
			return editDefault(t, func(f *file) { holidayEntry(f, 2027, "eid-al-adha").Date = Date{2027, 5, 27} })
		}, []string{"eid-al-adha 1448: 2027-05-27 is +10 days from 1448-12-10"}},
		{"unknown Hijri id", func(t *testing.T) []byte {
			return editDefault(t, func(f *file) { holidayEntry(f, 2027, "eid-al-adha").ID = "eid-al-kabir" })
		}, []string{"eid-al-kabir 1448: no Hijri holiday with this id", "eid-al-adha of Hijri year 1448 missing"}},
		{"duplicate entry", func(t *testing.T) []byte {
			return editDefault(t, func(f *file) {
				f.Years[2].Holidays = append(f.Years[2].Holidays, f.Years[2].Holidays[0])
			})
		}, []string{"already given in year 2027"}},
		{"duplicate year", func(t *testing.T) []byte {
			return editDefault(t, func(f *file) { f.Years = append(f.Years, f.Years[0]) })
		}, []string{"year 2025 listed twice"}},
		{"status and source", func(t *testing.T) []byte {
			return editDefault(t, func(f *file) {
				e := holidayEntry(f, 2028, "eid-al-fitr")
				e.Status, e.Source = "confirmed", ""
			})
		}, []string{`status "confirmed"`, "source missing"}},
		{"Ramadan too long", func(t *testing.T) []byte {
			return editDefault(t, func(f *file) { f.Years[3].Ramadan[0].From = f.Years[3].Ramadan[0].From.AddDays(-2) })
		}, []string{"ramadan 1449: 2028-01-26 to 2028-02-26 is 32 days"}},
		{"Ramadan not before Eid al-Fitr", func(t *testing.T) []byte {
			return editDefault(t, func(f *file) { holidayEntry(f, 2029, "eid-al-fitr").Date = Date{2029, 2, 16} })
		}, []string{"ramadan 1450 ends 2029-02-14 but eid-al-fitr is 2029-02-16"}},
		{"covered year missing an Eid", func(t *testing.T) []byte {
			return editDefault(t, func(f *file) {
				y := &f.Years[4]
				y.Holidays = y.Holidays[:len(y.Holidays)-1] // Eid al-Mawlid 2029
			})
		}, []string{"year 2029: eid-al-mawlid of Hijri year 1451 missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.data(t))
			if err == nil {
				t.Fatal("Parse accepted bad data")
			}
			if !errs.Is(err, errs.Invalid) || errs.As(err).Key != KeyInvalidFile {
				t.Errorf("error %v is not invalid/%s", err, KeyInvalidFile)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestParseAcceptsTheDefaultAndRoundTrips(t *testing.T) {
	c, err := Load(bytes.NewReader(DefaultFile()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.File(), defaultFile) {
		t.Error("File() differs from the file parsed")
	}
	// 29 February is a legitimate fixed date.
	data := editDefault(t, func(f *file) {
		f.Fixed = append(f.Fixed, fixedDef{"leap-day", time.February, 29, 2024, 2030, Names{AR: "يوم", FR: "jour", EN: "day"}})
	})
	c, err = Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsHoliday(mustDate(t, "2028-02-29")) || c.IsHoliday(mustDate(t, "2032-02-29")) || c.IsHoliday(mustDate(t, "2029-03-01")) {
		t.Error("leap-day holiday misapplied")
	}
}

func TestLoadRejectsHugeFile(t *testing.T) {
	_, err := Load(strings.NewReader(strings.Repeat(" ", maxFileSize+1)))
	if !errs.Is(err, errs.Invalid) {
		t.Fatalf("err = %v", err)
	}
}

// A city records the Ministry's announcement of an Eid and adds a year.
func TestOverride(t *testing.T) {
	base := Default()
	over := `{
  "format": "madina/holidays/v1",
  "fixed": [],
  "hijri": [],
  "years": [
    {"year": 2026, "holidays": [
      {"id": "eid-al-fitr", "hijri_year": 1447, "date": "2026-03-20", "status": "announced", "source": "Ministry of Habous"},
      {"id": "eid-al-adha", "hijri_year": 1447, "date": "2026-05-28", "status": "announced", "source": "Ministry of Habous, communiqué of 18 May 2026"},
      {"id": "islamic-new-year", "hijri_year": 1448, "date": "2026-06-17", "status": "estimate", "source": "estimate"},
      {"id": "eid-al-mawlid", "hijri_year": 1448, "date": "2026-08-26", "status": "estimate", "source": "estimate"}
    ], "ramadan": [
      {"hijri_year": 1447, "from": "2026-02-19", "to": "2026-03-19", "status": "announced", "source": "Ministry of Habous"}
    ]},
    {"year": 2032, "holidays": [
      {"id": "eid-al-fitr", "hijri_year": 1453, "date": "2032-01-14", "status": "estimate", "source": "estimate"},
      {"id": "eid-al-adha", "hijri_year": 1453, "date": "2032-03-22", "status": "estimate", "source": "estimate"},
      {"id": "islamic-new-year", "hijri_year": 1454, "date": "2032-04-12", "status": "estimate", "source": "estimate"},
      {"id": "eid-al-mawlid", "hijri_year": 1454, "date": "2032-06-21", "status": "estimate", "source": "estimate"},
      {"id": "eid-al-fitr", "hijri_year": 1454, "date": "2033-01-03", "status": "estimate", "source": "estimate"}
    ], "ramadan": [
      {"hijri_year": 1454, "from": "2032-12-05", "to": "2033-01-02", "status": "estimate", "source": "estimate"}
    ]}
  ]
}`
	_, err := base.Override([]byte(over))
	if err == nil || !strings.Contains(err.Error(), "2033-01-03 is not in 2032") {
		t.Fatalf("Override accepted an entry under the wrong year: %v", err)
	}
	over = strings.Replace(over, `,
      {"id": "eid-al-fitr", "hijri_year": 1454, "date": "2033-01-03", "status": "estimate", "source": "estimate"}`, "", 1)
	c, err := base.Override([]byte(over))
	if err != nil {
		t.Fatal(err)
	}
	if h, ok := c.Holiday(mustDate(t, "2026-05-29")); !ok || h.ID != "eid-al-adha" || h.Day != 2 || h.Status != Announced {
		t.Errorf("2026-05-29: %+v %v", h, ok)
	}
	if c.IsHoliday(mustDate(t, "2026-05-27")) {
		t.Error("the estimated Eid al-Adha survived the override")
	}
	if !c.Covers(2032) || !c.IsHoliday(mustDate(t, "2032-03-23")) {
		t.Error("2032 not added")
	}
	// The base calendar is untouched.
	if base.Covers(2032) || !base.IsHoliday(mustDate(t, "2026-05-27")) || base.IsHoliday(mustDate(t, "2026-05-29")) {
		t.Error("Override changed the base calendar")
	}
	// A fixed holiday can be replaced by id, e.g. ended.
	c, err = base.Override([]byte(`{"format": "madina/holidays/v1", "fixed": [{"id": "youth-day", "month": 8, "day": 21, "from": 2000, "until": 2026,
		"names": {"ar": "عيد الشباب", "fr": "Fête de la Jeunesse", "en": "Youth Day"}}], "hijri": [], "years": []}`))
	if err != nil {
		t.Fatal(err)
	}
	if !c.IsHoliday(mustDate(t, "2026-08-21")) || c.IsHoliday(mustDate(t, "2027-08-21")) || c.IsHoliday(mustDate(t, "2040-08-21")) {
		t.Error("until not honoured")
	}
}

func TestMessages(t *testing.T) {
	cat, err := i18n.Load(Messages)
	if err != nil {
		t.Fatal(err)
	}
	if probs := cat.Check(); len(probs) > 0 {
		t.Fatal(probs)
	}
	for _, l := range i18n.Langs {
		if !cat.Has(l, KeyInvalidFile) {
			t.Errorf("%s missing in %s", KeyInvalidFile, l)
		}
	}
}

func TestInvalidWrapsCause(t *testing.T) {
	cause := errors.New("boom")
	if err := invalid(cause); !errors.Is(err, cause) {
		t.Errorf("cause lost: %v", err)
	}
}
