package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"madina/internal/complaint/complaintdemo"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"madina/internal/audit"
	"madina/internal/booking"
	"madina/internal/district"
	"madina/internal/permit"
	"madina/internal/platform/config"
	"madina/internal/platform/db"
)

const usage = `Madina — the digital city hall.

Usage: madina <command> [flags]

Commands:
  serve          run the web site, the API and the background workers
  migrate        apply database migrations and exit
  demo           load the demonstration data (running it twice changes nothing)
  admin          administration tasks (run "madina admin" for the list)
  audit verify   check the audit log's hash chain
  verify FILE    check a signed PDF's signatures offline (exit 0 only when all are valid and trusted)
  booking verify-draw FILE|URL
                 re-run a Casa In draw from its published data (exit 0 when confirmed)
  booking check-catalogue FILE
                 check a city's Casa In catalogue before serving it with --booking-catalogue-file
  bench          measure Madina's pages against a bare net/http handler
  version        print the version

Run "madina <command> --help" for a command's flags. Every flag has a
MADINA_* environment twin, e.g. --database-url and MADINA_DATABASE_URL.
`

// Main runs the command line args and returns the process exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return MainWith(ctx, args, stdout, stderr, Options{})
}

// MainWith is Main building the application with opt (tests run the
// command line with a cheap password hasher).
func MainWith(ctx context.Context, args []string, stdout, stderr io.Writer, opt Options) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = cmdServe(ctx, args[1:], stdout, stderr, opt)
	case "migrate":
		err = cmdMigrate(ctx, args[1:], stdout, stderr)
	case "demo":
		err = cmdDemo(ctx, args[1:], stdout, stderr, opt)
	case "admin":
		err = cmdAdmin(ctx, args[1:], stdout, stderr, opt)
	case "audit":
		err = cmdAudit(ctx, args[1:], stdout, stderr)
	case "bench":
		err = cmdBench(ctx, args[1:], stdout, stderr, opt)
	case "verify":
		return cmdVerify(ctx, args[1:], stdout, stderr)
	case "booking":
		return booking.CLI(ctx, args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "madina", versionString())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "madina: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if errors.Is(err, errUsage) {
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "madina:", err)
		return 1
	}
	return 0
}

var errUsage = errors.New("usage")

// parseFlags parses args with fs. Asked for help (-h, --help), it prints
// fs's usage on stdout and returns flag.ErrHelp, which Main turns into
// exit status 0; a bad flag prints the error and the usage on stderr and
// returns errUsage (exit status 2).
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) error {
	usage := fs.Usage
	fs.Usage = func() {} // printed below, on the right stream
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.Usage = usage
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fs.Usage()
		fs.SetOutput(stderr)
		return err
	case err != nil:
		fs.SetOutput(stderr)
		fmt.Fprintln(stderr, err)
		fs.Usage()
		return errUsage
	}
	fs.SetOutput(stderr)
	return nil
}

// isHelp reports whether arg asks for help rather than naming a task.
func isHelp(arg string) bool {
	switch arg {
	case "help", "-h", "-help", "--help":
		return true
	}
	return false
}

func versionString() string {
	v := Version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += " (" + s.Value[:12] + ")"
			}
		}
	}
	return v
}

// parse parses a subcommand's flags; register picks which. synopsis is
// what follows "madina name" in the usage, e.g. "[flags] FILE", and may go
// on with a line about what the command does.
func parse(name, synopsis string, args []string, stdout, stderr io.Writer, register func(*config.Flags), own ...func(*flag.FlagSet)) (config.Config, *flag.FlagSet, error) {
	var cfg config.Config
	fs := flag.NewFlagSet("madina "+name, flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: madina %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	f := config.New(fs, &cfg)
	register(f)
	for _, o := range own {
		o(fs)
	}
	if err := parseFlags(fs, args, stdout, stderr); err != nil {
		return cfg, fs, err
	}
	if err := f.Finish(); err != nil {
		fmt.Fprintln(stderr, "madina "+name+":", err)
		return cfg, fs, errUsage
	}
	return cfg, fs, nil
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer, opt Options) error {
	cfg, _, err := parse("serve", "[flags]\n\nRuns the web site, the API and the background workers.", args, stdout, stderr, (*config.Flags).Server)
	if err != nil {
		return err
	}
	log := NewLogger(stderr, cfg.LogFormat, cfg.LogLevel)
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	url := URLFor(ln)
	if cfg.BaseURL == "" {
		cfg.BaseURL = url
	}
	a, err := NewWith(ctx, cfg, log, opt)
	if err != nil {
		ln.Close()
		return err
	}
	defer a.Close()
	log.Info("madina serving", "url", url, "engine", string(a.DB.Engine), "version", Version)
	fmt.Fprintf(stdout, "Madina is running at %s\n", url)
	return a.Serve(ctx, ln)
}

// openDBCommand parses a database-only command's flags and opens (and
// migrates) its database.
func openDBCommand(ctx context.Context, name, synopsis string, args []string, stdout, stderr io.Writer) (*db.DB, []db.Migration, error) {
	cfg, _, err := parse(name, synopsis, args, stdout, stderr, (*config.Flags).Database)
	if err != nil {
		return nil, nil, err
	}
	return OpenDB(ctx, cfg, NewLogger(stderr, cfg.LogFormat, cfg.LogLevel))
}

func cmdMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	d, ms, err := openDBCommand(ctx, "migrate", "[flags]\n\nApplies the database migrations and exits.", args, stdout, stderr)
	if err != nil {
		return err
	}
	defer d.Close()
	fmt.Fprintf(stdout, "database schema is current (%d migrations, %s)\n", len(ms), d.Engine)
	return nil
}

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer, opt Options) error {
	cfg, _, err := parse("demo", "[flags]\n\nLoads the demonstration data (running it twice changes nothing).", args, stdout, stderr, (*config.Flags).Data)
	if err != nil {
		return err
	}
	a, err := NewWith(ctx, cfg, NewLogger(stderr, cfg.LogFormat, cfg.LogLevel), opt)
	if err != nil {
		return err
	}
	defer a.Close()
	// The demonstration's year of citizens' requests comes with the
	// command (tests loading the demonstration on PostgreSQL skip it).
	return a.LoadDemo(complaintdemo.WithYear(ctx), stdout)
}

func cmdAdmin(ctx context.Context, args []string, stdout, stderr io.Writer, opt Options) error {
	const adminUsage = `Usage: madina admin <task> [flags]

Tasks:
  import-districts FILE   load or update a city's prefectures, arrondissements and windows from a JSON file
  import-addresses FILE   import the city's address gazetteer (CSV or GeoJSON points), replacing the same source's (--source NAME)
  import-catalogue FILE   check a permit catalogue file, store it and put it in force (--check: only check it)
  create-staff            open a staff account, or give a role to an existing one (--help for its flags)
  create-admin            open the first administrator's account
  seal                    seal with the commune's seal the receipts and decisions issued unsigned (before signatures were in service)
  dispatch-mode WINDOW automatic|manual
                          whether Madina dispatches a window's accepted urban files itself (the default) or its agents do
  open311-client NAME     register an application that posts requests through Open311 and print its api_key
  open311-revoke ID       revoke an Open311 client's api_key
`
	if len(args) == 0 {
		fmt.Fprint(stderr, adminUsage)
		return errUsage
	}
	if isHelp(args[0]) {
		fmt.Fprint(stdout, adminUsage)
		return flag.ErrHelp
	}
	switch args[0] {
	case "create-staff", "create-admin":
		return cmdAdminStaff(ctx, args[0], args[1:], stdout, stderr, opt)
	case "import-catalogue":
		return cmdImportCatalogue(ctx, args[1:], stdout, stderr)
	case "import-addresses":
		return cmdImportAddresses(ctx, args[1:], stdout, stderr, opt)
	case "dispatch-mode":
		return cmdAdminDispatchMode(ctx, args[1:], stdout, stderr, opt)
	case "open311-client", "open311-revoke":
		return cmdAdminOpen311(ctx, args[0], args[1:], stdout, stderr, opt)
	case "seal":
		cfg, fs, err := parse("admin seal", "[flags]\n\nSeals with the commune's seal the receipt of every accepted file and the decision of every\ndecided economic file that no one signed yet. Running it again changes nothing.",
			args[1:], stdout, stderr, (*config.Flags).Server)
		if err != nil {
			return err
		}
		if fs.NArg() != 0 {
			fmt.Fprint(stderr, adminUsage)
			return errUsage
		}
		a, err := NewWith(ctx, cfg, NewLogger(stderr, cfg.LogFormat, cfg.LogLevel), opt)
		if err != nil {
			return err
		}
		defer a.Close()
		receipts, decisions, err := a.Permit.SealIssued(ctx)
		if err != nil {
			return err
		}
		if err := sealAuditLog(ctx, a.DB); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "sealed %d receipts and %d decisions\n", receipts, decisions)
		return nil
	case "import-districts":
		cfg, fs, err := parse("admin import-districts", "[flags] FILE\n\nLoads or updates a city's prefectures, arrondissements and windows from a JSON file.",
			args[1:], stdout, stderr, (*config.Flags).Server)
		if err != nil {
			return err
		}
		if fs.NArg() != 1 {
			fmt.Fprint(stderr, adminUsage)
			return errUsage
		}
		b, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			return err
		}
		ref, err := district.ParseReference(b)
		if err != nil {
			return err
		}
		a, err := NewWith(ctx, cfg, NewLogger(stderr, cfg.LogFormat, cfg.LogLevel), opt)
		if err != nil {
			return err
		}
		defer a.Close()
		changed, err := a.LoadReference(ctx, ref, "cli:admin")
		if err != nil {
			return err
		}
		if err := sealAuditLog(ctx, a.DB); err != nil {
			return err
		}
		if !changed {
			fmt.Fprintln(stdout, "reference unchanged")
			return nil
		}
		fmt.Fprintf(stdout, "loaded %d prefectures and %d windows\n", len(ref.Prefectures), len(ref.Windows))
		return nil
	}
	fmt.Fprintf(stderr, "madina admin: unknown task %q\n\n%s", args[0], adminUsage)
	return errUsage
}

// cmdImportCatalogue checks a permit catalogue file as the server would
// load it and lists every problem of a refused one. A good one is
// summarised, then stored as a version and put in force (servers started
// afterwards serve it); with --check it is only checked.
func cmdImportCatalogue(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var check bool
	cfg, fs, err := parse("admin import-catalogue", "[--check] [flags] FILE\n\nChecks a permit catalogue file (JSON), then stores it and puts it in force.",
		args, stdout, stderr, (*config.Flags).Database, func(fs *flag.FlagSet) {
			fs.BoolVar(&check, "check", false, "only check the file; store nothing")
		})
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, "Usage: madina admin import-catalogue [--check] [flags] FILE\n\nChecks a permit catalogue file (JSON), then stores it and puts it in force.\n")
		return errUsage
	}
	path := fs.Arg(0)
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	cat, err := permit.Parse(b)
	if probs := permit.Problems(err); probs != nil {
		fmt.Fprintf(stderr, "%s is refused, %d problem(s):\n", path, len(probs))
		for _, p := range probs {
			fmt.Fprintln(stderr, "  -", p)
		}
		return fmt.Errorf("permit catalogue %s refused", path)
	}
	if err != nil {
		return err
	}
	byFamily := map[string][]string{}
	for _, k := range cat.Kinds {
		byFamily[k.Family] = append(byFamily[k.Family], k.Code)
	}
	fmt.Fprintf(stdout, "%s: permit catalogue %s of %s, in force from %s, is valid\n", path, cat.Version, cat.City, cat.Effective)
	for _, f := range []string{permit.Urban, permit.Economic} {
		fmt.Fprintf(stdout, "  %d %s kinds: %s\n", len(byFamily[f]), f, strings.Join(byFamily[f], ", "))
	}
	fmt.Fprintf(stdout, "  %d routing rules, %d deadline schedules\n", cat.Rules, cat.Schedules)
	if check {
		fmt.Fprintf(stdout, "Checked only. Import it with: madina admin import-catalogue %s (or serve it with --permit-catalogue-file)\n", path)
		return nil
	}
	d, _, err := OpenDB(ctx, cfg, NewLogger(stderr, cfg.LogFormat, cfg.LogLevel))
	if err != nil {
		return err
	}
	defer d.Close()
	_, changed, err := permit.SaveCatalogue(ctx, d, b, "cli:admin", time.Now())
	if err != nil {
		return err
	}
	if err := sealAuditLog(ctx, d); err != nil {
		return err
	}
	if !changed {
		fmt.Fprintf(stdout, "Version %s is already the catalogue in force.\n", cat.Version)
		return nil
	}
	fmt.Fprintf(stdout, "Version %s is now the catalogue in force; restart the server (every node) to serve it.\n", cat.Version)
	return nil
}

func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const auditUsage = "Usage: madina audit verify [flags]\n"
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprint(stdout, auditUsage)
		return flag.ErrHelp
	}
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprint(stderr, auditUsage)
		return errUsage
	}
	d, _, err := openDBCommand(ctx, "audit verify", "[flags]\n\nChecks the audit log's hash chain.", args[1:], stdout, stderr)
	if err != nil {
		return err
	}
	defer d.Close()
	return audit.RunVerify(ctx, d, stdout)
}
