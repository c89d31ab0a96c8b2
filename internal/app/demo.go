package app

import (
	"context"
	"fmt"
	"io"

	"madina/internal/district"
)

// LoadDemo loads the demonstration data: the reference, then each
// module's demonstration in the order of the list. Running it twice
// changes nothing: every step checks what is already there.
func (a *App) LoadDemo(ctx context.Context, out io.Writer) error {
	if _, err := a.LoadReference(ctx, district.Casablanca(), "demo"); err != nil {
		return fmt.Errorf("demo: reference data: %w", err)
	}
	fmt.Fprintln(out, "demo: Casablanca's 8 prefectures, 16 arrondissements and 17 windows are loaded")
	for _, m := range Modules() {
		if m.Demo == nil {
			continue
		}
		if err := m.Demo(ctx, a.env, out); err != nil {
			return err
		}
	}
	return nil
}
