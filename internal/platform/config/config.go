// Package config reads Madina's settings from command-line flags, each with
// a MADINA_* environment twin (the flag wins). Secrets — passwords, tokens —
// are read only from the environment or from files, never from flags, which
// other users can see in the process list.
package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the binary. A subcommand registers the ones it
// uses.
type Config struct {
	Addr        string
	DataDir     string
	DatabaseURL string
	BlobURL     string
	BaseURL     string
	LogLevel    string
	LogFormat   string
	TrustProxy  bool
	ProxyHops   int // trusted proxies in front when TrustProxy: X-Forwarded-For is read that many entries from the right
	Workers     int
	Grace       time.Duration
	// BookingClock is how often Casa In's clock runs: it holds the draws
	// whose window has closed, records no-shows and lapses offers.
	BookingClock time.Duration
	MetricsAddr  string
	NodeID       string // this node's identity in job leases; empty: kept in the data directory
	// MetricsPublic serves /metrics on the main address to every client;
	// by default only to this machine's.
	MetricsPublic bool
	// UploadMaxVersions and UploadMaxFileMB are the upload quota of one
	// file: versions of each checklist item, and MB of all its documents.
	UploadMaxVersions int
	UploadMaxFileMB   int64
	// MinFreeSpaceMB is the free space, in MB, below which the local
	// disk of the file store (or of its spool) makes /readyz fail.
	MinFreeSpaceMB int64

	PermitCatalogueFile string // empty: the embedded catalogue of Casablanca
	// BookingCatalogueFile is a city's own Casa In catalogue (JSON);
	// empty: the embedded one of Casablanca's pilots.
	BookingCatalogueFile string

	// TrustedRootsFile is a PEM bundle of the root certificates, besides
	// Madina's own, whose signers /verify trusts (the providers of the
	// city's signers' certificates); empty: Madina's root only.
	TrustedRootsFile string

	// TSAURL is an external RFC 3161 time-stamping authority (the city's
	// qualified provider's) that time-stamps Madina's signatures instead
	// of the built-in one; its root must then be in TrustedRootsFile.
	TSAURL string

	SecretKey string // base64 of 32 bytes: MADINA_SECRET_KEY or --secret-key-file; default a file in the data directory

	SMTP SMTP
	SMS  SMS
	OIDC OIDC

	// MapTiles is the tile source of the maps' background (a URL template
	// with {z}, {x}, {y} and optionally {s}); "none": no tiles, the maps
	// draw outlines and points on a plain background.
	MapTiles            string
	MapTilesAttribution string

	// Open311MediaPrivate lets Madina fetch an Open311 post's media_url
	// from private, loopback and link-local addresses (a city whose
	// clients keep their media inside its own network); by default only
	// public addresses are fetched, so that a post cannot make Madina
	// reach into the network it runs in.
	Open311MediaPrivate bool

	// DevOutbox keeps every e-mail and SMS that no SMTP server or SMS
	// gateway sends, readable in full at /dev/outbox by this machine's
	// browser: for a developer's machine (make run), never production.
	DevOutbox bool
}

// The maps' default background: OpenStreetMap's standard tiles, whose
// licence (ODbL) asks for this credit.
const (
	DefaultMapTiles            = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
	DefaultMapTilesAttribution = "© OpenStreetMap contributors"
)

// OIDC are the settings of sign-in with a national digital-identity
// provider; Issuer empty means it is not offered.
type OIDC struct {
	Issuer       string
	ClientID     string
	ClientSecret string // MADINA_OIDC_CLIENT_SECRET or --oidc-client-secret-file
	CINClaim     string
}

// SMTP are the outgoing mail settings; Host empty means mail goes to the log.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string // MADINA_SMTP_PASSWORD or --smtp-password-file
	From     string
	TLS      string // none, starttls, tls
}

// SMS are the SMS gateway settings; URL empty means SMS go to the log.
type SMS struct {
	URL    string
	Token  string // MADINA_SMS_TOKEN or --sms-token-file
	Sender string
}

// Flags binds flags to c. It returns a function to call after parsing,
// which reads secret files and checks values.
type Flags struct {
	fs      *flag.FlagSet
	c       *Config
	errs    []error
	secrets []secret
}

type secret struct {
	dst      *string
	env      string
	fileFlag *string
}

// New prepares flag registration on fs for c.
func New(fs *flag.FlagSet, c *Config) *Flags { return &Flags{fs: fs, c: c} }

func envName(flagName string) string {
	return "MADINA_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (f *Flags) str(p *string, name, def, usage string) {
	env := envName(name)
	if v, ok := os.LookupEnv(env); ok {
		def = v
	}
	f.fs.StringVar(p, name, def, usage+" (env "+env+")")
}

func (f *Flags) boolean(p *bool, name string, def bool, usage string) {
	env := envName(name)
	if v, ok := os.LookupEnv(env); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q: not a boolean", env, v))
		}
		def = b
	}
	f.fs.BoolVar(p, name, def, usage+" (env "+env+")")
}

func (f *Flags) integer(p *int, name string, def int, usage string) {
	env := envName(name)
	if v, ok := os.LookupEnv(env); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q: not a number", env, v))
		}
		def = n
	}
	f.fs.IntVar(p, name, def, usage+" (env "+env+")")
}

func (f *Flags) int64(p *int64, name string, def int64, usage string) {
	env := envName(name)
	if v, ok := os.LookupEnv(env); ok {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q: not a number", env, v))
		}
		def = n
	}
	f.fs.Int64Var(p, name, def, usage+" (env "+env+")")
}

func (f *Flags) duration(p *time.Duration, name string, def time.Duration, usage string) {
	env := envName(name)
	if v, ok := os.LookupEnv(env); ok {
		d, err := time.ParseDuration(v)
		if err != nil {
			f.errs = append(f.errs, fmt.Errorf("%s=%q: not a duration", env, v))
		}
		def = d
	}
	f.fs.DurationVar(p, name, def, usage+" (env "+env+")")
}

func (f *Flags) secretFile(dst *string, name, usage string) {
	s := secret{dst: dst, env: envName(strings.TrimSuffix(name, "-file")), fileFlag: new(string)}
	f.str(s.fileFlag, name, "", usage+"; or set "+s.env+" itself")
	f.secrets = append(f.secrets, s)
}

// Database registers the settings every subcommand touching data needs.
func (f *Flags) Database() {
	f.str(&f.c.DataDir, "data-dir", "./madina-data", "directory of the embedded database and files")
	f.str(&f.c.DatabaseURL, "database-url", "", "PostgreSQL URL (postgres://…); empty: embedded SQLite in the data directory")
	f.str(&f.c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	f.str(&f.c.LogFormat, "log-format", "json", "log format: json or text")
}

// Data registers the settings of a command that writes data the way the
// server does (demo): the database's, the file store, the secret key, the
// permit catalogue and the public URL of links in messages.
func (f *Flags) Data() {
	f.Database()
	f.str(&f.c.Addr, "addr", ":8080", "address the server listens on, which gives the default --base-url")
	f.str(&f.c.BaseURL, "base-url", "", "public URL of the site, for links in e-mails (default http://localhost<addr>)")
	f.str(&f.c.BlobURL, "blob-url", "", "file store: s3://bucket?endpoint=…&region=… (keys in MADINA_S3_ACCESS_KEY / MADINA_S3_SECRET_KEY); empty: files in the data directory")
	f.str(&f.c.BookingCatalogueFile, "booking-catalogue-file", "", "Casa In catalogue (JSON: facilities, rules, penalty ladder, seasons) to serve instead of the embedded one of Casablanca; check it first with \"madina booking check-catalogue FILE\"")
	f.str(&f.c.PermitCatalogueFile, "permit-catalogue-file", "", "permit catalogue (JSON) to serve instead of the embedded one of Casablanca; check it first with \"madina admin import-catalogue FILE\"")
	f.str(&f.c.TSAURL, "tsa-url", "", "external RFC 3161 time-stamping authority for Madina's signatures (its root in --trusted-roots-file); empty: the built-in one")
	f.secretFile(&f.c.SecretKey, "secret-key-file", "file holding the server's secret key (base64 of 32 bytes) that seals second-factor secrets and signs forms; default: created in the data directory")
}

// Server registers the settings of `serve`.
func (f *Flags) Server() {
	f.Data()
	f.boolean(&f.c.TrustProxy, "trust-proxy", false, "trust X-Forwarded-Proto and X-Forwarded-For from a TLS-terminating proxy in front")
	f.integer(&f.c.ProxyHops, "trusted-proxy-hops", 1, "with --trust-proxy, how many proxies in front append to X-Forwarded-For: the client's address is that many entries from the right")
	f.integer(&f.c.UploadMaxVersions, "upload-max-versions", 20, "versions one checklist item of a file may have")
	f.int64(&f.c.UploadMaxFileMB, "upload-max-file-mb", 1024, "MB the documents of one file may take together")
	f.int64(&f.c.MinFreeSpaceMB, "min-free-space-mb", 1024, "free space in MB the file store's disk (the spool's, for S3) must keep; below it /readyz fails")
	f.integer(&f.c.Workers, "workers", 4, "background job workers")
	f.duration(&f.c.Grace, "shutdown-grace", 30*time.Second, "time to finish in-flight requests and jobs on shutdown")
	f.duration(&f.c.BookingClock, "booking-clock", time.Minute, "how often Casa In's clock holds the draws whose window closed, records no-shows and lapses waitlist offers (1s or more)")
	f.str(&f.c.TrustedRootsFile, "trusted-roots-file", "", "PEM file of the root certificates, besides Madina's own, whose signatures /verify trusts")
	f.str(&f.c.MetricsAddr, "metrics-addr", "", "serve /metrics on this separate address instead of the main one")
	f.str(&f.c.NodeID, "node-id", "", "this node's identity, stable across restarts and distinct per node, so that a restart takes back at once the jobs it was running; default: created in the data directory (set it when nodes share one)")
	f.boolean(&f.c.MetricsPublic, "metrics-public", false, "without --metrics-addr, serve /metrics on the main address to any client, not only to this machine's")
	f.Notify()
	f.str(&f.c.MapTiles, "map-tiles", DefaultMapTiles, "tile URL template of the maps' background ({z}, {x}, {y}, optionally {s}); \"none\": no tiles, outlines and points on a plain background")
	f.str(&f.c.MapTilesAttribution, "map-tiles-attribution", DefaultMapTilesAttribution, "credit shown on the maps for the tiles (their licence asks for it)")
	f.boolean(&f.c.Open311MediaPrivate, "open311-media-private", false, "fetch an Open311 post's media_url from private and loopback addresses too (clients' media inside the city's own network); default: public addresses only")
	f.boolean(&f.c.DevOutbox, "dev-outbox", false, "development only: keep every e-mail and SMS that no SMTP server or SMS gateway sends, links and codes included, readable at /dev/outbox from this machine")
	f.str(&f.c.OIDC.Issuer, "oidc-issuer", "", "OpenID Connect issuer of the national digital identity; empty: not offered")
	f.str(&f.c.OIDC.ClientID, "oidc-client-id", "", "client ID registered with the identity provider")
	f.secretFile(&f.c.OIDC.ClientSecret, "oidc-client-secret-file", "file holding the client secret")
	f.str(&f.c.OIDC.CINClaim, "oidc-cin-claim", "", "claim carrying the national ID card number, if the provider sends one")
}

// Notify registers the e-mail and SMS settings.
func (f *Flags) Notify() {
	f.str(&f.c.SMTP.Host, "smtp-host", "", "SMTP server; empty: e-mails are written to the log")
	f.integer(&f.c.SMTP.Port, "smtp-port", 587, "SMTP port")
	f.str(&f.c.SMTP.Username, "smtp-username", "", "SMTP user name")
	f.secretFile(&f.c.SMTP.Password, "smtp-password-file", "file holding the SMTP password")
	f.str(&f.c.SMTP.From, "smtp-from", "Madina <no-reply@localhost>", "sender of e-mails")
	f.str(&f.c.SMTP.TLS, "smtp-tls", "starttls", "SMTP security: none, starttls or tls")
	f.str(&f.c.SMS.URL, "sms-url", "", "SMS gateway URL (HTTP POST JSON); empty: SMS are written to the log")
	f.secretFile(&f.c.SMS.Token, "sms-token-file", "file holding the SMS gateway bearer token")
	f.str(&f.c.SMS.Sender, "sms-sender", "Casablanca", "SMS sender name")
}

// Finish reads secrets and checks values; call it after parsing.
func (f *Flags) Finish() error {
	for _, s := range f.secrets {
		if *s.fileFlag != "" {
			b, err := os.ReadFile(*s.fileFlag)
			if err != nil {
				f.errs = append(f.errs, fmt.Errorf("read secret file: %w", err))
				continue
			}
			*s.dst = strings.TrimSpace(string(b))
		} else {
			*s.dst = os.Getenv(s.env)
		}
	}
	c := f.c
	if c.LogFormat != "json" && c.LogFormat != "text" {
		f.errs = append(f.errs, fmt.Errorf("log format %q: want json or text", c.LogFormat))
	}
	if f.fs.Lookup("smtp-tls") != nil {
		switch c.SMTP.TLS {
		case "none", "starttls", "tls":
		default:
			f.errs = append(f.errs, fmt.Errorf("smtp-tls %q: want none, starttls or tls", c.SMTP.TLS))
		}
	}
	if f.fs.Lookup("trusted-proxy-hops") != nil && c.ProxyHops < 1 {
		f.errs = append(f.errs, errors.New("trusted-proxy-hops must be 1 or more"))
	}
	if f.fs.Lookup("booking-clock") != nil && c.BookingClock < time.Second {
		f.errs = append(f.errs, errors.New("booking-clock must be 1s or more"))
	}
	if c.Workers < 0 {
		f.errs = append(f.errs, errors.New("workers must be 0 or more"))
	}
	return errors.Join(f.errs...)
}

// DatabaseURLOrDefault is the database to open: the URL, or the embedded
// SQLite file in the data directory.
func (c *Config) DatabaseURLOrDefault() string {
	if c.DatabaseURL != "" {
		return c.DatabaseURL
	}
	return "sqlite:" + filepath.Join(c.DataDir, "madina.db")
}
