package module_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The allowed structure of Madina's packages (docs/ARCHITECTURE.md), checked
// on the real import graph that `go list -deps` reports:
//
//   - platform (internal/platform/..., and migrations, the schema) imports
//     nothing of Madina outside the platform;
//   - the shared kernel imports only the platform and the kernel;
//   - a capability (any other top-level internal/X, with its
//     sub-packages) imports the platform, the kernel, its own packages and
//     district, the territorial reference; never another capability: it
//     declares the interface it needs and gets it with module.Need;
//   - a demonstration sub-package (internal/X/...demo) may import the
//     capabilities it seeds, as users would use them;
//   - internal/app, internal/apptest, cmd/ and e2e wire everything and may
//     import anything; nothing else imports them.

// kernel are the packages every capability may import besides the
// platform: the policy, the audit chain, notifications, the module shape,
// the OpenID Connect client, and the records of people.
var kernel = []string{"authz", "audit", "notify", "module", "oidclogin", "people"}

// reference is the one capability every capability may import.
const reference = "district"

// wiring are the packages that may import anything.
var wiring = []string{"internal/app", "internal/apptest", "cmd", "e2e"}

// pending are forbidden imports that remain for now, each with why and
// what removes it. An entry whose import has gone fails the test, so the
// list only shrinks.
var pending = map[string]string{}

type layer int

const (
	platform layer = iota
	shared
	capability
	demo
	wired
)

// place is where a package of module mod stands: its layer and, for a
// capability or its demo, the capability's name.
func place(mod, path string) (layer, string) {
	rel := strings.TrimPrefix(path, mod+"/")
	under := func(dir string) bool { return rel == dir || strings.HasPrefix(rel, dir+"/") }
	for _, w := range wiring {
		if under(w) {
			return wired, ""
		}
	}
	if under("internal/platform") || under("migrations") {
		return platform, ""
	}
	if top, ok := strings.CutPrefix(rel, "internal/"); ok {
		name, _, _ := strings.Cut(top, "/")
		if slices.Contains(kernel, name) {
			return shared, ""
		}
		if strings.HasSuffix(rel[strings.LastIndex(rel, "/")+1:], "demo") && strings.Contains(top, "/") {
			return demo, name
		}
		return capability, name
	}
	return wired, "" // tools and commands outside internal/
}

// forbidden says why from may not import to, or "" if it may.
func forbidden(mod, from, to string) string {
	fl, fname := place(mod, from)
	tl, tname := place(mod, to)
	switch {
	case tl == wired && fl != wired:
		return "only cmd and e2e import the application that wires everything"
	case fl == platform && tl != platform:
		return "the platform imports nothing of Madina outside the platform"
	case fl == shared && tl != platform && tl != shared:
		return "the shared kernel imports only the platform and the kernel"
	case fl == capability && tl == demo:
		return "a capability does not import demonstration data"
	case fl == capability && tl == capability && tname != fname && tname != reference:
		return "a capability imports no other capability (only " + reference +
			", the territorial reference): declare the interface it needs and ask module.Need"
	}
	return ""
}

// pkg is one package as go list describes it.
type pkg struct {
	ImportPath string
	Imports    []string
}

// violations lists every forbidden import of the graph, as
// "from -> to: why", in order.
func violations(mod string, graph []pkg) []string {
	var out []string
	for _, p := range graph {
		if !strings.HasPrefix(p.ImportPath, mod+"/") {
			continue
		}
		for _, to := range p.Imports {
			if !strings.HasPrefix(to, mod+"/") {
				continue
			}
			if why := forbidden(mod, p.ImportPath, to); why != "" {
				out = append(out, p.ImportPath+" -> "+to+": "+why)
			}
		}
	}
	slices.Sort(out)
	return out
}

// goList is the module's path and its import graph, from the go tool.
func goList(t *testing.T) (string, []pkg) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool to list the import graph")
	}
	root, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	dir := strings.TrimSuffix(strings.TrimSpace(string(root)), "/go.mod")
	modCmd := exec.Command("go", "list", "-m")
	modCmd.Dir = dir
	mod, err := modCmd.Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	cmd := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports", "./...")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, stderr.String())
	}
	var graph []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list -deps: %v", err)
		}
		graph = append(graph, p)
	}
	return strings.TrimSpace(string(mod)), graph
}

func TestDependencies(t *testing.T) {
	mod, graph := goList(t)
	var capabilities []string
	for _, p := range graph {
		if l, name := place(mod, p.ImportPath); l == capability && !slices.Contains(capabilities, name) {
			capabilities = append(capabilities, name)
		}
	}
	// The check looks at something: the capabilities it must see are there.
	for _, want := range []string{"district", "identity", "permit", "portal"} {
		if !slices.Contains(capabilities, want) {
			t.Fatalf("capability %s not in the import graph (%v): the check would pass on nothing", want, capabilities)
		}
	}
	seen := map[string]bool{}
	for _, v := range violations(mod, graph) {
		edge, _, _ := strings.Cut(v, ": ")
		if why, ok := pending[edge]; ok {
			seen[edge] = true
			t.Logf("pending: %s (%s)", edge, why)
			continue
		}
		t.Errorf("forbidden import %s", v)
	}
	for edge := range pending {
		if !seen[edge] {
			t.Errorf("the pending import %s is gone: delete it from the pending list", edge)
		}
	}
}

// TestDependenciesRules feeds the check a graph made up for it: each
// forbidden edge is named, the allowed ones pass.
func TestDependenciesRules(t *testing.T) {
	const m = "madina"
	graph := []pkg{
		{"madina/internal/platform/db", []string{"database/sql", "madina/internal/platform/errs", "madina/internal/permit"}},
		{"madina/internal/platform/db/dbtest", []string{"madina/internal/platform/db", "madina/migrations"}},
		{"madina/migrations", []string{"madina/internal/platform/db"}},
		{"madina/internal/authz", []string{"madina/internal/platform/errs", "madina/internal/identity"}},
		{"madina/internal/module", []string{"madina/internal/notify", "madina/internal/platform/web"}},
		{"madina/internal/permit", []string{"madina/internal/district", "madina/internal/authz", "madina/internal/people",
			"madina/internal/permit/catalogue", "madina/internal/identity", "madina/internal/booking/bookingdemo"}},
		{"madina/internal/staff", []string{"madina/internal/identity", "madina/internal/module"}},
		{"madina/internal/identity", []string{"madina/internal/app"}},
		{"madina/internal/permit/permitdemo", []string{"madina/internal/permit", "madina/internal/identity", "madina/internal/district"}},
		{"madina/internal/app", []string{"madina/internal/permit", "madina/internal/identity", "madina/internal/permit/permitdemo"}},
		{"madina/internal/apptest", []string{"madina/internal/app", "madina/internal/permit"}},
		{"madina/cmd/madina", []string{"madina/internal/app"}},
	}
	want := []string{
		"madina/internal/authz -> madina/internal/identity: the shared kernel imports only the platform and the kernel",
		"madina/internal/identity -> madina/internal/app: only cmd and e2e import the application that wires everything",
		"madina/internal/permit -> madina/internal/booking/bookingdemo: a capability does not import demonstration data",
		"madina/internal/permit -> madina/internal/identity: a capability imports no other capability (only district, the territorial reference): declare the interface it needs and ask module.Need",
		"madina/internal/platform/db -> madina/internal/permit: the platform imports nothing of Madina outside the platform",
		"madina/internal/staff -> madina/internal/identity: a capability imports no other capability (only district, the territorial reference): declare the interface it needs and ask module.Need",
	}
	got := violations(m, graph)
	if !slices.Equal(got, want) {
		t.Errorf("violations:\n got  %q\n want %q", got, want)
	}
}
