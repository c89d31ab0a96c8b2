package complaint

import (
	"context"
	"testing"

	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

// TestPointSnapsToItsArrondissement: a request with a point needs no
// arrondissement chosen — the outlines place it — and one chosen wrongly
// gives way to the point's; without a point the choice stands (and is
// required).
func TestPointSnapsToItsArrondissement(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		in := lighting()
		in.Arrondissement = ""
		r, err := e.s.File(ctx, e.actor(e.citizen), in)
		if err != nil || r.Arrondissement != "sidi-moumen" {
			t.Fatalf("no arrondissement chosen: %v %+v", err, r)
		}
		in.Arrondissement = "anfa"
		if r, err = e.s.File(ctx, e.actor(e.citizen), in); err != nil || r.Arrondissement != "sidi-moumen" {
			t.Fatalf("Anfa chosen for a point in Sidi Moumen: %v %+v", err, r)
		}
		in.Lat, in.Lon, in.Address, in.Arrondissement = "", "", "Derb Sultan, rue 7", ""
		if _, err := e.s.File(ctx, e.actor(e.citizen), in); err == nil {
			t.Fatal("filed with neither a point nor an arrondissement")
		}
		in.Arrondissement = "al-fida"
		if r, err = e.s.File(ctx, e.actor(e.citizen), in); err != nil || r.Arrondissement != "al-fida" {
			t.Fatalf("an address in Al Fida: %v %+v", err, r)
		}
	})
}
