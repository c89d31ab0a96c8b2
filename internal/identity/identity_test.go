package identity

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	otptotp "github.com/pquerna/otp/totp"

	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
	"madina/internal/platform/password"
	"madina/internal/platform/secretbox"
)

// recorder passes every notification to the real notify service and keeps
// a copy, so that a test can read the link or code a person would receive.
type recorder struct {
	real *notify.Service
	q    *jobs.Queue // the outbox: last and count dispatch its events first
	mu   sync.Mutex
	msgs []notify.Message
}

// dispatch hands every published event to its subscribers, as a running
// node's dispatcher does once the change commits: the notices that
// subscribe to events are sent then.
func (r *recorder) dispatch() {
	for {
		n, err := r.q.DispatchNow(context.Background())
		if err != nil {
			panic(err)
		}
		if n == 0 {
			return
		}
	}
}

func (r *recorder) Send(ctx context.Context, tx *db.Tx, m notify.Message) error {
	if err := r.real.Send(ctx, tx, m); err != nil {
		return err
	}
	r.mu.Lock()
	r.msgs = append(r.msgs, m)
	r.mu.Unlock()
	return nil
}

func (r *recorder) last(template string) notify.Message {
	r.dispatch()
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.msgs) - 1; i >= 0; i-- {
		if r.msgs[i].Template == template {
			return r.msgs[i]
		}
	}
	return notify.Message{}
}

func (r *recorder) count(template string) int {
	r.dispatch()
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range r.msgs {
		if m.Template == template {
			n++
		}
	}
	return n
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type env struct {
	s     *Service
	rec   *recorder
	clock *clock
	d     *db.DB
	files fileTable // the permit files mandates may name, by reference
}

// fileTable stands for the permit capability (which imports identity, so
// cannot be built here) answering who owns a file: {person, legal} by
// reference. The application's tests use the real one.
type fileTable map[string][2]int64

func (f fileTable) FileOwner(_ context.Context, ref string) (int64, int64, error) {
	o, ok := f[ref]
	if !ok {
		return 0, 0, errs.E(errs.NotFound, "")
	}
	return o[0], o[1], nil
}

var fastHasher = func() *password.Hasher {
	h, err := password.NewHasherParams(password.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}, 4)
	if err != nil {
		panic(err)
	}
	return h
}()

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	q := jobs.New(d, log, jobs.Options{Workers: 1})
	box, err := secretbox.New(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	n, err := notify.New(d, q, log, notify.Config{Templates: []fs.FS{Notices()}, Box: box})
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	rec := &recorder{real: n, q: q}
	files := fileTable{}
	s, err := NewService(Deps{DB: d, Notify: rec, Hasher: fastHasher, Box: box, Log: log, Files: files, Events: q},
		Config{BaseURL: "https://madina.test", Now: c.now, PermitKinds: testKinds})
	if err != nil {
		t.Fatal(err)
	}
	for _, topic := range Topics {
		q.Subscribe(topic, "identity.notices", s.SendNotices)
	}
	return &env{s: s, rec: rec, clock: c, d: d, files: files}
}

// testKinds are permit kinds as the catalogue gives them to identity.
var testKinds = []PermitKind{
	{Code: "building", Name: i18n.Text{AR: "رخصة البناء", FR: "Permis de construire", EN: "Building permit"}},
	{Code: "repair", Name: i18n.Text{AR: "رخصة الإصلاح", FR: "Autorisation de réfection", EN: "Repair permit"}},
	{Code: "demolition", Name: i18n.Text{AR: "رخصة الهدم", FR: "Permis de démolir", EN: "Demolition permit"}},
	{Code: "regularisation", Name: i18n.Text{AR: "رخصة التسوية", FR: "Autorisation de régularisation", EN: "Regularisation permit"}},
	{Code: "subdivision", Name: i18n.Text{AR: "رخصة التجزئة العقارية", FR: "Autorisation de lotir", EN: "Subdivision permit"}},
	{Code: "land_division", Name: i18n.Text{AR: "رخصة تقسيم العقارات", FR: "Autorisation de morcellement", EN: "Land division permit"}},
	{Code: "housing_group", Name: i18n.Text{AR: "رخصة إحداث مجموعة سكنية", FR: "Autorisation de groupe d’habitations", EN: "Housing group permit"}},
	{Code: "habitation", Name: i18n.Text{AR: "رخصة السكن", FR: "Permis d’habiter", EN: "Habitation permit"}},
	{Code: "conformity", Name: i18n.Text{AR: "شهادة المطابقة", FR: "Certificat de conformité", EN: "Conformity certificate"}},
}

const goodPassword = "Casablanca-ذهب-2026"

func profile(email, cin string) Profile {
	return Profile{GivenNameAR: "فاطمة", FamilyNameAR: "الزهراء", GivenNameLatin: "Fatima", FamilyNameLatin: "Zahra",
		CIN: cin, Email: email, Phone: "06 12 34 56 78", Lang: "ar"}
}

func tokenOf(t *testing.T, m notify.Message) string {
	t.Helper()
	u, err := url.Parse(m.Secret["URL"].(string))
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("token")
}

// signUpVerified creates an account whose e-mail is verified.
func (e *env) signUpVerified(t *testing.T, email, cin string) int64 {
	t.Helper()
	ctx := context.Background()
	id, err := e.s.SignUp(ctx, profile(email, cin), goodPassword)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.VerifyEmail(ctx, tokenOf(t, e.rec.last("identity.verify_email"))); err != nil {
		t.Fatal(err)
	}
	return id
}

func countPersons(t *testing.T, d *db.DB) int {
	var n int
	if err := d.QueryRowContext(context.Background(), `SELECT count(*) FROM persons`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSignUpValidatesAndRefusesDuplicates(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		bad := []struct {
			name string
			mod  func(*Profile)
			pw   string
			key  string
		}{
			{"bad CIN", func(p *Profile) { p.CIN = "12345678" }, goodPassword, "identity.error.cin"},
			{"bad e-mail", func(p *Profile) { p.Email = "fatima@" }, goodPassword, "identity.error.email"},
			{"landline", func(p *Profile) { p.Phone = "0522123456" }, goodPassword, "identity.error.phone"},
			{"script in name", func(p *Profile) { p.GivenNameLatin = "<script>alert(1)</script>" }, goodPassword, "identity.error.name_chars"},
			{"Latin in the Arabic name", func(p *Profile) { p.GivenNameAR = "Fatima" }, goodPassword, "identity.error.name_arabic"},
			{"oversize name", func(p *Profile) { p.FamilyNameLatin = strings.Repeat("a", 81) }, goodPassword, "identity.error.name_long"},
			{"short password", nil, "short", "error.password.short"},
			{"password is the e-mail", nil, "fatima@example.ma", "error.password.personal"},
		}
		for _, c := range bad {
			p := profile("fatima@example.ma", "BE123456")
			if c.mod != nil {
				c.mod(&p)
			}
			_, err := e.s.SignUp(ctx, p, c.pw)
			if ee := errs.As(err); ee == nil || ee.Key != c.key {
				t.Errorf("%s: %v, want %s", c.name, err, c.key)
			}
		}
		if n := countPersons(t, d); n != 0 {
			t.Fatalf("%d persons after refused sign-ups", n)
		}
		if _, err := e.s.SignUp(ctx, profile("Fatima@Example.ma", "be 123456"), goodPassword); err != nil {
			t.Fatal(err)
		}
		// A taken e-mail or CIN answers like a new sign-up; the owner, once
		// verified, is told at their address.
		if id, err := e.s.SignUp(ctx, profile("fatima@example.MA", "K99999"), goodPassword); err != nil || id != 0 {
			t.Fatalf("duplicate e-mail: %d, %v", id, err)
		}
		if n := e.rec.count("identity.signup_attempt"); n != 0 {
			t.Fatalf("%d explanations to an unverified address", n)
		}
		if _, err := e.s.VerifyEmail(ctx, tokenOf(t, e.rec.last("identity.verify_email"))); err != nil {
			t.Fatal(err)
		}
		if id, err := e.s.SignUp(ctx, profile("other@example.ma", "BE123456"), goodPassword); err != nil || id != 0 {
			t.Fatalf("duplicate CIN: %d, %v", id, err)
		}
		if m := e.rec.last("identity.signup_attempt"); m.To.Email != "Fatima@Example.ma" || m.Data["Field"] != "cin" {
			t.Fatalf("explanation %+v", m)
		}
		if n := countPersons(t, d); n != 1 {
			t.Fatalf("%d persons, want 1", n)
		}
		m := e.rec.last("identity.phone_code")
		if m.To.Phone != "+212612345678" || len(m.Secret["Code"].(string)) != 6 {
			t.Fatalf("SMS code message %+v", m)
		}
	})
}

func TestEmailLinkWorksOnceAndExpires(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		if _, err := e.s.SignUp(ctx, profile("a@example.ma", "A12345"), goodPassword); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.SignIn(ctx, "a@example.ma", goodPassword, "test"); errs.As(err) == nil || errs.As(err).Key != "identity.error.email_unverified" {
			t.Fatalf("sign-in before verification: %v", err)
		}
		tok := tokenOf(t, e.rec.last("identity.verify_email"))
		if _, err := e.s.VerifyEmail(ctx, tok+"x"); !errs.Is(err, errs.Invalid) {
			t.Fatalf("forged token: %v", err)
		}
		if _, err := e.s.VerifyEmail(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.VerifyEmail(ctx, tok); errs.As(err) == nil || errs.As(err).Key != "identity.error.code_used" {
			t.Fatalf("reused link: %v", err)
		}
		if _, err := e.s.SignIn(ctx, "a@example.ma", goodPassword, "test"); err != nil {
			t.Fatalf("sign-in after verification: %v", err)
		}
		// A second account's link, opened after 48 hours, has expired.
		if _, err := e.s.SignUp(ctx, profile("b@example.ma", "B12345"), goodPassword); err != nil {
			t.Fatal(err)
		}
		e.clock.add(49 * time.Hour)
		if _, err := e.s.VerifyEmail(ctx, tokenOf(t, e.rec.last("identity.verify_email"))); errs.As(err) == nil || errs.As(err).Key != "identity.error.code_expired" {
			t.Fatalf("expired link: %v", err)
		}
	})
}

func TestPhoneCode(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		id := e.signUpVerified(t, "a@example.ma", "A12345")
		code := e.rec.last("identity.phone_code").Secret["Code"].(string)
		wrong := "000000"
		if code == wrong {
			wrong = "111111"
		}
		if err := e.s.VerifyPhone(ctx, id, wrong); errs.As(err) == nil || errs.As(err).Key != "identity.error.code_wrong" {
			t.Fatalf("wrong code: %v", err)
		}
		// Arabic-Indic digits are the same code.
		arabic := strings.Map(func(r rune) rune { return '٠' + (r - '0') }, code)
		if err := e.s.VerifyPhone(ctx, id, arabic); err != nil {
			t.Fatalf("right code in Arabic-Indic digits: %v", err)
		}
		p, _ := e.s.Store().Person(ctx, d, id)
		if p.PhoneVerifiedAt == nil {
			t.Fatal("phone not verified")
		}
		if err := e.s.VerifyPhone(ctx, id, code); err == nil {
			t.Fatal("a used code worked again")
		}
		// Five wrong tries spend a code.
		id2 := e.signUpVerified(t, "b@example.ma", "B12345")
		code2 := e.rec.last("identity.phone_code").Secret["Code"].(string)
		wrong2 := "999999"
		if code2 == wrong2 {
			wrong2 = "888888"
		}
		for i := 0; i < maxCodeAttempts; i++ {
			_ = e.s.VerifyPhone(ctx, id2, wrong2)
		}
		if err := e.s.VerifyPhone(ctx, id2, code2); errs.As(err) == nil || errs.As(err).Key != "identity.error.code_expired" {
			t.Fatalf("the right code after 5 wrong tries: %v", err)
		}
		if err := e.s.ResendPhoneCode(ctx, id2); err != nil {
			t.Fatal(err)
		}
		if err := e.s.VerifyPhone(ctx, id2, e.rec.last("identity.phone_code").Secret["Code"].(string)); err != nil {
			t.Fatalf("new code: %v", err)
		}
	})
}

func TestSignInFailuresLockTheAccount(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		e.signUpVerified(t, "a@example.ma", "A12345")
		_, unknown := e.s.SignIn(ctx, "nobody@example.ma", goodPassword, "test")
		_, wrong := e.s.SignIn(ctx, "a@example.ma", "wrong password", "test")
		if errs.As(unknown) == nil || errs.As(wrong) == nil || errs.As(unknown).Key != errs.As(wrong).Key {
			t.Fatalf("unknown account and wrong password answer differently: %v / %v", unknown, wrong)
		}
		for i := 0; i < 4; i++ {
			_, _ = e.s.SignIn(ctx, "a@example.ma", "wrong password", "test")
			_, _ = e.s.SignIn(ctx, "nobody@example.ma", "wrong password", "test")
		}
		// Locked: even the right password gets the answer an unknown address gets.
		_, locked := e.s.SignIn(ctx, "a@example.ma", goodPassword, "test")
		_, unknown = e.s.SignIn(ctx, "nobody@example.ma", goodPassword, "test")
		if !errs.Is(locked, errs.Unauthenticated) || errs.As(locked).Key != errs.As(unknown).Key || errs.KindOf(unknown) != errs.KindOf(locked) {
			t.Fatalf("after 5 failures the right password: %v; an unknown address: %v", locked, unknown)
		}
		if m := e.rec.last("identity.locked"); m.To.Email != "a@example.ma" || e.rec.count("identity.locked") != 1 {
			t.Fatalf("the owner was not told of the lock: %+v", m)
		}
		e.clock.add(16 * time.Minute)
		if _, err := e.s.SignIn(ctx, "a@example.ma", goodPassword, "test"); err != nil {
			t.Fatalf("after the lock: %v", err)
		}
	})
}

func TestSessionsExpireAndEndEverywhere(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		id := e.signUpVerified(t, "a@example.ma", "A12345")
		r1, err := e.s.SignIn(ctx, "a@example.ma", goodPassword, "phone")
		if err != nil {
			t.Fatal(err)
		}
		r2, _ := e.s.SignIn(ctx, "a@example.ma", goodPassword, "laptop")
		if r1.Token == r2.Token {
			t.Fatal("two sign-ins share a token")
		}
		v, err := e.s.visitor(ctx, r1.Token)
		if err != nil || v.Actor.Person != id || !v.SignedIn() {
			t.Fatalf("visitor: %+v %v", v, err)
		}
		// Idle for more than an hour: gone.
		e.clock.add(61 * time.Minute)
		if _, err := e.s.visitor(ctx, r1.Token); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("idle session: %v", err)
		}
		r3, _ := e.s.SignIn(ctx, "a@example.ma", goodPassword, "tablet")
		if _, err := e.s.visitor(ctx, r3.Token); err != nil { // now in this node's cache
			t.Fatal(err)
		}
		if err := e.s.SignOutEverywhere(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.visitor(ctx, r3.Token); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("after sign out everywhere: %v", err)
		}
		// Absolute timeout: active all along, still ends after 12 hours.
		r4, _ := e.s.SignIn(ctx, "a@example.ma", goodPassword, "kiosk")
		for i := 0; i < 14; i++ { // 12 h 50 min, never idle an hour
			e.clock.add(55 * time.Minute)
			_ = e.s.store.touchSession(ctx, hashToken(r4.Token), e.clock.now())
		}
		if _, err := e.s.visitor(ctx, r4.Token); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("session older than 12 hours: %v", err)
		}
	})
}

func TestSecondFactor(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		id := e.signUpVerified(t, "a@example.ma", "A12345")
		r, _ := e.s.SignIn(ctx, "a@example.ma", goodPassword, "phone")
		enrol, err := e.s.BeginTOTP(ctx, id)
		if err != nil || len(enrol.QRPNG) == 0 || !strings.HasPrefix(enrol.URI, "otpauth://totp/") {
			t.Fatalf("begin: %v", err)
		}
		if _, err := e.s.ConfirmTOTP(ctx, id, r.Token, "123456"); err == nil {
			t.Fatal("a wrong code enabled the second factor")
		}
		code, _ := otptotp.GenerateCode(enrol.Secret, e.clock.now())
		recovery, err := e.s.ConfirmTOTP(ctx, id, r.Token, code)
		if err != nil || len(recovery) != 10 {
			t.Fatalf("confirm: %d codes, %v", len(recovery), err)
		}
		// The enrolling session passed the second factor; a new sign-in waits for it.
		if v, _ := e.s.visitor(ctx, r.Token); !v.Actor.MFA {
			t.Fatal("enrolling session lacks MFA")
		}
		e.clock.add(time.Minute)
		p, err := e.s.SignIn(ctx, "a@example.ma", goodPassword, "laptop")
		if err != nil || !p.NeedsMFA {
			t.Fatalf("sign-in with 2FA: %+v %v", p, err)
		}
		if v, _ := e.s.visitor(ctx, p.Token); !v.Pending() || v.SignedIn() || v.Actor.Person != 0 {
			t.Fatal("pending session can act")
		}
		if _, err := e.s.SecondFactor(ctx, p.Token, "000000"); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("wrong TOTP: %v", err)
		}
		code, _ = otptotp.GenerateCode(enrol.Secret, e.clock.now())
		done, err := e.s.SecondFactor(ctx, p.Token, code)
		if err != nil || done.Token == p.Token {
			t.Fatalf("second factor: %v (token must rotate)", err)
		}
		if _, err := e.s.visitor(ctx, p.Token); err == nil {
			t.Fatal("pre-rotation token still works")
		}
		if v, err := e.s.visitor(ctx, done.Token); err != nil || !v.Actor.MFA {
			t.Fatalf("rotated session: %v", err)
		}
		// The same code cannot be replayed on another sign-in.
		p2, _ := e.s.SignIn(ctx, "a@example.ma", goodPassword, "tablet")
		if _, err := e.s.SecondFactor(ctx, p2.Token, code); err == nil {
			t.Fatal("replayed TOTP code accepted")
		}
		// A recovery code works once.
		if _, err := e.s.SecondFactor(ctx, p2.Token, recovery[0]); err != nil {
			t.Fatalf("recovery code: %v", err)
		}
		p3, _ := e.s.SignIn(ctx, "a@example.ma", goodPassword, "kiosk")
		if _, err := e.s.SecondFactor(ctx, p3.Token, recovery[0]); err == nil {
			t.Fatal("a recovery code worked twice")
		}
	})
}

func TestPasswordReset(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		e.signUpVerified(t, "a@example.ma", "A12345")
		old, _ := e.s.SignIn(ctx, "a@example.ma", goodPassword, "phone")
		if err := e.s.RequestReset(ctx, "nobody@example.ma"); err != nil || e.rec.count("identity.reset") != 0 {
			t.Fatalf("reset for an unknown address: %v, %d messages", err, e.rec.count("identity.reset"))
		}
		if err := e.s.RequestReset(ctx, "A@example.ma"); err != nil {
			t.Fatal(err)
		}
		if u := e.rec.last("identity.reset").Secret["URL"].(string); !strings.HasPrefix(u, "https://madina.test/reset/new?token=") {
			t.Fatalf("reset link %q does not open the new-password form", u)
		}
		tok := tokenOf(t, e.rec.last("identity.reset"))
		if err := e.s.ResetPassword(ctx, tok, "123"); errs.As(err) == nil || errs.As(err).Field != "password" {
			t.Fatalf("weak new password: %v", err)
		}
		const newPW = "Nouveau-mot-2027!"
		if err := e.s.ResetPassword(ctx, tok, newPW); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.visitor(ctx, old.Token); err == nil {
			t.Fatal("sessions survive a password reset")
		}
		if _, err := e.s.SignIn(ctx, "a@example.ma", goodPassword, "x"); err == nil {
			t.Fatal("old password still works")
		}
		if _, err := e.s.SignIn(ctx, "a@example.ma", newPW, "x"); err != nil {
			t.Fatalf("new password: %v", err)
		}
		if err := e.s.ResetPassword(ctx, tok, "Encore-un-autre-2028"); errs.As(err) == nil || errs.As(err).Key != "identity.error.code_used" {
			t.Fatalf("reused reset link: %v", err)
		}
	})
}

func TestNormalizePhone(t *testing.T) {
	cases := map[string]string{
		"0612345678": "+212612345678", "06 12 34 56 78": "+212612345678", "+212 6 12 34 56 78": "+212612345678",
		"00212712345678": "+212712345678", "٠٦١٢٣٤٥٦٧٨": "+212612345678", "+33612345678": "+33612345678",
		"061234567": "", "phone": "", "+2128123456789": "",
	}
	for in, want := range cases {
		if got := NormalizePhone(in); got != want {
			t.Errorf("NormalizePhone(%q) = %q, want %q", in, got, want)
		}
	}
	for in, ok := range map[string]bool{"BE123456": true, "A1234": true, "be 123456": true, "12345678": false, "ABC12345": false, "B12": false} {
		if ValidCIN(NormalizeCIN(in)) != ok {
			t.Errorf("CIN %q valid = %v", in, !ok)
		}
	}
}
