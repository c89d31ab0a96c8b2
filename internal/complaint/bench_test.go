package complaint

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/platform/blob"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

// benchRequests is how many requests the list benchmark loads:
// MADINA_BENCH_REQUESTS, 100,000 by default (the figure is
// 1,000,000: set it for the record, it takes minutes to load).
func benchRequests() int {
	if n, err := strconv.Atoi(os.Getenv("MADINA_BENCH_REQUESTS")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// BenchmarkPublicList: the public list's query for one arrondissement
// and the last 90 days (a page of 50, newest first, as /requests/public
// and Open311 ask it) over a year of requests across the sixteen
// arrondissements, against the bare SQL of the same rows scanned into Go
// values (issue #16: within 3×).
//
//	MADINA_TEST_DATABASE_URL=postgres://… MADINA_BENCH_REQUESTS=1000000 go test -p 1 -run '^$' -bench PublicList -benchtime 200x ./internal/complaint/
func BenchmarkPublicList(b *testing.B) {
	for _, e := range dbtest.Engines() {
		if e == db.Postgres && os.Getenv(dbtest.EnvURL) == "" {
			continue
		}
		b.Run(string(e), func(b *testing.B) {
			d := dbtest.Open(b, e)
			env := newEnv(b, d)
			ctx := context.Background()
			arrs := []string{"anfa", "maarif", "sidi-belyout", "al-fida", "mers-sultan", "ain-sebaa", "hay-mohammadi", "roches-noires",
				"ain-chock", "hay-hassani", "ben-msick", "sbata", "moulay-rachid", "sidi-othmane", "sidi-bernoussi", "sidi-moumen"}
			now := env.clock.now()
			n := benchRequests()
			rnd := rand.New(rand.NewPCG(1, 2))
			const batch = 500
			for i := 0; i < n; i += batch {
				err := d.Transact(ctx, func(tx *db.Tx) error {
					var sb strings.Builder
					var args []any
					sb.WriteString(`INSERT INTO complaint_requests (number, tracking_code, category, catalogue_version, reporter_id,
						organisation_code, arrondissement_code, address, description, public_description, contact, private, state,
						version, filed_at, ack_due, resolve_due, escalate_at, updated_at) VALUES `)
					for j := i; j < min(i+batch, n); j++ {
						if j > i {
							sb.WriteString(", ")
						}
						filed := now.Add(-time.Duration(rnd.Int64N(int64(365 * 24 * time.Hour))))
						p := len(args)
						fmt.Fprintf(&sb, "($%d, 'ABCDEFGH', 'lighting', 'v', $%d, 'lydec', $%d, 'Rue 1', 'Lampadaire', 'Lampadaire', 'inbox', FALSE, 'received', 1, $%d, $%d, $%d, $%d, $%d)",
							p+1, p+2, p+3, p+4, p+5, p+6, p+7, p+8)
						args = append(args, fmt.Sprintf("B%09d", j), env.citizen, arrs[j%len(arrs)], filed, filed.Add(24*time.Hour),
							filed.Add(5*24*time.Hour), filed.Add(10*24*time.Hour), filed)
					}
					_, err := tx.ExecContext(ctx, sb.String(), args...)
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			if e == db.Postgres {
				if _, err := d.ExecContext(ctx, `ANALYZE complaint_requests`); err != nil {
					b.Fatal(err)
				}
			}
			since := now.AddDate(0, 0, -90)
			f := PublicFilter{Arrondissement: "sidi-moumen", Since: since, Limit: 50}
			if rs, err := env.s.PublicList(ctx, f); err != nil || len(rs) != 50 {
				b.Fatalf("the list: %d %v", len(rs), err)
			}
			b.Run("bare SQL", func(b *testing.B) {
				for b.Loop() {
					rows, err := d.QueryContext(ctx, `SELECT `+requestColumns+` FROM complaint_requests
						WHERE filed_at >= $1 AND held_at IS NULL AND arrondissement_code = $2 ORDER BY filed_at DESC, id DESC LIMIT 50`, since, "sidi-moumen")
					if err != nil {
						b.Fatal(err)
					}
					k := 0
					for rows.Next() {
						if _, err := scanRequest(rows); err != nil {
							b.Fatal(err)
						}
						k++
					}
					rows.Close()
					if k != 50 {
						b.Fatalf("%d rows", k)
					}
				}
			})
			b.Run("public list", func(b *testing.B) {
				for b.Loop() {
					if _, err := env.s.PublicList(ctx, f); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}

// benchPhoto is a 5 MB JPEG as a phone takes it (noise compresses
// badly, as a photo of a street does).
func benchPhoto(b *testing.B) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 2600, 1950))
	rnd := rand.New(rand.NewPCG(3, 4))
	for i := range img.Pix {
		img.Pix[i] = uint8(rnd.IntN(256))
	}
	for x := range 2600 { // some structure over the noise
		img.Set(x, 975, color.White)
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 92}); err != nil {
		b.Fatal(err)
	}
	if buf.Len() < 4<<20 || buf.Len() > 7<<20 {
		b.Logf("the photo is %d bytes", buf.Len())
	}
	return buf.Bytes()
}

// BenchmarkFileWithPhoto: filing a request with one 5 MB photo, against
// the bare path of the photo alone — decoded, resized, encoded again and
// stored in the blob store (issue #16: at most 2×).
//
//	MADINA_TEST_DATABASE_URL=postgres://… go test -p 1 -run '^$' -bench FileWithPhoto -benchtime 10x ./internal/complaint/
func BenchmarkFileWithPhoto(b *testing.B) {
	photo := benchPhoto(b)
	for _, e := range dbtest.Engines() {
		if e == db.Postgres && os.Getenv(dbtest.EnvURL) == "" {
			continue
		}
		b.Run(string(e), func(b *testing.B) {
			d := dbtest.Open(b, e)
			env := newEnv(b, d)
			ctx := context.Background()
			b.Logf("photo of %d bytes", len(photo))
			b.Run("file a request", func(b *testing.B) {
				for b.Loop() {
					if _, err := env.s.File(ctx, env.actor(env.citizen), lighting(photo)); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("photo alone", func(b *testing.B) {
				for b.Loop() {
					p, err := processPhoto(bytes.NewReader(photo))
					if err != nil {
						b.Fatal(err)
					}
					if _, err := env.blobs.Put(ctx, bytes.NewReader(p.JPEG), blob.PutOptions{MaxSize: storedMax, Allowed: []string{"image/jpeg"}}); err != nil {
						b.Fatal(err)
					}
				}
			})
		})
	}
}
