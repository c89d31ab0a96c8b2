package permit

import (
	"context"
	"errors"
	"testing"

	"madina/internal/platform/geo"
	"madina/internal/platform/i18n"
)

type ctxKey struct{}

// TestLocatorAsksTheTerritoryWithTheRequestContext: the territory is read
// with the caller's context (its deadline and cancellation), not a
// background one.
func TestLocatorAsksTheTerritoryWithTheRequestContext(t *testing.T) {
	var got any
	locate := Locator(func(ctx context.Context) (geo.Geometry, i18n.Text, error) {
		got = ctx.Value(ctxKey{})
		if err := ctx.Err(); err != nil {
			return geo.Geometry{}, i18n.Text{}, err
		}
		return testBoundary, i18n.Text{AR: "الدار البيضاء", FR: "Casablanca", EN: "Casablanca"}, nil
	})
	ctx := context.WithValue(t.Context(), ctxKey{}, "request")
	if _, err := locate(ctx, "", "33.57", "-7.60"); err != nil {
		t.Fatal(err)
	}
	if got != "request" {
		t.Errorf("the territory was asked with another context (value %v)", got)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := locate(cancelled, "", "33.57", "-7.60"); !errors.Is(err, context.Canceled) {
		t.Errorf("with a cancelled context: %v, want context.Canceled", err)
	}
}
