// Package module is the one shape of a Madina capability as the
// application sees it: each capability exports one Module value carrying
// its texts, pages, notice templates, API description, blob references,
// and a Start function that builds its service on the platform and returns
// its routes, background workers and demonstration loader. internal/app
// lists the modules once (app.Modules) and builds everything from that
// list; adding a capability touches its own folder and one line there.
//
// Capabilities do not import each other. A capability that needs another
// declares a small interface in its own package and asks the environment
// for it with Need; the capability that has it announces its value with
// Provide. Need finds the one provided value that implements the interface
// (Go's structural typing, checked at start), so neither side names the
// other. A capability needing one that starts later in the list (identity
// asks permit who owns a file) takes a Late reference, looked up on first
// use.
package module

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"reflect"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"madina/internal/notify"
	"madina/internal/platform/blob"
	"madina/internal/platform/calendar"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
	"madina/internal/platform/password"
	"madina/internal/platform/secretbox"
	"madina/internal/platform/web"
)

// Module is what a capability exports: its static parts, read before any
// capability starts (they make the message catalogue, the page renderer,
// the notification templates and the API document), and Start.
type Module struct {
	// Name is the capability's name, as in logs and errors.
	Name string
	// Messages are its texts (messages/*.json, in ar, fr and en).
	Messages fs.FS
	// Pages are its page templates; nil for a capability without pages.
	Pages *web.Pages
	// Nav are its entries in the main navigation, in order.
	Nav []web.NavItem
	// Notices are its notice templates (e-mail and SMS).
	Notices fs.FS
	// OpenAPI is its fragment of the API description; nil without an API.
	OpenAPI []byte
	// BlobRefs is a query listing every blob hash its rows name (one
	// column); the file store's sweeper never removes those. Empty for a
	// capability that stores no blobs.
	BlobRefs string
	// Demo loads its demonstration data through the services started on
	// env; it must be idempotent and send no notices. Set with WithDemo
	// where the loader is a sub-package (it imports the capability).
	Demo func(ctx context.Context, env *Env, out io.Writer) error
	// Start builds the capability on env: its service, from the platform
	// and from what earlier capabilities provided. It may Provide values
	// for later ones. Start runs at every start of the process, so what
	// it seeds must be idempotent.
	Start func(ctx context.Context, env *Env) (Parts, error)
}

// WithDemo is m with its demonstration loader, for the module list: the
// loader, a sub-package of the capability, cannot be named by the
// capability itself.
func WithDemo(m Module, demo func(ctx context.Context, env *Env, out io.Writer) error) Module {
	m.Demo = demo
	return m
}

// Parts are what a started capability contributes to the running
// application.
type Parts struct {
	// Routes registers its HTML and JSON routes.
	Routes func(rt *httpx.Router)
	// Wrap, when set, wraps the whole handler (identity's sessions); the
	// first module's wrap is the outermost.
	Wrap func(http.Handler) http.Handler
	// Workers run in the background while the node serves.
	Workers []Worker
}

// Worker is a background loop of a capability.
type Worker struct {
	Name string
	// Run works until ctx ends.
	Run func(ctx context.Context)
	// Jobs marks a worker that runs only on nodes that run jobs
	// (--workers > 0), like the legal clock's sweeper.
	Jobs bool
}

// Env is the platform as capabilities start on it, and what the ones
// started before provided.
type Env struct {
	Cfg      config.Config
	Log      *slog.Logger
	DB       *db.DB
	Blobs    blob.Store
	Box      *secretbox.Box
	Jobs     *jobs.Queue
	Notify   *notify.Service
	Cat      *i18n.Catalog
	Web      *web.Renderer
	Resp     *httpx.Responder
	Calendar *calendar.Calendar
	Hasher   *password.Hasher
	Metrics  *prometheus.Registry

	mu       sync.Mutex
	provided []provided
	late     []func() error
}

type provided struct {
	by string
	v  any
}

// Provide announces v, a service or store of the capability named by, to
// the capabilities started after it.
func (e *Env) Provide(by string, v any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.provided = append(e.provided, provided{by, v})
}

// Need returns the one provided value that implements T (an interface
// the asking capability declares), or an error naming T when none or
// several do.
func Need[T any](e *Env) (T, error) {
	var zero T
	want := reflect.TypeFor[T]()
	e.mu.Lock()
	defer e.mu.Unlock()
	var found []provided
	for _, p := range e.provided {
		if reflect.TypeOf(p.v).AssignableTo(want) {
			found = append(found, p)
		}
	}
	switch len(found) {
	case 1:
		return found[0].v.(T), nil
	case 0:
		return zero, fmt.Errorf("module: no capability provides %v (is it listed before the one that needs it?)", want)
	default:
		return zero, fmt.Errorf("module: %s and %s both provide %v", found[0].by, found[1].by, want)
	}
}

// Late returns a function that finds T on its first call, for a
// capability that needs one listed after it. The application checks every
// Late reference once all modules have started (Env.Check), so a missing
// one stops the start, not a request.
func Late[T any](e *Env) func() T {
	var (
		once sync.Once
		v    T
		err  error
	)
	get := func() (T, error) {
		once.Do(func() { v, err = Need[T](e) })
		return v, err
	}
	e.mu.Lock()
	e.late = append(e.late, func() error { _, err := get(); return err })
	e.mu.Unlock()
	return func() T {
		v, err := get()
		if err != nil {
			panic(err) // unreachable after Check
		}
		return v
	}
}

// Check resolves every Late reference; the application calls it once all
// modules have started.
func (e *Env) Check() error {
	e.mu.Lock()
	late := e.late
	e.mu.Unlock()
	for _, f := range late {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// Get returns the value of type T a capability provided, for the
// application's own use (its command line and tests).
func Get[T any](e *Env) T {
	v, err := Need[T](e)
	if err != nil {
		panic(err)
	}
	return v
}
