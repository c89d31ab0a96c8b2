// Package app wires Madina together: it is the only package that knows
// every capability. cmd/madina calls Main; tests call it too, starting the
// real server on port 0.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/booking"
	"madina/internal/booking/bookingdemo"
	"madina/internal/complaint"
	"madina/internal/complaint/complaintdemo"
	"madina/internal/design"
	"madina/internal/devmail"
	"madina/internal/district"
	geoportal "madina/internal/geo"
	"madina/internal/geo/geodemo"
	"madina/internal/identity"
	"madina/internal/identity/identitydemo"
	"madina/internal/module"
	"madina/internal/notify"
	"madina/internal/oidclogin"
	"madina/internal/permit"
	"madina/internal/permit/permitdemo"
	"madina/internal/planreview"
	"madina/internal/planreview/planreviewdemo"
	"madina/internal/platform/blob"
	"madina/internal/platform/calendar"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/geo"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
	"madina/internal/platform/password"
	"madina/internal/platform/pdf"
	"madina/internal/platform/photo"
	"madina/internal/platform/secretbox"
	"madina/internal/platform/web"
	"madina/internal/portal"
	"madina/internal/signature"
	"madina/internal/signature/signaturedemo"
	"madina/internal/staff"
	"madina/migrations"
)

// Version is set at build time with -ldflags "-X madina/internal/app.Version=…".
var Version = "dev"

// App is a running Madina: its database, capabilities and HTTP handler.
type App struct {
	Cfg     config.Config
	Log     *slog.Logger
	DB      *db.DB
	Cat     *i18n.Catalog
	Web     *web.Renderer
	Resp    *httpx.Responder
	Router  *httpx.Router
	Reg     *prometheus.Registry
	Handler http.Handler

	Blobs   blob.Store
	Sweeper *blob.Sweeper
	Box     *secretbox.Box
	Jobs    *jobs.Queue
	Notify  *notify.Service
	// The capabilities' services, for the command line and tests; the
	// application itself builds everything from the module list.
	Identity   *identity.Service
	Staff      *staff.Service // the back office
	Districts  *district.Store
	Catalogue  *permit.Catalogue   // the permit catalogue in force
	Permit     *permit.Service     // permit files
	Signature  *signature.Service  // signers' keys, the CA and the TSA
	PlanReview *planreview.Service // annotations and measurements on plan sheets
	Complaint  *complaint.Service  // citizens' requests and complaints

	env        *module.Env
	parts      []module.Parts
	openapi    []byte // the API document, merged once by New
	migrations []db.Migration
	closers    []func() error
}

// Modules lists Madina's capabilities, in the order they start: a
// capability may Need what one before it provides. Adding a capability
// is one line here.
func Modules() []module.Module {
	return []module.Module{
		portal.Module,
		district.Module,
		module.WithDemo(identity.Module, identitydemo.Load),
		staff.Module,
		module.WithDemo(signature.Module, signaturedemo.Load),
		module.WithDemo(permit.Module, permitdemo.Load),
		module.WithDemo(geoportal.Module, geodemo.Load),
		module.WithDemo(complaint.Module, complaintdemo.Load),
		module.WithDemo(booking.Module, bookingdemo.Load),
		module.WithDemo(planreview.Module, planreviewdemo.Load),
		devmail.Module,
		design.Module,
	}
}

// platformMessages are the texts of the platform's packages and of the
// shared services (policy, audit, notifications).
func platformMessages() []fs.FS {
	return []fs.FS{web.Messages, httpx.Messages, audit.Messages, blob.Messages, notify.Messages, authz.Messages,
		password.Messages, oidclogin.Messages, calendar.Messages, geo.Messages, pdf.Messages, db.Messages, photo.Messages}
}

// MessageSources lists every message catalogue: the platform's and each
// capability's.
func MessageSources() []fs.FS {
	out := platformMessages()
	for _, m := range Modules() {
		if m.Messages != nil {
			out = append(out, m.Messages)
		}
	}
	return out
}

// nodeID is this node's identity in job leases: --node-id, else the one
// kept in the data directory. Without one (a read-only data directory) the
// node still runs; its jobs then wait for their leases after a crash.
func nodeID(cfg config.Config, log *slog.Logger) (string, error) {
	if cfg.NodeID != "" {
		if strings.ContainsAny(cfg.NodeID, "/\\ \t\n") {
			return "", fmt.Errorf("node-id %q: no slash or space allowed", cfg.NodeID)
		}
		return cfg.NodeID, nil
	}
	id, err := jobs.NodeID(filepath.Join(cfg.DataDir, "node-id"))
	if err != nil {
		log.Warn("no stable node identity: after a crash, this node's jobs wait for their leases to expire", "err", err)
		return "", nil
	}
	return id, nil
}

// NewLogger makes the process logger.
func NewLogger(w io.Writer, format, level string) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// OpenDB opens and migrates the configured database.
func OpenDB(ctx context.Context, cfg config.Config, log *slog.Logger) (*db.DB, []db.Migration, error) {
	d, err := db.Open(ctx, cfg.DatabaseURLOrDefault())
	if err != nil {
		return nil, nil, err
	}
	ms, err := migrations.For(d.Engine)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	n, err := d.Migrate(ctx, ms)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	if n > 0 {
		log.Info("database migrated", "engine", string(d.Engine), "applied", n)
	}
	return d, ms, nil
}

// Options change how New builds the application, for tests and tools.
type Options struct {
	// Hasher replaces the production password hasher (tests use a cheap
	// one; production parameters are checked by their own test).
	Hasher *password.Hasher
}

// New builds the application on cfg: opens and migrates the database, and
// starts every capability of Modules on it.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	return NewWith(ctx, cfg, log, Options{})
}

// NewWith is New with options.
func NewWith(ctx context.Context, cfg config.Config, log *slog.Logger, opt Options) (_ *App, err error) {
	if cfg.BaseURL == "" {
		// Links in messages and invitations are absolute: without a public
		// address, the one of the listen address.
		cfg.BaseURL = defaultBaseURL(cfg.Addr)
	}
	mods := Modules()
	a := &App{Cfg: cfg, Log: log}
	defer func() {
		if err != nil {
			a.Close() // what was opened before the failure
		}
	}()
	a.DB, a.migrations, err = OpenDB(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, a.DB.Close)
	if a.Cat, err = i18n.Load(MessageSources()...); err != nil {
		return nil, err
	}
	if a.Blobs, err = blob.Open(ctx, cfg.BlobURL, cfg.DataDir); err != nil {
		return nil, err
	}
	if a.Box, err = openBox(cfg); err != nil {
		return nil, err
	}
	node, err := nodeID(cfg, log)
	if err != nil {
		return nil, err
	}
	a.Jobs = jobs.New(a.DB, log, jobs.Options{Workers: max(cfg.Workers, 1), Node: node})
	var notices []fs.FS
	var nav []web.NavItem
	var pages []web.Pages
	var refs []blob.Referencer
	for _, m := range mods {
		if m.Notices != nil {
			notices = append(notices, m.Notices)
		}
		if m.Pages != nil {
			pages = append(pages, *m.Pages)
		}
		if m.BlobRefs != "" {
			refs = append(refs, sqlRefs{a.DB, m.BlobRefs})
		}
		nav = append(nav, m.Nav...)
	}
	slices.SortStableFunc(nav, func(x, y web.NavItem) int { return x.Rank - y.Rank })
	if a.Notify, err = a.newNotify(notices); err != nil {
		return nil, err
	}
	if a.Web, err = web.New(a.Cat, log, nav, pages...); err != nil {
		return nil, err
	}
	if a.openapi, err = openAPIDocument(openAPIFragments(mods)); err != nil {
		return nil, err
	}
	a.Resp = &httpx.Responder{Cat: a.Cat, Pages: a.Web, Log: log}
	a.Reg = prometheus.NewRegistry()
	a.Reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), newQueueCollector(a.Jobs))
	a.Sweeper = &blob.Sweeper{Store: a.Blobs, Refs: refs, Log: log}
	a.Sweeper.Register(a.Reg)
	hasher := opt.Hasher
	if hasher == nil {
		hasher = password.NewHasher(2 * runtime.NumCPU())
	}
	a.env = &module.Env{Cfg: cfg, Log: log, DB: a.DB, Blobs: a.Blobs, Box: a.Box, Jobs: a.Jobs, Notify: a.Notify,
		Cat: a.Cat, Web: a.Web, Resp: a.Resp, Calendar: calendar.Default(), Hasher: hasher, Metrics: a.Reg}
	for _, m := range mods {
		p, err := m.Start(ctx, a.env)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", m.Name, err)
		}
		a.parts = append(a.parts, p)
	}
	if err := a.env.Check(); err != nil {
		return nil, err
	}
	a.Identity = module.Get[*identity.Service](a.env)
	a.Staff = module.Get[*staff.Service](a.env)
	a.Districts = module.Get[*district.Store](a.env)
	a.Catalogue = module.Get[*permit.Catalogue](a.env)
	a.Permit = module.Get[*permit.Service](a.env)
	a.Signature = module.Get[*signature.Service](a.env)
	a.PlanReview = module.Get[*planreview.Service](a.env)
	a.Complaint = module.Get[*complaint.Service](a.env)
	a.Router = httpx.NewRouter(a.Resp)
	a.routes()
	var h http.Handler = a.Router
	for i := len(a.parts) - 1; i >= 0; i-- {
		if w := a.parts[i].Wrap; w != nil {
			h = w(h)
		}
	}
	a.Handler = httpx.Chain(h, httpx.Options{Log: log, Metrics: httpx.NewMetrics(a.Reg), Responder: a.Resp, TrustProxy: cfg.TrustProxy, ProxyHops: cfg.ProxyHops})
	return a, nil
}

// OpenAPI is the API document the application serves.
func (a *App) OpenAPI() []byte { return a.openapi }

// LoadReference saves a city's territorial reference and adds the
// organisations its arrondissements and prefectures need (staff belong to
// them). It reports whether the reference changed.
func (a *App) LoadReference(ctx context.Context, ref district.Reference, actor string) (bool, error) {
	changed, err := a.Districts.Load(ctx, ref, actor)
	if err != nil {
		return false, err
	}
	_, err = a.Staff.LoadOrganisations(ctx, staff.System(actor))
	return changed, err
}

func (a *App) routes() {
	rt := a.Router
	for _, p := range a.parts {
		if p.Routes != nil {
			p.Routes(rt)
		}
	}
	rt.HandleFunc("GET /api/v1/openapi.json", a.openAPI)
	rt.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "ok\n")
	})
	rt.HandleFunc("GET /readyz", a.ready)
	rt.Handle("GET /static/", a.Web.StaticHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.Resp.Error(w, r, errs.E(errs.NotFound, "error.route"))
	})))
	if a.Cfg.MetricsAddr == "" {
		// On the public address, the metrics are for this machine's
		// scraper only unless the operator says otherwise.
		metrics := promhttp.HandlerFor(a.Reg, promhttp.HandlerOpts{})
		rt.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
			if !a.Cfg.MetricsPublic && !httpx.FromThisMachine(r) {
				a.Resp.Error(w, r, errs.E(errs.NotFound, "error.route"))
				return
			}
			metrics.ServeHTTP(w, r)
		})
	}
}

// openBox returns the server's secret box: from the configured key, else
// from a key file in the data directory, created on first start.
func openBox(cfg config.Config) (*secretbox.Box, error) {
	var key []byte
	var err error
	if cfg.SecretKey != "" {
		key, err = secretbox.ParseKey(cfg.SecretKey)
	} else {
		key, err = secretbox.LoadOrCreateKey(filepath.Join(cfg.DataDir, "secret.key"))
	}
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return secretbox.New(key)
}

// ready answers 200 when the database answers and its schema is current.
func (a *App) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	status := map[string]string{"database": "ok", "migrations": "current"}
	code := http.StatusOK
	if err := a.DB.Ping(ctx); err != nil {
		status["database"], code = "unreachable", http.StatusServiceUnavailable
	} else if n, err := a.DB.Pending(ctx, a.migrations); err != nil || n > 0 {
		status["migrations"], code = "pending", http.StatusServiceUnavailable
	}
	status["files"] = "ok"
	if err := a.Blobs.Ping(ctx); err != nil {
		a.Log.Warn("readiness: file store", "err", err.Error())
		status["files"], code = "unavailable", http.StatusServiceUnavailable
	} else if free, err := a.Blobs.FreeSpace(); err != nil || free < a.Cfg.MinFreeSpaceMB<<20 {
		status["files"], code = "low-space", http.StatusServiceUnavailable
	}
	a.Resp.JSON(w, r, code, status)
}

// Close releases everything New opened, in reverse order.
func (a *App) Close() error {
	var err error
	for i := len(a.closers) - 1; i >= 0; i-- {
		err = errors.Join(err, a.closers[i]())
	}
	a.closers = nil
	return err
}

// Serve serves HTTP on ln and runs the background workers until ctx ends,
// then shuts down gracefully: the HTTP server finishes in-flight requests,
// then the workers finish in-flight jobs, each within the grace period.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	qctx, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer stopJobs()
	if a.Cfg.Workers > 0 {
		if err := a.Jobs.Start(qctx); err != nil {
			return err
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), a.Cfg.Grace)
			defer cancel()
			if err := a.Jobs.Shutdown(sctx); err != nil {
				a.Log.Warn("jobs shutdown", "err", err.Error())
			}
		}()
	}
	// The modules' workers, the blob sweeper and the audit sealer stop
	// with the server, and Serve waits for them (within the grace
	// period): none is left inside a transaction once it returns.
	wctx, stopWorkers := context.WithCancel(context.WithoutCancel(ctx))
	var workers sync.WaitGroup
	run := func(f func(context.Context)) {
		workers.Add(1)
		go func() { defer workers.Done(); f(wctx) }()
	}
	defer func() {
		stopWorkers()
		stopped := make(chan struct{})
		go func() { workers.Wait(); close(stopped) }()
		select {
		case <-stopped:
		case <-time.After(a.Cfg.Grace):
			a.Log.Warn("workers still running after the grace period")
		}
	}()
	for _, p := range a.parts {
		for _, w := range p.Workers {
			if !w.Jobs || a.Cfg.Workers > 0 {
				run(w.Run)
			}
		}
	}
	// Every node sweeps: an S3 store's spool is each node's own disk.
	run(func(ctx context.Context) { a.Sweeper.Run(ctx, blobSweepInterval) })
	run(a.runAuditSealer)
	srv := httpx.NewServer(a.Handler)
	srv.ErrorLog = slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)
	errc := make(chan error, 2)
	if a.Cfg.MetricsAddr != "" {
		mln, err := net.Listen("tcp", a.Cfg.MetricsAddr)
		if err != nil {
			return fmt.Errorf("metrics listener: %w", err)
		}
		msrv := httpx.NewServer(promhttp.HandlerFor(a.Reg, promhttp.HandlerOpts{}))
		go func() { errc <- httpx.Serve(ctx, msrv, mln, a.Cfg.Grace) }()
	}
	go func() { errc <- httpx.Serve(ctx, srv, ln, a.Cfg.Grace) }()
	err := <-errc
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// URLFor is the address people use to reach ln.
func URLFor(ln net.Listener) string {
	addr := ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	return fmt.Sprintf("http://%s:%d", host, addr.Port)
}
