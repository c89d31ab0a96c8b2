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
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/identity"
	"madina/internal/notify"
	"madina/internal/oidclogin"
	"madina/internal/permit"
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
	"madina/internal/platform/ratelimit"
	"madina/internal/platform/secretbox"
	"madina/internal/platform/web"
	"madina/internal/portal"
	"madina/migrations"
)

// Version is set at build time with -ldflags "-X madina/internal/app.Version=…".
var Version = "dev"

// App is a running Madina: its database, services and HTTP handler.
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

	Blobs     blob.Store
	Sweeper   *blob.Sweeper
	Box       *secretbox.Box
	Identity  *identity.Service
	Jobs      *jobs.Queue
	Notify    *notify.Service
	Districts *district.Store
	Permits   *permit.Catalogue
	Files     *permit.Service

	migrations []db.Migration
	closers    []func() error
}

// MessageSources lists every capability's message catalogue.
func MessageSources() []fs.FS {
	return []fs.FS{web.Messages, httpx.Messages, portal.Messages, district.Messages, audit.Messages, blob.Messages,
		notify.Messages, identity.Messages, authz.Messages, password.Messages, oidclogin.Messages, permit.Messages,
		calendar.Messages, geo.Messages, pdf.Messages, db.Messages}
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

// New builds the application on cfg: opens and migrates the database, loads
// the reference data if it is missing, and builds the HTTP handler.
func New(ctx context.Context, cfg config.Config, log *slog.Logger) (_ *App, err error) {
	if cfg.BaseURL == "" {
		// Links in messages and invitations are absolute: without a public
		// address, the one of the listen address.
		cfg.BaseURL = defaultBaseURL(cfg.Addr)
	}
	permits, err := permit.Load(cfg.PermitCatalogueFile)
	if err != nil {
		return nil, err
	}
	a := &App{Cfg: cfg, Log: log, Permits: permits}
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
	// A catalogue imported with "madina admin import-catalogue" replaces
	// the embedded one; a file given on the command line wins over both.
	if cfg.PermitCatalogueFile == "" {
		switch active, err := permit.ActiveCatalogue(ctx, a.DB); {
		case err == nil:
			a.Permits, permits = active, active
		case !errs.Is(err, errs.NotFound): // none imported: the embedded one
			return nil, err
		}
	}
	a.Cat, err = i18n.Load(MessageSources()...)
	if err != nil {
		return nil, err
	}
	a.Blobs, err = blob.Open(ctx, cfg.BlobURL, cfg.DataDir)
	if err != nil {
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
	a.Notify, err = a.newNotify()
	if err != nil {
		return nil, err
	}
	a.Districts = district.NewStore(a.DB)
	a.Identity, err = identity.NewService(a.DB, a.Notify, password.NewHasher(2*runtime.NumCPU()), a.Box, log,
		identity.Config{BaseURL: cfg.BaseURL, PermitKinds: mandateKinds(permits), Places: districtPlaces{a.Districts}, Files: permitFiles{a},
			Blobs: a.Blobs, InspectPDF: inspectPDF})
	if err != nil {
		return nil, err
	}
	if err := a.seedReference(ctx); err != nil {
		return nil, err
	}
	if err := a.Identity.FillAssociationKeys(ctx); err != nil {
		return nil, err
	}
	a.Files = permit.NewService(a.DB, permits, calendar.Default(), a.Blobs, a.Notify, a.Identity.Store(), a.Districts, log,
		permit.Config{BaseURL: cfg.BaseURL, Locate: permit.Locator(a.territory), InspectPDF: inspectPDF,
			Quota: permit.Quota{ItemVersions: cfg.UploadMaxVersions, FileBytes: cfg.UploadMaxFileMB << 20}})
	nav := []web.NavItem{{Key: "nav.home", Href: "/"}, {Key: "nav.procedures", Href: "/procedures"},
		{Key: "nav.arrondissements", Href: "/arrondissements"}, {Key: "nav.files", Href: "/files"}}
	a.Web, err = web.New(a.Cat, log, nav, portal.Pages, district.Pages, identity.Pages, permit.Pages)
	if err != nil {
		return nil, err
	}
	a.Resp = &httpx.Responder{Cat: a.Cat, Pages: a.Web, Log: log}
	a.Reg = prometheus.NewRegistry()
	a.Reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), newQueueCollector(a.Jobs))
	a.Sweeper = &blob.Sweeper{Store: a.Blobs, Refs: blobRefs(a.DB), Log: log}
	a.Sweeper.Register(a.Reg)
	a.Router = httpx.NewRouter(a.Resp)
	mw := &identity.Middleware{Service: a.Identity, Resp: a.Resp, TrustProxy: cfg.TrustProxy}
	a.routes(mw)
	a.Handler = httpx.Chain(mw.Wrap(a.Router), httpx.Options{Log: log, Metrics: httpx.NewMetrics(a.Reg), Responder: a.Resp, TrustProxy: cfg.TrustProxy, ProxyHops: cfg.ProxyHops})
	return a, nil
}

// seedReference loads Casablanca's reference on a new database, and the
// organisations missing from the one there.
func (a *App) seedReference(ctx context.Context) error {
	empty, err := a.Districts.Empty(ctx)
	if err != nil {
		return err
	}
	if empty {
		_, err = a.LoadReference(ctx, district.Casablanca(), "system")
		return err
	}
	if _, err := a.Districts.City(ctx); errs.Is(err, errs.NotFound) {
		// A database loaded before the city's boundary was kept (migration
		// 0010): the embedded reference, Casablanca's, supplies it.
		_, err = a.LoadReference(ctx, district.Casablanca(), "system")
		return err
	} else if err != nil {
		return err
	}
	_, err = a.Identity.LoadOrganisations(ctx, "system")
	return err
}

// LoadReference saves a city's territorial reference and adds the
// organisations its arrondissements and prefectures need (staff belong to
// them). It reports whether the reference changed.
func (a *App) LoadReference(ctx context.Context, ref district.Reference, actor string) (bool, error) {
	changed, err := a.Districts.Load(ctx, ref, actor)
	if err != nil {
		return false, err
	}
	_, err = a.Identity.LoadOrganisations(ctx, actor)
	return changed, err
}

func (a *App) routes(mw *identity.Middleware) {
	rt := a.Router
	ih := identity.NewHandlers(a.Identity, a.Notify, mw, a.Web, a.Resp)
	ih.Routes(rt)
	ih.TokenRoutes(rt)
	ih.PreferenceRoutes(rt)
	ih.OIDCRoutes(rt, identity.NewOIDC(oidclogin.Config{Issuer: a.Cfg.OIDC.Issuer, ClientID: a.Cfg.OIDC.ClientID,
		ClientSecret: a.Cfg.OIDC.ClientSecret, CINClaim: a.Cfg.OIDC.CINClaim,
		RedirectURL: a.Cfg.BaseURL + "/signin/oidc/callback"}, a.Box, a.Log))
	(&portal.Handlers{Web: a.Web}).Routes(rt)
	(&district.Handlers{Store: a.Districts, Web: a.Web, Resp: a.Resp}).Routes(rt)
	(&permit.Handlers{Catalogue: a.Permits, Cat: a.Cat, Web: a.Web, Resp: a.Resp}).Routes(rt)
	fh := &permit.FileHandlers{Service: a.Files, Cat: a.Cat, Web: a.Web, Resp: a.Resp,
		Track: ratelimit.New(30.0/60, 30, time.Hour)}
	fh.APIRoutes(rt)
	fh.WebRoutes(rt)
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

// mandateKinds are the catalogue's permit kinds, as mandates name them.
func mandateKinds(c *permit.Catalogue) []identity.PermitKind {
	out := make([]identity.PermitKind, 0, len(c.Kinds))
	for _, k := range c.Kinds {
		out = append(out, identity.PermitKind{Code: k.Code, Name: k.Name})
	}
	return out
}

// permitFiles tells identity who owns the file a mandate names. The permit
// service is built after identity, so it is looked up when asked.
type permitFiles struct{ a *App }

var _ identity.FileOwners = permitFiles{}

func (p permitFiles) FileOwner(ctx context.Context, ref string) (int64, int64, error) {
	return p.a.Files.FileOwner(ctx, ref)
}

// districtPlaces gives identity's back office the territorial reference.
type districtPlaces struct{ s *district.Store }

var _ identity.Places = districtPlaces{}

func (p districtPlaces) Arrondissements(ctx context.Context) ([]identity.Place, error) {
	as, err := p.s.Arrondissements(ctx)
	out := make([]identity.Place, len(as))
	for i, a := range as {
		out[i] = identity.Place{Code: a.Code, Arrondissement: a.Code, Name: a.Name}
	}
	return out, err
}

func (p districtPlaces) Windows(ctx context.Context) ([]identity.Place, error) {
	ws, err := p.s.Windows(ctx)
	out := make([]identity.Place, len(ws))
	for i, w := range ws {
		out[i] = identity.Place{Code: w.Code, Kind: w.Kind, Arrondissement: w.Arrondissement, Name: w.Name}
	}
	return out, err
}

// territory is the city's boundary and name as loaded in the database.
func (a *App) territory(ctx context.Context) (geo.Geometry, i18n.Text, error) {
	c, err := a.Districts.City(ctx)
	return c.Boundary, c.Name, err
}

// inspectPDF checks an uploaded PDF and counts its pages. The reading
// stops when ctx ends (the uploader went away).
func inspectPDF(ctx context.Context, r io.ReaderAt, size int64) (int, error) {
	info, err := pdf.Inspect(ctxReaderAt{ctx, r}, size)
	if cerr := ctx.Err(); cerr != nil {
		return 0, cerr
	}
	return info.Pages, err
}

// ctxReaderAt reads from r until ctx ends.
type ctxReaderAt struct {
	ctx context.Context
	r   io.ReaderAt
}

func (c ctxReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.ReadAt(p, off)
}

// sweepInterval is how often the legal clock looks for passed deadlines.
const sweepInterval = time.Minute

// sweepDeadlines runs the legal clock until ctx ends: passed deadlines
// raise alerts or apply the catalogue's silence rule. Every node may run
// it; each deadline is claimed once.
func (a *App) sweepDeadlines(ctx context.Context) {
	t := time.NewTicker(sweepInterval)
	defer t.Stop()
	for {
		if n, err := a.Files.Sweep(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("permit deadlines", "err", err.Error())
		} else if n > 0 {
			a.Log.Info("permit deadlines handled", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
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
	if a.Cfg.Workers > 0 {
		go a.sweepDeadlines(qctx)
	}
	// Every node sweeps: an S3 store's spool is each node's own disk.
	go a.Sweeper.Run(qctx, blobSweepInterval)
	go a.runAuditSealer(qctx)
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
