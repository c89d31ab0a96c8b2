package blob

import (
	"context"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/minio/minio-go/v7"
)

var languages = []string{"ar", "fr", "en"}

// codeKeys are the message keys the package's errors carry.
var codeKeys = []string{keyTooLarge, keyEmpty, keyType, keyNotFound, keyInvalidHash}

func catalogue(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := Messages.ReadFile("messages/" + lang + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	return m
}

var placeholderRE = regexp.MustCompile(`\{([^{}]*)\}`)

// placeholders returns the sorted names written {name} in a message.
func placeholders(msg string) []string {
	var out []string
	for _, m := range placeholderRE.FindAllStringSubmatch(msg, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestMessages(t *testing.T) {
	en := catalogue(t, "en")
	for _, k := range codeKeys {
		if en[k] == "" {
			t.Errorf("en.json lacks %s, which the code uses", k)
		}
	}
	for _, lang := range languages {
		m := catalogue(t, lang)
		if diff := cmp.Diff(slices.Sorted(mapKeys(en)), slices.Sorted(mapKeys(m))); diff != "" {
			t.Errorf("%s.json keys differ from en.json (-en +%s):\n%s", lang, lang, diff)
		}
		for k, msg := range m {
			if strings.TrimSpace(msg) == "" {
				t.Errorf("%s.json: %s is empty", lang, k)
			}
			if diff := cmp.Diff(placeholders(en[k]), placeholders(msg), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("%s.json: %s placeholders differ from en (-en +%s):\n%s", lang, k, lang, diff)
			}
			for _, p := range placeholders(msg) {
				if !regexp.MustCompile(`^[a-z_]+$`).MatchString(p) {
					t.Errorf("%s.json: %s has a malformed placeholder {%s}", lang, k, p)
				}
			}
			if lang == "ar" && !strings.ContainsFunc(msg, func(r rune) bool { return unicode.Is(unicode.Arabic, r) }) {
				t.Errorf("ar.json: %s is not written in Arabic: %q", k, msg)
			}
		}
	}
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func TestValidHash(t *testing.T) {
	for s, want := range map[string]bool{
		strings.Repeat("0a", 32):        true,
		strings.Repeat("0A", 32):        false,
		strings.Repeat("0a", 32) + "0":  false,
		strings.Repeat("0a", 31) + "g0": false,
		"":                              false,
	} {
		if got := ValidHash(s); got != want {
			t.Errorf("ValidHash(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestFormatMB(t *testing.T) {
	for n, want := range map[int64]string{
		200 << 20: "200",
		1 << 20:   "1",
		3 << 19:   "1.5",
		10 << 10:  "0.1",
		1:         "0.1",
		5<<20 + 1: "5",
	} {
		if got := FormatMB(n); got != want {
			t.Errorf("FormatMB(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestAllowed(t *testing.T) {
	for _, tc := range []struct {
		data    []byte
		allowed []string
		want    bool
	}{
		{minimalPDF(), []string{"application/pdf"}, true},
		{minimalPDF(), []string{"application/x-pdf"}, true}, // alias
		{minimalPDF(), []string{"image/png"}, false},
		{peExe(), []string{"application/pdf"}, false},
		{pePolyglot(), []string{"application/pdf"}, false},
		{[]byte("a,b\n1,2\n"), []string{"text/csv"}, true},
		{[]byte("a,b\n1,2\n"), []string{"text/plain"}, true}, // parent
		{[]byte("plain words"), []string{"text/csv"}, false}, // child does not admit parent
		{[]byte("a,b\n1,2\n"), []string{"application/octet-stream"}, false},
		{[]byte{0x00, 0x01, 0x02, 0xfe}, []string{"application/octet-stream"}, true},
		{peExe(), nil, true},
	} {
		m := detect(tc.data)
		if got := allowed(m, tc.allowed); got != tc.want {
			t.Errorf("allowed(%s, %v) = %v, want %v", m, tc.allowed, got, tc.want)
		}
	}
}

func TestTypeLabels(t *testing.T) {
	got := allowedLabels([]string{"application/pdf", "image/jpeg", "image/png", "application/x-pdf", "application/x-unknown-thing"})
	if want := "PDF, JPG, PNG, application/x-unknown-thing"; got != want {
		t.Errorf("allowedLabels = %q, want %q", got, want)
	}
}

func TestParseS3URL(t *testing.T) {
	parse := func(raw string) (s3Config, error) {
		t.Helper()
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		return parseS3URL(u)
	}
	got, err := parse("s3://madina-files?endpoint=http://127.0.0.1:7070&region=us-east-1&path_style=true&prefix=blobs/")
	if err != nil {
		t.Fatal(err)
	}
	want := s3Config{bucket: "madina-files", endpoint: "127.0.0.1:7070", secure: false, region: "us-east-1",
		lookup: minio.BucketLookupPath, prefix: "blobs/"}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(s3Config{})); diff != "" {
		t.Errorf("parseS3URL (-want +got):\n%s", diff)
	}
	got, err = parse("s3://madina-files")
	if err != nil {
		t.Fatal(err)
	}
	want = s3Config{bucket: "madina-files", endpoint: "s3.amazonaws.com", secure: true, lookup: minio.BucketLookupAuto}
	if diff := cmp.Diff(want, got, cmp.AllowUnexported(s3Config{})); diff != "" {
		t.Errorf("parseS3URL defaults (-want +got):\n%s", diff)
	}
	for _, bad := range []string{
		"s3://b?endpont=http://x",              // typo
		"s3://bucket/dir",                      // path
		"s3://bucket?endpoint=ftp://x",         // scheme
		"s3://bucket?endpoint=x:9000",          // no scheme
		"s3://bucket?path_style=yes",           // not a bool
		"s3://bucket?prefix=/abs",              // leading slash
		"s3://bucket?region=a&region=b",        // repeated
		"s3://Bad_Bucket",                      // invalid bucket
		"s3://bucket?endpoint=http://u:p@host", // credentials in endpoint
	} {
		if _, err := parse(bad); err == nil {
			t.Errorf("parseS3URL(%q) accepted", bad)
		}
	}
}

func TestOpenNeverQuotesSecrets(t *testing.T) {
	const secret = "s3cr3t-Do-Not-Log"
	for _, raw := range []string{
		"s3://AKIAEXAMPLE:" + secret + "@bucket?endpoint=http://127.0.0.1:1",
		"s3://bucket?endpoint=http://AKIA:" + secret + "@127.0.0.1:1",
		"s3://AKIA:" + secret + "@bucket?endpoint=%zz",
		"s3://AKIA:" + secret + "@buc ket",
		"ftp://AKIA:" + secret + "@host/x",
	} {
		_, err := Open(context.Background(), raw, t.TempDir())
		if err == nil {
			t.Errorf("Open accepted a URL carrying credentials")
			continue
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Open error quotes the secret: %v", err)
		}
	}
}

func TestOpenFileURLs(t *testing.T) {
	for _, bad := range []string{"file://relative/dir", "file:///abs?x=1", "file:", "mem://x"} {
		if _, err := Open(context.Background(), bad, t.TempDir()); err == nil {
			t.Errorf("Open(%q) accepted", bad)
		}
	}
	if _, err := Open(context.Background(), "", ""); err == nil {
		t.Error("Open with neither URL nor data directory accepted")
	}
}

func TestS3Credentials(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want s3Creds
		err  string // a substring of the error, "" for success
	}{
		{"Madina", map[string]string{"MADINA_S3_ACCESS_KEY": "a", "MADINA_S3_SECRET_KEY": "s", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"},
			s3Creds{access: "a", secret: "s"}, ""},
		{"AWS", map[string]string{"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y", "AWS_SESSION_TOKEN": "tok"},
			s3Creds{access: "x", secret: "y", token: "tok"}, ""},
		{"HalfMadina", map[string]string{"MADINA_S3_ACCESS_KEY": "a", "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"},
			s3Creds{}, "MADINA_S3_SECRET_KEY"},
		{"HalfAWS", map[string]string{"AWS_SECRET_ACCESS_KEY": "topsecret"}, s3Creds{}, "AWS_ACCESS_KEY_ID"},
		{"None", nil, s3Creds{}, "MADINA_S3_ACCESS_KEY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := lookupS3Credentials(func(k string) string { return tc.env[k] })
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error = %v, want one naming %s", err, tc.err)
				}
				for _, v := range tc.env {
					if strings.Contains(err.Error(), v) {
						t.Errorf("error quotes a credential value: %v", err)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(s3Creds{})); diff != "" {
				t.Errorf("credentials (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSweepSpool(t *testing.T) {
	dir := t.TempDir()
	now := time.Now()
	write := func(name string, age time.Duration) {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-age), now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	write(spoolPrefix+"stale", StaleSpool+time.Minute)
	write(spoolPrefix+"recent", StaleSpool-time.Minute) // an upload may still be running
	write("not-ours", 48*time.Hour)
	write(probePrefix+"stale", StaleSpool+time.Minute) // Ping killed between writing and removing
	if n, size := sweepSpool(dir, now.Add(-StaleSpool)); n != 2 || size != 2 {
		t.Errorf("sweep reports %d files, %d bytes; want 2, 2", n, size)
	}
	got := listFiles(t, dir)
	slices.Sort(got)
	if diff := cmp.Diff([]string{"not-ours", spoolPrefix + "recent"}, got); diff != "" {
		t.Errorf("after sweep (-want +got):\n%s", diff)
	}
}

// TestReadAllChecksTheBytes: a blob read whole is the one named; one
// changed or cut on disk behind the store's back is an error, not bytes.
func TestReadAllChecksTheBytes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	content := []byte(strings.Repeat("plan coté R+1\n", 1000))
	b, err := s.Put(ctx, strings.NewReader(string(content)), PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadAll(ctx, s, b.SHA256, b.Size)
	if err != nil || string(got) != string(content) {
		t.Fatalf("ReadAll: %d bytes, %v", len(got), err)
	}
	var path string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(p) == b.SHA256 {
			path = p
		}
		return nil
	})
	if path == "" {
		t.Fatal("the blob's file is not under the store's directory")
	}
	for name, change := range map[string][]byte{"changed": append([]byte("X"), content[1:]...), "cut": content[:100]} {
		if err := os.Chmod(path, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, change, 0o600); err != nil {
			t.Fatal(err)
		}
		if got, err := ReadAll(ctx, s, b.SHA256, b.Size); err == nil {
			t.Fatalf("%s on disk: %d bytes read without an error", name, len(got))
		}
	}
	if _, err := ReadAll(ctx, s, strings.Repeat("0", 64), 10); err == nil {
		t.Fatal("a blob that does not exist was read")
	}
}
