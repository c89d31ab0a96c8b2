package app

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"madina/internal/platform/config"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/pades"
	"madina/internal/platform/pki"
	"madina/internal/signature"
)

// Exit codes of `madina verify`: 0 only when every signature is valid
// and trusted.
const (
	VerifyOK         = 0
	VerifyFailed     = 1 // the check itself failed (the database could not be read…)
	VerifyUsage      = 2 // bad flags, no FILE, no trusted root
	VerifyUnreadable = 3 // no such file, not a PDF, encrypted, damaged, a signature unreadable
	VerifyUnsigned   = 4 // a PDF with no signature
	VerifyInvalid    = 5 // a signature's bytes changed, or the document changed after it
	VerifyUntrusted  = 6 // intact, but not trusted, not checkable for revocation, or revoked
)

// cliLang is the language of a command's messages: --lang, else the
// terminal's (LC_ALL, LANG) when it is Arabic, French or English, else
// fallback (`madina verify` falls back on French: terminals often show
// Arabic unshaped or left to right).
func cliLang(flagValue string, fallback i18n.Lang) i18n.Lang {
	for _, s := range []string{flagValue, os.Getenv("LC_ALL"), os.Getenv("LANG")} {
		if len(s) >= 2 {
			if l, ok := i18n.Parse(strings.ToLower(s[:2])); ok {
				return l
			}
		}
	}
	return fallback
}

// cmdVerify checks a signed PDF offline: Madina's root, issuing CA and
// stored CRLs read from the database when there is one (the data
// directory's, or --database-url), and the roots given with --root.
func cmdVerify(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var roots []string
	var lang string
	cfg, fs, err := parse("verify", "[flags] FILE\n\nChecks the electronic signatures of a signed PDF, offline, against Madina's root\n(read from the database when present) and the roots given with --root.\nExit status: 0 every signature valid and trusted, 3 unreadable, 4 unsigned,\n5 invalid (changed), 6 untrusted or revoked, 2 usage.",
		args, stdout, stderr, (*config.Flags).Database, func(fs *flag.FlagSet) {
			fs.Func("root", "PEM file of a trusted root certificate (repeatable)", func(v string) error { roots = append(roots, v); return nil })
			fs.StringVar(&lang, "lang", "", "language of the report: ar, fr or en (default: the terminal's, else fr)")
		})
	switch {
	case errors.Is(err, flag.ErrHelp):
		return VerifyOK
	case err != nil:
		return VerifyUsage
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "madina verify: give one PDF file")
		return VerifyUsage
	}
	cat, err := i18n.Load(MessageSources()...)
	if err != nil {
		fmt.Fprintln(stderr, "madina verify:", err)
		return VerifyFailed
	}
	l := cliLang(lang, i18n.FR)
	t := func(key string, params ...any) string { return cat.T(l, key, params...) }

	var certs []*x509.Certificate
	var opts pades.VerifyOptions
	if cfg.DatabaseURL != "" || fileExists(filepath.Join(cfg.DataDir, "madina.db")) {
		c, o, err := madinaTrust(ctx, cfg)
		if err != nil {
			fmt.Fprintln(stderr, "madina verify:", err)
			return VerifyFailed
		}
		certs, opts = c, o
	}
	var bundles [][]byte
	for _, p := range roots {
		b, err := os.ReadFile(p)
		if err != nil {
			fmt.Fprintln(stderr, "madina verify:", err)
			return VerifyUsage
		}
		bundles = append(bundles, b)
	}
	if len(certs) == 0 && len(bundles) == 0 {
		fmt.Fprintln(stderr, "madina verify: no trusted root: give --root FILE, or --data-dir / --database-url of a Madina whose CA has started")
		return VerifyUsage
	}
	trust, err := pki.NewTrust(certs, bundles...)
	if err != nil {
		fmt.Fprintln(stderr, "madina verify:", err)
		return VerifyUsage
	}
	data, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, "madina verify:", err)
		return VerifyUnreadable
	}
	rep, err := pades.Verify(data, trust, opts)
	if err != nil {
		key := "signature.verify.error.corrupt"
		code := VerifyUnreadable
		switch {
		case len(data) == 0:
			key = "signature.verify.error.empty"
		case errors.Is(err, pades.ErrUnsigned):
			key, code = "signature.verify.error.unsigned", VerifyUnsigned
		case errors.Is(err, pades.ErrEncrypted):
			key = "signature.verify.error.encrypted"
		case errors.Is(err, pades.ErrBroken):
			key = "signature.verify.error.broken"
		case errs.As(err) == nil:
			fmt.Fprintln(stderr, "madina verify:", err)
			return VerifyFailed
		}
		fmt.Fprintln(stdout, t(key))
		return code
	}
	v := signature.Summarize(rep, sha256.Sum256(data))
	for i, s := range v.Signatures {
		fmt.Fprintf(stdout, "%s: %s\n", t("signature.verify.signature_n", "n", fmt.Sprint(i+1)), t("signature.verify.tag."+s.Verdict))
		line := func(key, value string) {
			if value != "" {
				fmt.Fprintf(stdout, "  %s: %s\n", t(key), value)
			}
		}
		line("signature.verify.field.signer", s.Signer.Name)
		line("signature.verify.field.identity", s.Signer.Identity)
		line("signature.verify.field.organisation", s.Signer.Organisation)
		line("signature.verify.field.capacity", s.Signer.Title)
		switch {
		case s.TimeStamped:
			line("signature.verify.field.time", t("signature.verify.time.stamped", "time", s.Time.Format("2006-01-02 15:04:05 UTC")))
		case !s.Time.IsZero():
			line("signature.verify.field.time", t("signature.verify.time.claimed", "time", s.Time.Format("2006-01-02 15:04:05 UTC")))
		}
		if s.Intact {
			line("signature.verify.field.integrity", t("signature.verify.integrity.ok"))
		} else {
			line("signature.verify.field.integrity", t("signature.verify.integrity.broken"))
		}
		if s.ChangedAfter {
			line("signature.verify.field.changes", t("signature.verify.changes.yes"))
		} else {
			line("signature.verify.field.changes", t("signature.verify.changes.no"))
		}
		switch {
		case s.Revoked:
			line("signature.verify.field.certificate", t("signature.verify.certificate.revoked", "time", s.RevokedAt.Format("2006-01-02 15:04:05 UTC")))
		case !s.Trusted:
			line("signature.verify.field.certificate", t("signature.verify.certificate.untrusted"))
		case !s.RevocationChecked:
			line("signature.verify.field.certificate", t("signature.verify.certificate.unchecked"))
		default:
			line("signature.verify.field.certificate", t("signature.verify.certificate.ok"))
		}
	}
	fmt.Fprintf(stdout, "%s: %s\n", t("signature.verify.field.sha256"), v.SHA256)
	fmt.Fprintln(stdout, t("signature.verify.verdict."+v.Verdict))
	switch v.Verdict {
	case signature.VerdictValid:
		return VerifyOK
	case signature.VerdictInvalid:
		return VerifyInvalid
	}
	return VerifyUntrusted
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// madinaTrust reads Madina's root (trusted), its issuing CA (a chain
// link) and the newest stored CRLs of both from the database, without
// migrating it or writing anything.
func madinaTrust(ctx context.Context, cfg config.Config) ([]*x509.Certificate, pades.VerifyOptions, error) {
	var opts pades.VerifyOptions
	d, err := db.Open(ctx, cfg.DatabaseURLOrDefault())
	if err != nil {
		return nil, opts, err
	}
	defer d.Close()
	st := pki.SQLStore{DB: d}
	root, err := st.Authority(ctx, "root")
	if err != nil {
		// No CA yet (a database the server never started on).
		return nil, opts, nil
	}
	rc, err := x509.ParseCertificate(root.Cert)
	if err != nil {
		return nil, opts, fmt.Errorf("Madina's root in the database: %w", err)
	}
	if is, err := st.Authority(ctx, "issuing"); err == nil {
		if ic, err := x509.ParseCertificate(is.Cert); err == nil {
			opts.Intermediates = append(opts.Intermediates, ic)
		}
	}
	for _, issuer := range []string{"issuing", "root"} {
		if c, err := st.LatestCRL(ctx, issuer); err == nil {
			opts.CRLs = append(opts.CRLs, c.DER)
		}
	}
	return []*x509.Certificate{rc}, opts, nil
}
