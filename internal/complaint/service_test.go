package complaint

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/platform/blob"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// monday 23 November 2026, 08:00 in Casablanca: a working day.
var monday = time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)

// env is the service on a real database and blob store, with people.
type env struct {
	s     *Service
	d     *db.DB
	blobs blob.Store
	clock *testClock
	// people: a citizen, another, Lydec's complaint officer for the whole
	// city, Sidi Moumen's officer, and a Lydec officer who is a citizen
	// too.
	citizen, other, lydec, sidiMoumen, lydecCitizen int64
}

func newEnv(t testing.TB, d *db.DB) *env {
	t.Helper()
	ctx := context.Background()
	places := district.NewStore(d)
	if _, err := places.Load(ctx, district.Casablanca(), "system"); err != nil {
		t.Fatal(err)
	}
	bs, err := blob.Open(ctx, "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c := &testClock{t: monday}
	e := &env{d: d, blobs: bs, clock: c}
	e.s = NewService(Deps{DB: d, Catalogue: DefaultCatalogue(), Calendar: calendar.Default(), Blobs: bs, Places: places,
		Events: jobs.New(d, nil, jobs.Options{}), Now: c.now})
	for _, o := range []struct{ code, kind, arr string }{{"commune", "commune", ""}, {"lydec", "utility", ""},
		{"sidi-moumen", "arrondissement", "sidi-moumen"}, {"anfa", "arrondissement", "anfa"}} {
		var arr any
		if o.arr != "" {
			arr = o.arr
		}
		if _, err := d.ExecContext(ctx, `INSERT INTO organisations (code, kind, arrondissement_code, name_ar, name_fr, name_en, created_at)
			VALUES ($1, $2, $3, 'م', 'O', 'O', $4)`, o.code, o.kind, arr, monday); err != nil {
			t.Fatal(err)
		}
	}
	e.citizen = e.person(t, "citizen@example.ma")
	e.other = e.person(t, "other@example.ma")
	e.lydec = e.person(t, "lydec@example.ma")
	e.sidiMoumen = e.person(t, "sm@example.ma")
	e.lydecCitizen = e.person(t, "lydec2@example.ma")
	if err := e.s.CheckOrganisations(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) person(t testing.TB, email string) int64 {
	t.Helper()
	var id int64
	err := e.d.Transact(context.Background(), func(tx *db.Tx) error {
		return tx.QueryRowContext(context.Background(), `INSERT INTO persons (email, email_key, email_verified_at, phone,
		phone_verified_at, given_name_ar, family_name_ar, given_name_latin, family_name_latin, lang, created_at, updated_at)
		VALUES ($1, $1, $2, '+212612345678', $2, 'سعيد', 'العلوي', 'Said', 'Alaoui', 'ar', $2, $2) RETURNING id`,
			email, monday).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *env) actor(p int64) authz.Actor {
	return authz.Actor{Person: p, EmailVerified: true, Now: e.clock.now()}
}

func (e *env) officer(p int64, org, arr string) authz.Actor {
	return authz.Actor{Person: p, EmailVerified: true, MFA: true, Now: e.clock.now(),
		Grants: []authz.Grant{{Role: authz.ComplaintOfficer, Org: org, Arrondissement: arr}}}
}

func (e *env) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := e.d.QueryRowContext(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// sidiMoumenPoint is a point in Sidi Moumen, inside the city.
const sidiMoumenLat, sidiMoumenLon = "33.5790", "-7.5290"

// photoWithGPS is a JPEG of w×h pixels carrying an EXIF block with a GPS
// marker, as a phone writes one.
func photoWithGPS(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	exif := append([]byte("Exif\x00\x00"), []byte("GPSLatitude 33.5790 N GPSLongitude 7.5290 W")...)
	seg := []byte{0xFF, 0xE1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(exif)+2))
	out := append([]byte{}, b.Bytes()[:2]...)
	out = append(out, seg...)
	out = append(out, exif...)
	return append(out, b.Bytes()[2:]...)
}

// pngBomb is a PNG whose header declares 50,000 × 50,000 pixels: ten
// gigabytes once decoded, a few bytes on the wire.
func pngBomb() []byte {
	chunk := func(typ string, data []byte) []byte {
		out := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
		out = append(out, typ...)
		out = append(out, data...)
		return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, 50000)
	ihdr = binary.BigEndian.AppendUint32(ihdr, 50000)
	ihdr = append(ihdr, 8, 2, 0, 0, 0)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = append(out, chunk("IHDR", ihdr)...)
	out = append(out, chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})...)
	return append(out, chunk("IEND", nil)...)
}

func lighting(photos ...[]byte) Input {
	in := Input{Category: "lighting", Lat: sidiMoumenLat, Lon: sidiMoumenLon, Arrondissement: "sidi-moumen",
		Description: "الضو مطفي فالزنقة 12 من سيمانة. عيطو ليا 0612345678 ولا fatima@example.ma",
		Answers:     map[string]string{"pole": "L-2231"}, Contact: ContactSMS}
	for _, p := range photos {
		in.Photos = append(in.Photos, bytes.NewReader(p))
	}
	return in
}

func TestFileAndTrack(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		r, err := e.s.File(ctx, e.actor(e.citizen), lighting(photoWithGPS(t, 2400, 1200)))
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^R2026-000001$`).MatchString(r.Number) || len(r.TrackingCode) != 8 {
			t.Errorf("number %q, code %q", r.Number, r.TrackingCode)
		}
		if r.Organisation != "lydec" || r.State != Received || r.Reporter != e.citizen {
			t.Errorf("organisation %q state %q reporter %d", r.Organisation, r.State, r.Reporter)
		}
		// Lighting: acknowledged within 1 working day, resolved within 5,
		// escalated 3 after: filed on Monday 23 November, due Tuesday 24,
		// Monday 30 November and Thursday 3 December, end of day in
		// Casablanca.
		for _, c := range []struct {
			name string
			got  time.Time
			want string
		}{{"ack", r.AckDue, "2026-11-24"}, {"resolve", r.ResolveDue, "2026-11-30"}, {"escalate", r.EscalateAt, "2026-12-03"}} {
			if d := c.got.In(i18n.Casablanca).Format("2006-01-02 15:04"); d != c.want+" 23:59" {
				t.Errorf("%s due %s, want %s 23:59", c.name, d, c.want)
			}
		}
		if strings.Contains(r.PublicDescription, "0612345678") || strings.Contains(r.PublicDescription, "fatima@") ||
			!strings.Contains(r.PublicDescription, "الزنقة 12") {
			t.Errorf("public text %q", r.PublicDescription)
		}
		// The photo: re-encoded, scaled to the web, its EXIF and GPS gone.
		if len(r.Photos) != 1 || r.Photos[0].Width != WebSide || r.Photos[0].Height != WebSide/2 {
			t.Fatalf("photos %+v", r.Photos)
		}
		rc, err := e.blobs.Open(ctx, r.Photos[0].SHA256)
		if err != nil {
			t.Fatal(err)
		}
		stored, _ := io.ReadAll(rc)
		rc.Close()
		if bytes.Contains(stored, []byte("Exif")) || bytes.Contains(stored, []byte("GPS")) {
			t.Error("the stored photo still carries its EXIF block")
		}
		if _, err := jpeg.Decode(bytes.NewReader(stored)); err != nil {
			t.Errorf("stored photo: %v", err)
		}
		// History, audit, event: one each.
		if e.count(t, "complaint_events") != 1 || e.count(t, "events") != 1 {
			t.Errorf("%d history lines, %d events", e.count(t, "complaint_events"), e.count(t, "events"))
		}
		var actions string
		if err := d.QueryRowContext(ctx, `SELECT action FROM audit_log WHERE object_type = 'complaint_request'`).Scan(&actions); err != nil || actions != "complaint.filed" {
			t.Errorf("audit: %q %v", actions, err)
		}
		// The second request of the year takes the next number.
		r2, err := e.s.File(ctx, e.actor(e.other), lighting())
		if err != nil || r2.Number != "R2026-000002" {
			t.Fatalf("second request %v: %v", r2, err)
		}

		// Public tracking: number and code, as typed (lower case, Arabic
		// digits); a wrong code is "not found" like a wrong number.
		p, err := e.s.Track(ctx, " r٢٠٢٦-000001 ", strings.ToLower(r.TrackingCode))
		if err != nil {
			t.Fatal(err)
		}
		if p.Category.Code != "lighting" || p.Lat == nil || strings.Contains(p.Description, "0612345678") {
			t.Errorf("public view %+v", p)
		}
		for _, bad := range [][2]string{{r.Number, "AAAAAAAA"}, {"R2026-000999", r.TrackingCode}, {"", ""}} {
			if _, err := e.s.Track(ctx, bad[0], bad[1]); !errs.Is(err, errs.NotFound) {
				t.Errorf("track %v: %v", bad, err)
			}
		}

		// Reading: the reporter, and Lydec's officer; not another citizen,
		// nor another organisation's officer (to them it does not exist).
		if _, _, err := e.s.Get(ctx, e.actor(e.citizen), r.ID); err != nil {
			t.Errorf("reporter reads: %v", err)
		}
		if _, _, err := e.s.Get(ctx, e.officer(e.lydec, "lydec", ""), r.ID); err != nil {
			t.Errorf("officer reads: %v", err)
		}
		for _, a := range []authz.Actor{e.actor(e.other), e.officer(e.sidiMoumen, "sidi-moumen", "")} {
			if _, _, err := e.s.Get(ctx, a, r.ID); !errs.Is(err, errs.NotFound) {
				t.Errorf("person %d reads someone else's request: %v", a.Person, err)
			}
		}
		mine, err := e.s.Mine(ctx, e.actor(e.citizen))
		if err != nil || len(mine) != 1 || mine[0].ID != r.ID {
			t.Errorf("mine: %v %v", mine, err)
		}
	})
}

// TestPrivateLifeRequestsShowNoPlace: a noise complaint's tracking page
// shows neither its point nor its description.
func TestPrivateLifeRequestsShowNoPlace(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		r, err := e.s.File(ctx, e.actor(e.citizen), Input{Category: "noise", Lat: sidiMoumenLat, Lon: sidiMoumenLon,
			Address: "12 rue des Lilas", Arrondissement: "sidi-moumen", Description: "Le voisin du 3e fait la fête",
			Answers: map[string]string{"when": "night"}})
		if err != nil {
			t.Fatal(err)
		}
		if r.Organisation != "sidi-moumen" || !r.Private {
			t.Errorf("organisation %q private %v", r.Organisation, r.Private)
		}
		p, err := e.s.Track(ctx, r.Number, r.TrackingCode)
		if err != nil {
			t.Fatal(err)
		}
		if p.Lat != nil || p.Address != "" || p.Description != "" || !p.Private {
			t.Errorf("a private-life request shows %+v", p)
		}
	})
}

func TestBadInputWritesNothing(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		fields := func(err error) []string {
			e := errs.As(err)
			if e == nil {
				return nil
			}
			out := []string{e.Field + ":" + e.Key}
			for _, f := range e.Faults {
				out = append(out, f.Field+":"+f.Key)
			}
			slices.Sort(out)
			return out
		}
		big := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{1}, MaxPhotoBytes)...)
		for _, tc := range []struct {
			name string
			in   func(in *Input)
			want []string
		}{
			{"everything wrong at once", func(in *Input) {
				in.Arrondissement, in.Lat, in.Lon, in.Description, in.Contact = "atlantis", "48.85", "2.35", "  ", "pigeon"
				in.Category = "roads"
				in.Answers = map[string]string{"danger": "true"}
			}, []string{"arrondissement:complaint.error.arrondissement", "contact:complaint.error.contact",
				"description:complaint.error.description", "f-danger_detail:complaint.error.answer_required",
				"f-where:complaint.error.answer_required", "lat:error.geo.outside"}},
			{"unknown category", func(in *Input) { in.Category = "ufo" }, []string{"category:complaint.error.category"}},
			{"malformed point", func(in *Input) { in.Lat = "north" }, []string{"lat:error.geo.number"}},
			{"no location at all", func(in *Input) { in.Lat, in.Lon = "", "" }, []string{"lat:complaint.error.location"}},
			{"a choice that is not offered", func(in *Input) {
				in.Category, in.Answers = "waste", map[string]string{"what": "gold"}
			}, []string{"f-what:complaint.error.answer"}},
			{"description too long", func(in *Input) { in.Description = strings.Repeat("ب", MaxDescription+1) },
				[]string{"description:complaint.error.too_long"}},
			{"not a photo", func(in *Input) { in.Photos = []io.Reader{strings.NewReader("%PDF-1.7\n1 0 obj\n")} },
				[]string{"photos:complaint.error.photo_type"}},
			{"a decompression bomb", func(in *Input) { in.Photos = []io.Reader{bytes.NewReader(pngBomb())} },
				[]string{"photos:complaint.error.photo_dimensions"}},
			{"a photo too large", func(in *Input) { in.Photos = []io.Reader{bytes.NewReader(big)} },
				[]string{"photos:complaint.error.photo_size"}},
			{"six photos", func(in *Input) {
				for range 6 {
					in.Photos = append(in.Photos, bytes.NewReader(photoWithGPS(t, 8, 8)))
				}
			}, []string{"photos:complaint.error.photo_count"}},
			{"a photo where none is asked", func(in *Input) {
				in.Category = "noise"
				in.Answers = map[string]string{"when": "day"}
				in.Photos = []io.Reader{bytes.NewReader(photoWithGPS(t, 8, 8))}
			}, []string{"photos:complaint.error.photo_none"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := lighting()
				tc.in(&in)
				_, err := e.s.File(ctx, e.actor(e.citizen), in)
				if got := fields(err); !slices.Equal(got, tc.want) {
					t.Fatalf("mistakes %v, want %v (%v)", got, tc.want, err)
				}
			})
		}
		if n := e.count(t, "complaint_requests") + e.count(t, "complaint_photos") + e.count(t, "complaint_events") + e.count(t, "events"); n != 0 {
			t.Errorf("%d rows written by refused filings", n)
		}
		// Nobody files without an account or from a staff account.
		if _, err := e.s.File(ctx, authz.Actor{}, lighting()); !errs.Is(err, errs.Unauthenticated) {
			t.Errorf("anonymous filing: %v", err)
		}
		if _, err := e.s.File(ctx, e.officer(e.lydec, "lydec", ""), lighting()); err == nil {
			t.Error("a staff account files a request")
		}
	})
}

func TestTheRequestsLife(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		r, err := e.s.File(ctx, e.actor(e.citizen), lighting())
		if err != nil {
			t.Fatal(err)
		}
		lydec := e.officer(e.lydec, "lydec", "")
		reporter := e.actor(e.citizen)
		move := func(a authz.Actor, c Change, note string) (*Request, error) {
			t.Helper()
			return e.s.Move(ctx, a, r.ID, 0, c, note)
		}
		// The reporter does not do the team's work; the team does not
		// reply in the citizen's place.
		if _, err := move(reporter, CAcknowledge, ""); err == nil {
			t.Fatal("the reporter acknowledged their own request")
		}
		if _, err := move(lydec, CReply, "yes"); err == nil {
			t.Fatal("the officer replied for the citizen")
		}
		// Another arrondissement's officer of Lydec does not see it.
		if _, err := move(e.officer(e.lydecCitizen, "lydec", "anfa"), CAcknowledge, ""); !errs.Is(err, errs.NotFound) {
			t.Fatalf("an officer of another arrondissement: %v", err)
		}
		if r, err = move(lydec, CAcknowledge, ""); err != nil || r.State != Acknowledged || r.AcknowledgedAt == nil {
			t.Fatalf("acknowledge: %v %+v", err, r)
		}
		if _, err := move(lydec, CAcknowledge, ""); !errs.Is(err, errs.Conflict) {
			t.Fatalf("acknowledged twice: %v", err)
		}
		if _, err := e.s.Move(ctx, lydec, r.ID, 1, CStart, ""); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a stale version: %v", err)
		}
		// Asking pauses the clock: Tuesday to Thursday gives back two
		// working days.
		if _, err := move(lydec, CAsk, ""); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a question without text: %v", err)
		}
		e.clock.add(24 * time.Hour) // Tuesday
		if r, err = move(lydec, CAsk, "Quel est le numéro du poteau ?"); err != nil || r.State != Waiting {
			t.Fatalf("ask: %v", err)
		}
		before := r.ResolveDue
		e.clock.add(48 * time.Hour) // Thursday
		if r, err = move(reporter, CReply, "L-2231, devant le numéro 12"); err != nil || r.State != InProgress {
			t.Fatalf("reply: %v", err)
		}
		if got := calendar.Default().WorkingDaysBetween(before, r.ResolveDue); got != 2 {
			t.Errorf("the wait gave back %d working days, want 2 (%s → %s)", got, before, r.ResolveDue)
		}
		if _, err := move(lydec, CResolve, ""); !errs.Is(err, errs.Invalid) {
			t.Fatalf("resolved without a public answer: %v", err)
		}
		if r, err = move(lydec, CResolve, "Lampe remplacée le 26 novembre."); err != nil || r.State != Resolved || r.PublicAnswer == "" {
			t.Fatalf("resolve: %v", err)
		}
		// Not fixed: the reporter reopens within 30 days.
		if r, err = move(reporter, CReopen, "Toujours éteint ce soir."); err != nil || r.State != Reopened {
			t.Fatalf("reopen: %v", err)
		}
		if r, err = move(lydec, CResolve, "Câble réparé."); err != nil {
			t.Fatal(err)
		}
		e.clock.add(31 * 24 * time.Hour)
		if _, err := move(reporter, CReopen, "Encore"); !errs.Is(err, errs.Conflict) || errs.As(err).Key != "complaint.error.reopen_late" {
			t.Fatalf("reopened after 30 days: %v", err)
		}
		if r, err = move(lydec, CClose, ""); err != nil || r.State != Closed || r.PublicAnswer != "Câble réparé." {
			t.Fatalf("close: %v %+v", err, r)
		}
		_, evs, err := e.s.Get(ctx, reporter, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, ev := range evs {
			kinds = append(kinds, string(ev.Kind))
		}
		if got := strings.Join(kinds, " "); got != "filed acknowledge ask reply resolve reopen resolve close" {
			t.Errorf("history %s", got)
		}
		var audited, published int
		_ = d.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE object_type = 'complaint_request'`).Scan(&audited)
		_ = d.QueryRowContext(ctx, `SELECT count(*) FROM events WHERE topic = $1`, TopicRequestChanged).Scan(&published)
		if audited != 8 || published != 8 {
			t.Errorf("%d audit records and %d events for 8 changes", audited, published)
		}
	})
}

// TestResolvedRequestsCloseAfterThirtyDays: a request resolved and not
// reopened is closed by Madina once its reporter may no longer reopen
// it; one reopened stays with the team.
func TestResolvedRequestsCloseAfterThirtyDays(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		lydec := e.officer(e.lydec, "lydec", "")
		var rs []*Request
		for range 2 {
			r, err := e.s.File(ctx, e.actor(e.citizen), lighting())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.s.Move(ctx, lydec, r.ID, 0, CResolve, "Lampe remplacée."); err != nil {
				t.Fatal(err)
			}
			rs = append(rs, r)
		}
		e.clock.add(29 * 24 * time.Hour)
		if _, err := e.s.Move(ctx, e.actor(e.citizen), rs[1].ID, 0, CReopen, "Toujours éteint."); err != nil {
			t.Fatal(err)
		}
		if n, err := e.s.CloseResolved(ctx); err != nil || n != 0 {
			t.Fatalf("closed %d before 30 days (%v)", n, err)
		}
		e.clock.add(2 * 24 * time.Hour)
		if n, err := e.s.CloseResolved(ctx); err != nil || n != 1 {
			t.Fatalf("closed %d, want 1 (%v)", n, err)
		}
		r, evs, err := e.s.Get(ctx, e.actor(e.citizen), rs[0].ID)
		if err != nil || r.State != Closed || r.PublicAnswer != "Lampe remplacée." || evs[len(evs)-1].ActorLabel != "system" {
			t.Fatalf("the first request: %v %+v", err, r)
		}
		if r, _, _ := e.s.Get(ctx, e.actor(e.citizen), rs[1].ID); r.State != Reopened {
			t.Fatalf("the reopened request was closed: %s", r.State)
		}
		if n, err := e.s.CloseResolved(ctx); err != nil || n != 0 {
			t.Fatalf("closed %d again (%v)", n, err)
		}
	})
}

// TestNobodyHandlesTheirOwnRequest: a Lydec officer who reports a street
// light as a citizen reads their request but cannot acknowledge it; a
// colleague can.
func TestNobodyHandlesTheirOwnRequest(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		// Filed from their personal account (no grants on it).
		r, err := e.s.File(ctx, e.actor(e.lydecCitizen), lighting())
		if err != nil {
			t.Fatal(err)
		}
		own := e.officer(e.lydecCitizen, "lydec", "")
		if _, _, err := e.s.Get(ctx, own, r.ID); err != nil {
			t.Fatalf("the officer reads their own request: %v", err)
		}
		if _, err := e.s.Move(ctx, own, r.ID, 0, CAcknowledge, ""); !errs.Is(err, errs.Forbidden) || errs.As(err).Key != "error.authz.conflict" {
			t.Fatalf("the officer acknowledges their own request: %v", err)
		}
		if _, err := e.s.Move(ctx, e.officer(e.lydec, "lydec", ""), r.ID, 0, CAcknowledge, ""); err != nil {
			t.Fatal(err)
		}
	})
}

func TestQueueOverdueFirst(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		old, err := e.s.File(ctx, e.actor(e.citizen), lighting())
		if err != nil {
			t.Fatal(err)
		}
		e.clock.add(7 * 24 * time.Hour)
		fresh, err := e.s.File(ctx, e.actor(e.other), lighting())
		if err != nil {
			t.Fatal(err)
		}
		anfa := lighting()
		anfa.Arrondissement, anfa.Lat, anfa.Lon = "anfa", "33.5900", "-7.6300" // a point in Anfa's outline
		inAnfa, err := e.s.File(ctx, e.actor(e.other), anfa)
		if err != nil {
			t.Fatal(err)
		}
		q, err := e.s.Queue(ctx, e.officer(e.lydec, "lydec", ""), "lydec")
		if err != nil {
			t.Fatal(err)
		}
		if len(q) != 3 || q[0].ID != old.ID || !q[0].Overdue(e.clock.now()) || q[1].Overdue(e.clock.now()) {
			t.Fatalf("queue %v", q)
		}
		q, err = e.s.Queue(ctx, e.officer(e.lydecCitizen, "lydec", "anfa"), "lydec")
		if err != nil || len(q) != 1 || q[0].ID != inAnfa.ID {
			t.Fatalf("Anfa's part of the queue: %v %v", q, err)
		}
		if _, err := e.s.Queue(ctx, e.officer(e.sidiMoumen, "sidi-moumen", ""), "lydec"); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another organisation's queue: %v", err)
		}
		_ = fresh
	})
}

// TestTheDatabaseHoldsTheRules writes bad rows and changes straight to
// SQL: the database refuses them on both engines.
func TestTheDatabaseHoldsTheRules(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		r, err := e.s.File(ctx, e.actor(e.citizen), lighting(photoWithGPS(t, 8, 8)))
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{
			`UPDATE complaint_requests SET state = 'closed' WHERE id = $1`,                                                       // no closing date, no answer
			`UPDATE complaint_requests SET state = 'reopened', resolved_at = filed_at, acknowledged_at = filed_at WHERE id = $1`, // no such move
			`UPDATE complaint_requests SET state = 'waiting', acknowledged_at = filed_at WHERE id = $1`,                          // waiting since when?
			`UPDATE complaint_requests SET description = 'autre chose' WHERE id = $1`,                                            // what was filed
			`UPDATE complaint_requests SET resolve_due = filed_at WHERE id = $1`,                                                 // due before filed
			`UPDATE complaint_requests SET contact = 'pigeon' WHERE id = $1`,
			`DELETE FROM complaint_requests WHERE id = $1`,
			`UPDATE complaint_photos SET width = 9 WHERE request_id = $1`,
			`DELETE FROM complaint_events WHERE request_id = $1`,
			`INSERT INTO complaint_photos (request_id, position, sha256, size, width, height, content_type, added_at)
				SELECT $1, 6, sha256, size, width, height, content_type, added_at FROM complaint_photos WHERE request_id = $1`,
			`INSERT INTO complaint_photos (request_id, position, sha256, size, width, height, content_type, added_at)
				SELECT $1, 2, sha256, size, width, height, 'image/png', added_at FROM complaint_photos WHERE request_id = $1`,
		} {
			err := d.Transact(ctx, func(tx *db.Tx) error {
				_, err := tx.ExecContext(ctx, q, r.ID)
				return err
			})
			if err == nil {
				t.Errorf("the database accepted: %s", q)
			}
		}
		// The state machine's moves are the database's.
		allowed := func(from, to State) bool {
			for _, m := range moves {
				if m.to == to && slices.Contains(m.from, from) {
					return true
				}
			}
			return false
		}
		for _, eng := range []string{"sqlite", "postgres"} {
			b, err := os.ReadFile("../../migrations/" + eng + "/0032_complaints.sql")
			if err != nil {
				t.Fatal(err)
			}
			for _, from := range States {
				for _, to := range States {
					pair := "'" + string(from) + ">" + string(to) + "'"
					if from != to && bytes.Contains(b, []byte(pair)) != allowed(from, to) {
						t.Errorf("%s: %s in the trigger %v, in the state machine %v", eng, pair, !allowed(from, to), allowed(from, to))
					}
				}
			}
		}
	})
}

func TestMaskContacts(t *testing.T) {
	for in, want := range map[string]string{
		"اتصل بي 0612345678":              "اتصل بي •••",
		"tél. +212 6 12 34 56 78, merci":  "tél. •••, merci",
		"٠٦١٢٣٤٥٦٧٨":                      "•••",
		"écrivez à f.benali@example.ma !": "écrivez à ••• !",
		"le 06/12/2026 au numéro 12":      "le 06/12/2026 au numéro 12",
		"poteau L-2231 depuis 3 semaines": "poteau L-2231 depuis 3 semaines",
	} {
		if got := MaskContacts(in); got != want {
			t.Errorf("MaskContacts(%q) = %q, want %q", in, got, want)
		}
	}
}
