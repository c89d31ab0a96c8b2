package booking

import (
	"fmt"
	"io"
	"os"

	"madina/internal/platform/i18n"
)

// A city serves its own Casa In catalogue instead of the embedded one
// (--booking-catalogue-file), checked first with `madina booking
// check-catalogue FILE`: the same Load, every contradiction of every
// facility named in English. The catalogue seeds what is missing at each
// start; facilities created at the desk (facilitycreate.go) stay as they
// are, and a catalogue's facility whose code is already taken is not
// seeded.

// catalogueSource is the catalogue file at path, or the embedded one.
func catalogueSource(path string) ([]byte, error) {
	if path == "" {
		return defaultCatalogue, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("booking catalogue: %w", err)
	}
	return b, nil
}

// checkCatalogueCLI runs `madina booking check-catalogue FILE`: 0 when
// the file would load, 1 with every mistake named, 3 unreadable, 2
// usage.
func checkCatalogueCLI(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 || args[0] == "" {
		fmt.Fprintf(stderr, "madina booking check-catalogue: one FILE\n\n%s", cliUsage)
		return DrawUsage
	}
	b, err := catalogueSource(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "madina booking check-catalogue: %v\n", err)
		return DrawUnreadable
	}
	cat, err := messagesCatalog()
	if err != nil {
		fmt.Fprintf(stderr, "madina booking check-catalogue: %v\n", err)
		return DrawUnreadable
	}
	c, err := Load(b, cat)
	if err != nil {
		fmt.Fprintf(stdout, "NOT VALID: %v\n", err)
		return DrawDiffers
	}
	n := 0
	for _, f := range c.Facilities {
		if len(f.Hours) == 0 && !f.Request() {
			n++
		}
	}
	fmt.Fprintf(stdout, "VALID: catalogue %s, %d facilities (%d not yet open: no hours), a penalty ladder of %d steps, %d seasons\n",
		c.Version, len(c.Facilities), n, len(c.Penalties.Steps), len(c.Seasons))
	return DrawConfirmed
}

// messagesCatalog is Casa In's messages, to name a catalogue's mistakes.
func messagesCatalog() (*i18n.Catalog, error) { return i18n.Load(Messages) }
