package app

import (
	"context"
	"fmt"
	"io"

	"madina/internal/authz"
	"madina/internal/platform/config"
)

// cmdAdminDispatchMode sets whether a single window's accepted urban files
// are dispatched to their committee by Madina itself or by its agents
// (permit.Service.SetDispatchMode, audited as the system).
func cmdAdminDispatchMode(ctx context.Context, args []string, stdout, stderr io.Writer, opt Options) error {
	cfg, fs, err := parse("admin dispatch-mode", "[flags] WINDOW automatic|manual\n\nSets whether a single window's accepted urban files are dispatched to their committee by Madina\nitself (automatic, the default) or by the window's agents (manual).",
		args, stdout, stderr, (*config.Flags).Server)
	if err != nil {
		return err
	}
	if fs.NArg() != 2 || (fs.Arg(1) != "automatic" && fs.Arg(1) != "manual") {
		fmt.Fprintln(stderr, "Usage: madina admin dispatch-mode [flags] WINDOW automatic|manual")
		return errUsage
	}
	a, err := NewWith(ctx, cfg, NewLogger(stderr, cfg.LogFormat, cfg.LogLevel), opt)
	if err != nil {
		return err
	}
	defer a.Close()
	window, automatic := fs.Arg(0), fs.Arg(1) == "automatic"
	if err := a.Permit.SetDispatchMode(ctx, authz.Actor{System: true}, window, automatic); err != nil {
		return a.explain(err)
	}
	if err := sealAuditLog(ctx, a.DB); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "window %s dispatches its accepted urban files: %s\n", window, fs.Arg(1))
	return nil
}
