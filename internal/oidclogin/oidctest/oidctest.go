// Package oidctest runs a real OpenID provider on loopback for tests: the
// example provider of the zitadel/oidc library (discovery, a login form,
// token, userinfo and JWKS over HTTP), with users the test chooses.
package oidctest

import (
	"debug/buildinfo"
	"encoding/json"
	"errors"
	"fmt"
	"go/build"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/net/html"

	"madina/internal/platform/testenv"
)

// repoRoot is the module's root, found from the working directory.
func repoRoot() string {
	dir, _ := os.Getwd()
	for d := dir; d != filepath.Dir(d); d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	return dir
}

// Login submits the provider's sign-in form on page with a username and
// password, and returns the provider's answer (a redirect to the callback
// when the credentials are right). c must not follow redirects itself.
func Login(t testing.TB, c *http.Client, page *http.Response, username, password string) *http.Response {
	t.Helper()
	action, fields, err := ParseForm(page.Body)
	if err != nil {
		t.Fatalf("provider's sign-in page: %v", err)
	}
	fields.Set("username", username)
	fields.Set("password", password)
	target, err := page.Request.URL.Parse(action)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.PostForm(target.String(), fields)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The real OpenID provider the tests sign in with: the example provider of
// the zitadel/oidc library, a certified OpenID Connect implementation,
// serving discovery, a login form, the token and userinfo endpoints over
// HTTP with in-memory storage. `go install` names its binary "server", so
// candidates are recognised by their build information, not their name.
const (
	Package = "github.com/zitadel/oidc/v3/example/server"
	Version = "v3.51.17"
	Install = "go install " + Package + "@" + Version
)

// The provider registers client "web" with secret "secret" for the
// redirect URIs given in $REDIRECT_URI.
const (
	ClientID     = "web"
	ClientSecret = "secret"
)

// User is a static account of the provider, in its users-file format.
type User struct {
	ID            string
	Username      string
	Password      string
	FirstName     string
	LastName      string
	Email         string
	EmailVerified bool
}

// findProvider returns the provider binary, or why there is none.
func findProvider() (string, string) {
	if p := os.Getenv("MADINA_OIDC_PROVIDER_BIN"); p != "" {
		if why := checkProvider(p); why != "" {
			return "", "$MADINA_OIDC_PROVIDER_BIN: " + why
		}
		return p, ""
	}
	var cands []string
	if p, err := exec.LookPath("server"); err == nil {
		cands = append(cands, p)
	}
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		cands = append(cands, filepath.Join(gobin, "server"))
	}
	cands = append(cands,
		filepath.Join(build.Default.GOPATH, "bin", "server"),
		"/tmp/gobin/server",
		filepath.Join(repoRoot(), "bin", "oidc-provider"), // where make test puts it
	)
	for _, p := range cands {
		if checkProvider(p) == "" {
			return p, ""
		}
	}
	return "", "no " + Package + " binary in $MADINA_OIDC_PROVIDER_BIN, PATH, $GOBIN, $GOPATH/bin, /tmp/gobin or bin/"
}

func checkProvider(p string) string {
	info, err := buildinfo.ReadFile(p)
	if err != nil {
		return err.Error()
	}
	if info.Path != Package {
		return fmt.Sprintf("%s is %s, not %s", p, info.Path, Package)
	}
	return ""
}

// Start runs the provider on a free port with the given users and
// allowed redirect URI until the test ends, and returns its issuer URL.
func Start(t testing.TB, redirectURI string, users ...User) string {
	t.Helper()
	bin, why := findProvider()
	testenv.Need(t, "oidc", bin != "", why+"; install with: "+Install)

	byID := map[string]User{}
	for _, u := range users {
		byID[u.ID] = u
	}
	usersFile := filepath.Join(t.TempDir(), "users.json")
	data, err := json.Marshal(byID)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(usersFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	// The port is chosen before the provider binds it, so another process
	// may take it in between: try a few.
	var last string
	for range 3 {
		port := FreeLoopbackPort(t)
		issuer, out, ok := runProvider(t, bin, port, usersFile, redirectURI)
		if ok {
			return issuer
		}
		last = out
	}
	t.Fatalf("provider did not start:\n%s", last)
	return ""
}

func runProvider(t testing.TB, bin, port, usersFile, redirectURI string) (issuer, output string, ok bool) {
	t.Helper()
	out := &testenv.Buffer{}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "PORT="+port, "USERS_FILE="+usersFile, "REDIRECT_URI="+redirectURI)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		cmd.Process.Kill()
		<-exited
	}

	// The example provider's issuer is always http://localhost:PORT/.
	issuer = "http://localhost:" + port + "/"
	hc := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := hc.Get(issuer + ".well-known/openid-configuration")
		if err == nil {
			var doc struct{ Issuer string }
			err = json.NewDecoder(resp.Body).Decode(&doc)
			resp.Body.Close()
			if err == nil && doc.Issuer == issuer {
				break
			}
		}
		select {
		case werr := <-exited:
			return "", fmt.Sprintf("exited: %v\n%s", werr, out), false
		default:
		}
		if time.Now().After(deadline) {
			stop()
			return "", fmt.Sprintf("no discovery document at %s: %v\n%s", issuer, err, out), false
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("provider output:\n%s", out)
		}
	})
	return issuer, "", true
}

func FreeLoopbackPort(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

// ParseForm returns the action and the named inputs of the first form.
func ParseForm(r io.Reader) (string, url.Values, error) {
	doc, err := html.Parse(r)
	if err != nil {
		return "", nil, err
	}
	var form *html.Node
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode && n.Data == "form" {
			form = n
			break
		}
	}
	if form == nil {
		return "", nil, errors.New("no form")
	}
	fields := url.Values{}
	for n := range form.Descendants() {
		if n.Type == html.ElementNode && n.Data == "input" && attr(n, "name") != "" {
			fields.Set(attr(n, "name"), attr(n, "value"))
		}
	}
	return attr(form, "action"), fields, nil
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
