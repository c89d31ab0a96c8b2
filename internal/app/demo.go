package app

import (
	"context"
	"fmt"
	"io"

	"madina/internal/district"
)

// LoadDemo loads the demonstration data. Running it twice changes nothing:
// every step checks what is already there.
func (a *App) LoadDemo(ctx context.Context, out io.Writer) error {
	if _, err := a.LoadReference(ctx, district.Casablanca(), "demo"); err != nil {
		return fmt.Errorf("demo: reference data: %w", err)
	}
	fmt.Fprintln(out, "demo: Casablanca's 8 prefectures, 16 arrondissements and 17 windows are loaded")
	if err := a.loadDemoAccounts(ctx, out); err != nil {
		return err
	}
	return a.loadDemoFiles(ctx, out)
}
