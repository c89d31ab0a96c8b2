package app

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"madina/internal/authz"
	"madina/internal/platform/config"
)

// cmdAdminOpen311 registers an application that posts citizens' requests
// through Open311 and prints its key (shown this once, kept hashed), or
// revokes one.
func cmdAdminOpen311(ctx context.Context, task string, args []string, stdout, stderr io.Writer, opt Options) error {
	arg := "NAME"
	if task == "open311-revoke" {
		arg = "ID"
	}
	usage := "[flags] NAME\n\nRegisters an application (a FixMyStreet-like site, a phone app) that posts citizens' requests\nthrough /open311/v2 and prints its api_key, shown this once: only its hash is kept."
	if task == "open311-revoke" {
		usage = "[flags] ID\n\nRevokes the api_key of an Open311 client: it posts no more; its requests stay."
	}
	cfg, fs, err := parse("admin "+task, usage, args, stdout, stderr, (*config.Flags).Server)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "Usage: madina admin "+task+" [flags] "+arg)
		return errUsage
	}
	var id int64
	if task == "open311-revoke" {
		if id, err = strconv.ParseInt(fs.Arg(0), 10, 64); err != nil || id <= 0 {
			fmt.Fprintln(stderr, "Usage: madina admin open311-revoke [flags] ID")
			return errUsage
		}
	}
	a, err := NewWith(ctx, cfg, NewLogger(stderr, cfg.LogFormat, cfg.LogLevel), opt)
	if err != nil {
		return err
	}
	defer a.Close()
	sys := authz.Actor{System: true}
	if task == "open311-revoke" {
		if err := a.Complaint.RevokeOpen311Client(ctx, sys, id); err != nil {
			return a.explain(err)
		}
		if err := sealAuditLog(ctx, a.DB); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Open311 client %d revoked\n", id)
		return nil
	}
	c, key, err := a.Complaint.RegisterOpen311Client(ctx, sys, fs.Arg(0))
	if err != nil {
		return a.explain(err)
	}
	if err := sealAuditLog(ctx, a.DB); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Open311 client %d (%s) registered; its api_key, shown this once:\n%s\n", c.ID, c.Name, key)
	return nil
}
