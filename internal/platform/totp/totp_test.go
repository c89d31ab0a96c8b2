package totp

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"image/png"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	pqtotp "github.com/pquerna/otp/totp"
)

// RFC 6238 Appendix B, SHA-1, truncated to 6 digits (the code is the HOTP
// value mod 10^digits, so the last six of the RFC's eight).
const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // base32 of "12345678901234567890"

var rfcVectors = []struct {
	unix int64
	code string
}{
	{59, "287082"},
	{1111111109, "081804"},
	{1111111111, "050471"},
	{1234567890, "005924"},
	{2000000000, "279037"},
	{20000000000, "353130"},
}

func TestValidateRFCVectors(t *testing.T) {
	for _, v := range rfcVectors {
		step, ok := Validate(rfcSecret, v.code, time.Unix(v.unix, 0), 0)
		if !ok || step != v.unix/30 {
			t.Errorf("Validate(%s at %d) = %d, %v; want %d, true", v.code, v.unix, step, ok, v.unix/30)
		}
	}
}

func TestValidateSkewAndReplay(t *testing.T) {
	const at = 1234567890 // code 005924, step 41152263
	const step = at / 30
	t0 := time.Unix(at, 0)
	cases := []struct {
		name     string
		code     string
		now      time.Time
		lastStep int64
		want     bool
	}{
		{"exact", "005924", t0, 0, true},
		{"one step late", "005924", t0.Add(30 * time.Second), 0, true},
		{"one step early", "005924", t0.Add(-30 * time.Second), 0, true},
		{"two steps late", "005924", t0.Add(60 * time.Second), 0, false},
		{"two steps early", "005924", t0.Add(-60 * time.Second), 0, false},
		{"replayed", "005924", t0, step, false},
		{"older than last used", "005924", t0.Add(30 * time.Second), step + 1, false},
		{"after an earlier step", "005924", t0, step - 1, true},
		{"spaces", " 005 924 ", t0, 0, true},
		{"dash", "005-924", t0, 0, true},
		{"Arabic-Indic digits", "٠٠٥٩٢٤", t0, 0, true},
		{"Extended Arabic-Indic digits", "۰۰۵ ۹۲۴", t0, 0, true},
		{"wrong", "005925", t0, 0, false},
		{"five digits", "05924", t0, 0, false},
		{"seven digits", "0059240", t0, 0, false},
		{"letters", "00592a", t0, 0, false},
		{"empty", "", t0, 0, false},
		{"before 1970", "287082", time.Unix(-1, 0), 0, false},
	}
	for _, c := range cases {
		got, ok := Validate(rfcSecret, c.code, c.now, c.lastStep)
		if ok != c.want || ok && got != step {
			t.Errorf("%s: Validate = %d, %v; want %v (step %d)", c.name, got, ok, c.want, step)
		}
	}
	if _, ok := Validate("not base32!", "005924", t0, 0); ok {
		t.Error("a malformed secret validated")
	}
}

// The caller's loop: each code works once, even within its own window.
func TestValidateOnce(t *testing.T) {
	k, err := NewSecret("Madina", "agent@casablanca.ma")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 1, 9, 0, 10, 0, time.UTC)
	code := codeAt(t, k.Secret, now)
	var last int64
	step, ok := Validate(k.Secret, code, now, last)
	if !ok {
		t.Fatal("fresh code refused")
	}
	last = step
	if _, ok := Validate(k.Secret, code, now.Add(5*time.Second), last); ok {
		t.Error("the same code was accepted twice")
	}
	next := codeAt(t, k.Secret, now.Add(30*time.Second))
	if _, ok := Validate(k.Secret, next, now.Add(30*time.Second), last); !ok {
		t.Error("the next step's code was refused")
	}
}

func codeAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := pqtotp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewSecret(t *testing.T) {
	k, err := NewSecret("Madina Casablanca", "agent@casablanca.ma")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(k.Secret) {
		t.Errorf("Secret = %q, want 32 base32 characters (160 bits)", k.Secret)
	}
	u, err := url.Parse(k.URI)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/Madina Casablanca:agent@casablanca.ma" ||
		q.Get("secret") != k.Secret || q.Get("issuer") != "Madina Casablanca" ||
		q.Get("digits") != "6" || q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Errorf("URI = %s", k.URI)
	}
	k2, _ := NewSecret("Madina", "agent@casablanca.ma")
	if k2.Secret == k.Secret {
		t.Error("two secrets are equal")
	}
	for _, bad := range [][2]string{{"", "a@b.ma"}, {"Madina", " "}, {"Mad:ina", "a@b.ma"}, {"Madina", "a:b"}} {
		if _, err := NewSecret(bad[0], bad[1]); err == nil {
			t.Errorf("NewSecret(%q, %q) accepted", bad[0], bad[1])
		}
	}
}

func TestQRPNG(t *testing.T) {
	k, _ := NewSecret("Madina", "agent@casablanca.ma")
	b, err := QRPNG(k.URI, 256)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if r := img.Bounds(); r.Dx() != 256 || r.Dy() != 256 {
		t.Errorf("image is %v, want 256×256", r)
	}
	dark, light := 0, 0
	for y := 0; y < 256; y += 4 {
		for x := 0; x < 256; x += 4 {
			if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
				dark++
			} else {
				light++
			}
		}
	}
	if dark == 0 || light == 0 {
		t.Errorf("blank QR: %d dark, %d light samples", dark, light)
	}
	other, _ := NewSecret("Madina", "autre@casablanca.ma")
	b2, _ := QRPNG(other.URI, 256)
	if bytes.Equal(b, b2) {
		t.Error("two URIs gave the same QR code")
	}
	for _, c := range []struct {
		uri  string
		size int
	}{{k.URI, 16}, {k.URI, 100000}, {"https://example.com/", 256}, {"", 256}} {
		if _, err := QRPNG(c.uri, c.size); err == nil {
			t.Errorf("QRPNG(%q, %d) accepted", c.uri, c.size)
		}
	}
}

var recoveryRE = regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{2}$`)

func TestRecoveryCodes(t *testing.T) {
	plain, hashes := NewRecoveryCodes(10)
	if len(plain) != 10 || len(hashes) != 10 {
		t.Fatalf("got %d codes, %d hashes", len(plain), len(hashes))
	}
	for i, c := range plain {
		if !recoveryRE.MatchString(c) {
			t.Errorf("code %q is not xxxx-xxxx-xx in the unambiguous alphabet", c)
		}
		if strings.Contains(hashes[i], strings.ReplaceAll(c, "-", "")) {
			t.Errorf("hash %q contains its code", hashes[i])
		}
		if got := MatchRecovery(c, hashes); got != i {
			t.Errorf("MatchRecovery(%q) = %d, want %d", c, got, i)
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(plain)))) != 10 {
		t.Error("duplicate recovery codes")
	}
	c := plain[3]
	variants := []string{
		strings.ToUpper(c),
		strings.ReplaceAll(c, "-", ""),
		" " + strings.ReplaceAll(c, "-", " ") + " ",
		strings.ToUpper(strings.NewReplacer("0", "O", "1", "l").Replace(c)),
	}
	for _, v := range variants {
		if got := MatchRecovery(v, hashes); got != 3 {
			t.Errorf("MatchRecovery(%q) = %d, want 3", v, got)
		}
	}
	// Used codes are removed by the caller; then they no longer match.
	rest := slices.Delete(slices.Clone(hashes), 3, 4)
	if got := MatchRecovery(c, rest); got != -1 {
		t.Errorf("removed code matched at %d", got)
	}
	wrong := []byte(strings.ReplaceAll(c, "-", ""))
	wrong[0] = map[bool]byte{true: 'b', false: 'a'}[wrong[0] == 'a']
	for _, bad := range []string{string(wrong), c[:9], c + "x", "", "ééééééééé"} {
		if got := MatchRecovery(bad, hashes); got != -1 {
			t.Errorf("MatchRecovery(%q) = %d, want -1", bad, got)
		}
	}
	if got := MatchRecovery(c, []string{"garbage", "zz:zz", ""}); got != -1 {
		t.Errorf("MatchRecovery against malformed hashes = %d", got)
	}
	// Salted: not the bare SHA-256 of the code, which one pass over the
	// code space would reverse for every user at once.
	bare := sha256.Sum256([]byte(strings.ReplaceAll(c, "-", "")))
	if h := hashes[3]; strings.Contains(h, hex.EncodeToString(bare[:])) || len(h) != 32+1+64 {
		t.Errorf("hash %q: want hex(salt) ':' hex(SHA-256(salt ‖ code))", h)
	}
}
