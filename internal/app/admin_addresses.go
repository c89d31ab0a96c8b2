package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"madina/internal/authz"
	"madina/internal/module"
	"madina/internal/platform/config"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"

	geoportal "madina/internal/geo"
)

// cmdImportAddresses loads the city's address gazetteer — its GIS
// department's address points, a CSV file (address, lat, lon) or a GeoJSON
// FeatureCollection of Points — replacing what the same source gave
// before. A file with any mistake changes nothing, and every mistake is
// printed with its line or feature, in the operator's language (--lang,
// else the terminal's when it is Arabic, French or English, else English).
func cmdImportAddresses(ctx context.Context, args []string, stdout, stderr io.Writer, opt Options) error {
	var source, lang string
	cfg, fs, err := parse("admin import-addresses", "[--source NAME] [flags] FILE\n\nImports the city's address gazetteer from a CSV file (columns address, lat, lon) or a GeoJSON\nFeatureCollection of Points (property address), replacing the addresses the same source gave\nbefore. A file with any mistake changes nothing; each mistake is listed with its line or feature.",
		args, stdout, stderr, (*config.Flags).Server, func(fs *flag.FlagSet) {
			fs.StringVar(&source, "source", "", "the gazetteer's name, which a later import of the same source replaces (default: the file's name)")
			fs.StringVar(&lang, "lang", "", "language of the messages: ar, fr or en (default: the terminal's, else en)")
		})
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "Usage: madina admin import-addresses [--source NAME] [flags] FILE")
		return errUsage
	}
	path := fs.Arg(0)
	if source == "" {
		source = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	// One byte more than the import takes, so that it refuses a larger
	// file without this reading all of it.
	b, err := io.ReadAll(io.LimitReader(f, geoportal.MaxImportBytes+1))
	f.Close()
	if err != nil {
		return err
	}
	a, err := NewWith(ctx, cfg, NewLogger(stderr, cfg.LogFormat, cfg.LogLevel), opt)
	if err != nil {
		return err
	}
	defer a.Close()
	gazetteer, err := module.Need[*geoportal.Addresses](a.env)
	if err != nil {
		return err
	}
	l := cliLang(lang, i18n.EN) // the operators' common language
	t := func(key string, params ...any) string { return a.Cat.T(l, key, params...) }
	file := filepath.Base(path)
	rep, err := gazetteer.Import(ctx, authz.Actor{System: true}, source, file, b)
	var ie *geoportal.ImportError
	if errors.As(err, &ie) {
		var list strings.Builder
		list.WriteString(t("geo.addresses.problems", "file", file))
		for _, p := range ie.Problems {
			where := t("geo.import.at.file")
			switch {
			case p.Line > 0:
				where = t("geo.import.at.line", "n", p.Line)
			case p.Feature > 0:
				where = t("geo.import.at.feature", "n", p.Feature)
			}
			params := map[string]any{}
			for k, v := range p.Params {
				if tx, ok := v.(i18n.Text); ok {
					v = tx.Pick(l)
				}
				params[k] = v
			}
			msg := a.Cat.TMap(l, p.Key, params)
			if p.Field != "" {
				msg = p.Field + ": " + msg
			}
			fmt.Fprintf(&list, "\n  %s: %s", where, msg)
		}
		if ie.More {
			list.WriteString("\n" + t("geo.addresses.more", "max", geoportal.MaxImportProblems))
		}
		return errors.New(list.String())
	}
	if e := errs.As(err); e != nil && e.Kind != errs.Internal && a.Cat.Has(l, e.Key) {
		msg := a.Cat.TMap(l, e.Key, e.Params)
		if e.Field != "" {
			msg = "--" + e.Field + ": " + msg
		}
		return errors.New(msg)
	}
	if err != nil {
		return err
	}
	if err := sealAuditLog(ctx, a.DB); err != nil {
		return err
	}
	fmt.Fprintln(stdout, t("geo.addresses.imported", "file", file, "source", rep.Source, "imported", rep.Imported, "replaced", rep.Replaced))
	return nil
}
