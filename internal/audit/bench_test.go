package audit_test

import (
	"testing"
	"time"

	"madina/internal/audit"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
)

// BenchmarkAppend compares an audited write with a bare INSERT of a row of
// the same shape into a table with the same indexes, each in its own
// transaction, in one run: the ratio is the cost of Append in the write
// path (validation, change digest, the unlinked record). Linking the chain
// (reading the head, hashing) is the Sealer's, after commit.
//
//	go test -run '^$' -bench Append -benchtime 2000x ./internal/audit/
func BenchmarkAppend(b *testing.B) {
	d := dbtest.Open(b, db.SQLite)
	if _, err := d.ExecContext(ctx, `CREATE TABLE bare_log (
		seq INTEGER PRIMARY KEY, at TIMESTAMP NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
		object_type TEXT NOT NULL, object_id TEXT NOT NULL, change_digest TEXT NOT NULL,
		prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
		CREATE INDEX bare_log_object ON bare_log (object_type, object_id, seq);
		CREATE INDEX bare_log_actor ON bare_log (actor, seq)`); err != nil {
		b.Fatal(err)
	}
	e := audit.Entry{
		Actor: "user:42", Action: "district.rename", ObjectType: "district", ObjectID: "anfa",
		Change: map[string]any{"name_fr": "Anfa", "name_ar": "أنفا", "position": 3},
	}
	b.Run("append", func(b *testing.B) {
		for b.Loop() {
			err := d.Transact(ctx, func(tx *db.Tx) error {
				_, err := audit.Append(ctx, tx, e)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bare-insert", func(b *testing.B) {
		for b.Loop() {
			err := d.Transact(ctx, func(tx *db.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO bare_log (at, actor, action, object_type, object_id, change_digest, prev_hash, hash)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
					time.Now(), e.Actor, e.Action, e.ObjectType, e.ObjectID, audit.Genesis, audit.Genesis, audit.Genesis)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
