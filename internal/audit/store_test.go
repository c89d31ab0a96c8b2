package audit_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"madina/internal/audit"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
)

var ctx = context.Background()

func entry(i int) audit.Entry {
	return audit.Entry{
		Actor:      fmt.Sprintf("user:%d", i%3),
		Action:     "district.rename",
		ObjectType: "district",
		ObjectID:   fmt.Sprintf("d%d", i%2),
		Change:     map[string]any{"name": fmt.Sprintf("name %d", i)},
	}
}

// mustAppend appends e in its own transaction, seals it and returns the
// sealed record.
func mustAppend(t testing.TB, d *db.DB, e audit.Entry) audit.Record {
	t.Helper()
	err := d.Transact(ctx, func(tx *db.Tx) error {
		_, err := audit.Append(ctx, tx, e)
		return err
	})
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	seal(t, d)
	rs, err := audit.New(d).List(ctx, audit.Filter{Limit: 1})
	if err != nil || len(rs) != 1 || rs[0].Seq == 0 {
		t.Fatalf("head after sealing: %+v, %v", rs, err)
	}
	return rs[0]
}

func mustAppendN(t testing.TB, d *db.DB, n int) []audit.Record {
	t.Helper()
	var rs []audit.Record
	for i := 1; i <= n; i++ {
		rs = append(rs, mustAppend(t, d, entry(i)))
	}
	return rs
}

// seal links every committed record into the chain.
func seal(t testing.TB, d *db.DB) int {
	t.Helper()
	n, err := audit.NewSealer(d, audit.SealerOptions{}).SealNow(ctx)
	if err != nil {
		t.Fatalf("seal: %v", err)
	}
	return n
}

func mustVerify(t *testing.T, d *db.DB) audit.Report {
	t.Helper()
	rep, err := audit.New(d).Verify(ctx)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

func count(t *testing.T, d *db.DB) int {
	t.Helper()
	var n int
	if err := d.QueryRowContext(ctx, `SELECT count(*) FROM audit_log`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAppendChainsAndVerifies(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		casa, err := time.LoadLocation("Africa/Casablanca")
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 3, 1, 10, 0, 0, 123456789, casa)
		var rs []audit.Record
		// Several entries per transaction, and a given time in another zone.
		err = d.Transact(ctx, func(tx *db.Tx) error {
			for i := 1; i <= 3; i++ {
				e := entry(i)
				e.At = at
				r, err := audit.Append(ctx, tx, e)
				if err != nil {
					return err
				}
				rs = append(rs, r)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Until sealed, records are listed first, unlinked.
		unsealed, err := audit.New(d).List(ctx, audit.Filter{Limit: 100})
		if err != nil || len(unsealed) != 3 || unsealed[0].Seq != 0 || unsealed[0].Hash != "" || unsealed[0].PrevHash != "" {
			t.Fatalf("before sealing: %+v, %v; want 3 unsealed records", unsealed, err)
		}
		if n := seal(t, d); n != 3 {
			t.Fatalf("sealed %d, want 3", n)
		}
		for i := range rs {
			rs[i].Seq, rs[i].PrevHash = int64(i+1), audit.Genesis
			if i > 0 {
				rs[i].PrevHash = rs[i-1].Hash
			}
			rs[i].Hash = rs[i].ComputeHash()
		}
		rs = append(rs, mustAppendN(t, d, 4)...)
		prev := audit.Genesis
		for i, r := range rs {
			if r.Seq != int64(i+1) || r.PrevHash != prev || r.Hash != r.ComputeHash() {
				t.Fatalf("record %d = %+v, want seq %d after %s", i, r, i+1, prev)
			}
			prev = r.Hash
		}
		if want := at.UTC().Truncate(time.Microsecond); !rs[0].At.Equal(want) || rs[0].At.Location() != time.UTC {
			t.Errorf("At = %v, want %v in UTC", rs[0].At, want)
		}
		// What is stored is what Append returned.
		stored, err := audit.New(d).List(ctx, audit.Filter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		slices.Reverse(stored)
		if diff := cmp.Diff(rs, stored); diff != "" {
			t.Errorf("stored records differ (-appended and sealed +stored):\n%s", diff)
		}
		for _, batch := range []int{0, 1, 3, 7, 8} {
			l := audit.New(d)
			audit.SetVerifyBatch(l, batch)
			rep, err := l.Verify(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !rep.Intact() || rep.Checked != 7 || rep.Head != rs[6].Hash {
				t.Errorf("batch %d: Verify = %+v, want 7 intact records ending in %s", batch, rep, rs[6].Hash)
			}
		}
	})
}

// A rolled-back transaction leaves no record, and no gap in the chain.
func TestRolledBackAppendLeavesNoRecordAndNoGap(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		mustAppendN(t, d, 2)
		boom := errors.New("boom")
		err := d.Transact(ctx, func(tx *db.Tx) error {
			if _, err := audit.Append(ctx, tx, entry(3)); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Transact = %v, want boom", err)
		}
		seal(t, d)
		if n := count(t, d); n != 2 {
			t.Fatalf("%d records after rollback, want 2", n)
		}
		if r := mustAppend(t, d, entry(4)); r.Seq != 3 {
			t.Fatalf("next seq = %d, want 3", r.Seq)
		}
		if rep := mustVerify(t, d); !rep.Intact() || rep.Checked != 3 {
			t.Fatalf("Verify = %+v, want 3 intact", rep)
		}
	})
}

// Concurrent writers append without waiting for one another, while two
// sealers (as on two nodes) link their records: every committed record is
// sealed exactly once into one chain, rolled-back ones never.
func TestConcurrentAppendsStayOneChain(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		const writers, each = 8, 15
		sctx, stop := context.WithCancel(ctx)
		var sealers sync.WaitGroup
		for range 2 {
			sealers.Add(1)
			go func() {
				defer sealers.Done()
				audit.NewSealer(d, audit.SealerOptions{Interval: 2 * time.Millisecond, Batch: 4}).Run(sctx)
			}()
		}
		var (
			wg        sync.WaitGroup
			mu        sync.Mutex
			committed []string
		)
		rollback := errors.New("rolled back")
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					e := entry(i)
					e.ObjectID = fmt.Sprintf("w%d-%d", w, i)
					err := d.Transact(ctx, func(tx *db.Tx) error {
						if _, err := audit.Append(ctx, tx, e); err != nil {
							return err
						}
						if i%5 == 4 {
							return rollback
						}
						return nil
					})
					switch {
					case err == nil:
						mu.Lock()
						committed = append(committed, e.ObjectID)
						mu.Unlock()
					case !errors.Is(err, rollback):
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		stop()
		sealers.Wait()
		seal(t, d)
		rep := mustVerify(t, d)
		if !rep.Intact() || rep.Checked != int64(len(committed)) || rep.Unsealed != 0 {
			t.Fatalf("Verify = %+v (broken %+v), want %d intact and none unsealed", rep, rep.Broken, len(committed))
		}
		rs, err := audit.New(d).List(ctx, audit.Filter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var stored []string
		for _, r := range rs {
			stored = append(stored, r.ObjectID)
		}
		slices.Sort(stored)
		slices.Sort(committed)
		if diff := cmp.Diff(committed, stored); diff != "" {
			t.Fatalf("sealed records differ from committed ones (-committed +sealed):\n%s", diff)
		}
	})
}

func TestTamperingIsDetected(t *testing.T) {
	exec := func(q string, args ...any) func(*testing.T, *db.DB, []audit.Record) {
		return func(t *testing.T, d *db.DB, _ []audit.Record) {
			t.Helper()
			res, err := d.ExecContext(ctx, q, args...)
			if err != nil {
				t.Fatal(err)
			}
			if n, _ := res.RowsAffected(); n != 1 {
				t.Fatalf("%s changed %d rows", q, n)
			}
		}
	}
	otherHash := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name    string
		tamper  func(*testing.T, *db.DB, []audit.Record)
		seq     int64
		problem audit.Problem
	}{
		{"update action", exec(`UPDATE audit_log SET action = 'district.delete' WHERE seq = 3`), 3, audit.HashMismatch},
		{"update actor", exec(`UPDATE audit_log SET actor = 'user:666' WHERE seq = 3`), 3, audit.HashMismatch},
		{"update object type", exec(`UPDATE audit_log SET object_type = 'permit' WHERE seq = 3`), 3, audit.HashMismatch},
		{"update object id", exec(`UPDATE audit_log SET object_id = 'x' WHERE seq = 3`), 3, audit.HashMismatch},
		{"update time", exec(`UPDATE audit_log SET at = $1 WHERE seq = 3`, time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)), 3, audit.HashMismatch},
		{"update digest", exec(`UPDATE audit_log SET change_digest = $1 WHERE seq = 3`, otherHash), 3, audit.HashMismatch},
		{"non-hex digest", exec(`UPDATE audit_log SET change_digest = $1 WHERE seq = 3`, strings.Repeat("zz", 32)), 3, audit.BadDigest},
		{"upper-case digest", exec(`UPDATE audit_log SET change_digest = $1 WHERE seq = 3`, strings.Repeat("AB", 32)), 3, audit.BadDigest},
		{"delete middle", exec(`DELETE FROM audit_log WHERE seq = 3`), 3, audit.Missing},
		{"delete first", exec(`DELETE FROM audit_log WHERE seq = 1`), 1, audit.Missing},
		{"change prev_hash", exec(`UPDATE audit_log SET prev_hash = $1 WHERE seq = 3`, otherHash), 3, audit.PrevHashMismatch},
		{"change first prev_hash", exec(`UPDATE audit_log SET prev_hash = $1 WHERE seq = 1`, otherHash), 1, audit.PrevHashMismatch},
		{"rewrite and rehash", func(t *testing.T, d *db.DB, rs []audit.Record) {
			r := rs[2]
			r.Action = "district.delete"
			r.Hash = r.ComputeHash()
			exec(`UPDATE audit_log SET action = $1, hash = $2 WHERE seq = 3`, r.Action, r.Hash)(t, d, rs)
		}, 4, audit.PrevHashMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbtest.Run(t, func(t *testing.T, d *db.DB) {
				rs := mustAppendN(t, d, 5)
				if rep := mustVerify(t, d); !rep.Intact() {
					t.Fatalf("before tampering: %+v", rep.Broken)
				}
				tc.tamper(t, d, rs)
				l := audit.New(d)
				audit.SetVerifyBatch(l, 2) // the break falls in the second batch
				rep, err := l.Verify(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if rep.Broken == nil || rep.Broken.Seq != tc.seq || rep.Broken.Problem != tc.problem || rep.Checked != tc.seq-1 {
					t.Fatalf("Verify = %+v (broken %+v), want %q at #%d after %d intact", rep, rep.Broken, tc.problem, tc.seq, tc.seq-1)
				}
			})
		})
	}
}

func TestRunVerify(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		var out bytes.Buffer
		if err := audit.RunVerify(ctx, d, &out); err != nil || out.String() != "audit chain intact: 0 records\n" {
			t.Fatalf("empty: %q, %v", out.String(), err)
		}
		mustAppendN(t, d, 3)
		out.Reset()
		if err := audit.RunVerify(ctx, d, &out); err != nil || out.String() != "audit chain intact: 3 records\n" {
			t.Fatalf("intact: %q, %v", out.String(), err)
		}
		if _, err := d.ExecContext(ctx, `UPDATE audit_log SET object_id = 'other' WHERE seq = 2`); err != nil {
			t.Fatal(err)
		}
		out.Reset()
		err := audit.RunVerify(ctx, d, &out)
		want := "audit chain broken at record #2: hash mismatch: stored hash does not match the record's fields\n"
		if !errors.Is(err, audit.ErrBroken) || out.String() != want {
			t.Fatalf("broken: %q, %v; want %q and ErrBroken", out.String(), err, want)
		}
	})
}

func TestInvalidEntriesAreRefused(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		long := strings.Repeat("é", audit.MaxActor+1)
		for _, tc := range []struct {
			name  string
			edit  func(*audit.Entry)
			field string
		}{
			{"no actor", func(e *audit.Entry) { e.Actor = "" }, "actor"},
			{"blank actor", func(e *audit.Entry) { e.Actor = " \t" }, "actor"},
			{"no action", func(e *audit.Entry) { e.Action = "" }, "action"},
			{"no object type", func(e *audit.Entry) { e.ObjectType = "" }, "object_type"},
			{"long actor", func(e *audit.Entry) { e.Actor = long }, "actor"},
			{"long action", func(e *audit.Entry) { e.Action = strings.Repeat("a", audit.MaxAction+1) }, "action"},
			{"long object id", func(e *audit.Entry) { e.ObjectID = strings.Repeat("1", audit.MaxObjectID+1) }, "object_id"},
			{"bad UTF-8", func(e *audit.Entry) { e.ObjectID = "\xff" }, "object_id"},
			{"NUL", func(e *audit.Entry) { e.Action = "a\x00b" }, "action"},
			{"year 10000", func(e *audit.Entry) { e.At = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }, "at"},
			{"unmarshallable change", func(e *audit.Entry) { e.Change = make(chan int) }, "change"},
		} {
			e := entry(1)
			tc.edit(&e)
			err := d.Transact(ctx, func(tx *db.Tx) error {
				_, err := audit.Append(ctx, tx, e)
				return err
			})
			if !errs.Is(err, errs.Invalid) || errs.As(err).Field != tc.field {
				t.Errorf("%s: err = %v, want invalid on %s", tc.name, err, tc.field)
			}
		}
		if n := count(t, d); n != 0 {
			t.Fatalf("%d records written by invalid entries", n)
		}
		// Limits are in characters, as in the schema.
		e := entry(1)
		e.Actor = long[:len(long)-len("é")]
		if r := mustAppend(t, d, e); r.Seq != 1 {
			t.Fatalf("seq = %d, want 1", r.Seq)
		}
	})
}

func TestSchemaHoldsTheInvariants(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		r := mustAppend(t, d, entry(1))
		insert := func(seq int64, actor, hash string) error {
			_, err := d.ExecContext(ctx, `INSERT INTO audit_log (seq, at, actor, action, object_type, object_id, change_digest, prev_hash, hash, written_at)
				VALUES ($1, $2, $3, 'a', 'o', '', $4, $5, $6, $2)`, seq, time.Now(), actor, r.ChangeDigest, r.Hash, hash)
			return err
		}
		if err := insert(1, "x", r.Hash); !db.IsUniqueViolation(err) {
			t.Errorf("second seq 1: %v, want unique violation", err)
		}
		if err := insert(2, "", r.Hash); !db.IsConstraintViolation(err) {
			t.Errorf("empty actor: %v, want constraint violation", err)
		}
		if err := insert(2, "x", "abc"); !db.IsConstraintViolation(err) {
			t.Errorf("short hash: %v, want constraint violation", err)
		}
		if err := insert(0, "x", r.Hash); !db.IsConstraintViolation(err) {
			t.Errorf("seq 0: %v, want constraint violation", err)
		}
		// A record is sealed, or not at all.
		for _, q := range []string{
			`INSERT INTO audit_log (seq, at, written_at, actor, action, object_type, object_id, change_digest) VALUES (2, $1, $1, 'x', 'a', 'o', '', $2)`,
			`INSERT INTO audit_log (at, written_at, actor, action, object_type, object_id, change_digest, hash) VALUES ($1, $1, 'x', 'a', 'o', '', $2, $2)`,
			`INSERT INTO audit_log (at, written_at, actor, action, object_type, object_id, change_digest, prev_hash) VALUES ($1, $1, 'x', 'a', 'o', '', $2, $2)`,
		} {
			if _, err := d.ExecContext(ctx, q, time.Now(), r.ChangeDigest); !db.IsConstraintViolation(err) {
				t.Errorf("%s: %v, want constraint violation", q, err)
			}
		}
	})
}

func TestList(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		mustAppendN(t, d, 9) // actors user:(i%3), objects d(i%2)
		seqs := func(f audit.Filter) []int64 {
			t.Helper()
			rs, err := audit.New(d).List(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var s []int64
			for _, r := range rs {
				s = append(s, r.Seq)
			}
			return s
		}
		for _, tc := range []struct {
			name string
			f    audit.Filter
			want []int64
		}{
			{"all", audit.Filter{}, []int64{9, 8, 7, 6, 5, 4, 3, 2, 1}},
			{"object", audit.Filter{ObjectType: "district", ObjectID: "d0"}, []int64{8, 6, 4, 2}},
			{"object type", audit.Filter{ObjectType: "district", Limit: 2}, []int64{9, 8}},
			{"other type", audit.Filter{ObjectType: "permit"}, nil},
			{"actor", audit.Filter{Actor: "user:1"}, []int64{7, 4, 1}},
			{"actor and object", audit.Filter{Actor: "user:1", ObjectType: "district", ObjectID: "d1"}, []int64{7, 1}},
			{"page", audit.Filter{Limit: 3, BeforeSeq: 7}, []int64{6, 5, 4}},
			{"object page", audit.Filter{ObjectType: "district", ObjectID: "d1", BeforeSeq: 5}, []int64{3, 1}},
		} {
			if got := seqs(tc.f); !slices.Equal(got, tc.want) {
				t.Errorf("%s: seqs = %v, want %v", tc.name, got, tc.want)
			}
		}
		if _, err := audit.New(d).List(ctx, audit.Filter{ObjectID: "d1"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("object id without type: %v, want invalid", err)
		}
	})
}

// TestListByDateActingForAndSealed: the viewer's filters — a date range,
// an actor with what they did for others, and the sealed chain alone.
func TestListByDateActingForAndSealed(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		for i, e := range []audit.Entry{
			{Actor: "person:7", At: day.Add(-24 * time.Hour)},
			{Actor: "person:7 for legal:3", At: day},
			{Actor: "person:70", At: day.Add(time.Hour)},
			{Actor: "person:7", At: day.Add(24 * time.Hour)},
		} {
			e.Action, e.ObjectType, e.ObjectID, e.Change = "district.rename", "district", fmt.Sprint(i), i
			mustAppend(t, d, e)
		}
		seqs := func(f audit.Filter) []int64 {
			t.Helper()
			rs, err := audit.New(d).List(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var s []int64
			for _, r := range rs {
				s = append(s, r.Seq)
			}
			return s
		}
		for _, tc := range []struct {
			name string
			f    audit.Filter
			want []int64
		}{
			{"actor alone", audit.Filter{Actor: "person:7"}, []int64{4, 1}},
			{"actor and for others", audit.Filter{Actor: "person:7", ActingFor: true}, []int64{4, 2, 1}},
			{"the day", audit.Filter{Since: day.Add(-time.Hour), Until: day.Add(23 * time.Hour)}, []int64{3, 2}},
			{"since", audit.Filter{Since: day.Add(time.Hour)}, []int64{4, 3}},
			{"day and actor", audit.Filter{Actor: "person:7", ActingFor: true, Since: day.Add(-time.Hour), Until: day.Add(23 * time.Hour)}, []int64{2}},
		} {
			if got := seqs(tc.f); !slices.Equal(got, tc.want) {
				t.Errorf("%s: seqs = %v, want %v", tc.name, got, tc.want)
			}
		}
		// An unsealed record comes first, but not with SealedOnly.
		if err := d.Transact(ctx, func(tx *db.Tx) error {
			_, err := audit.Append(ctx, tx, entry(1))
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if got := seqs(audit.Filter{Limit: 2}); !slices.Equal(got, []int64{0, 4}) {
			t.Errorf("with the unsealed: %v", got)
		}
		if got := seqs(audit.Filter{Limit: 2, SealedOnly: true}); !slices.Equal(got, []int64{4, 3}) {
			t.Errorf("sealed only: %v", got)
		}
	})
}
