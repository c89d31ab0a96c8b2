package audit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"time"

	"madina/internal/platform/blob"
	"madina/internal/platform/db"
)

// verifyBatch is how many records Verify reads per query.
const verifyBatch = 1000

// Problem names what is wrong with a broken link.
type Problem string

const (
	Missing          Problem = "missing record"
	PrevHashMismatch Problem = "prev_hash mismatch"
	BadDigest        Problem = "bad digest format"
	HashMismatch     Problem = "hash mismatch"
	// Unsealed: records written more than UnsealedLimit ago are still not
	// linked into the chain (no sealer running, or one failing). Reported
	// at the place the chain would continue, once the chain itself is intact.
	Unsealed Problem = "unsealed records"
)

// UnsealedLimit is how long a record may wait for the sealer before Verify
// reports it; a running sealer links records within about a second.
const UnsealedLimit = time.Minute

// Break is the first broken link of a chain.
type Break struct {
	Seq     int64 // the record at fault (for Missing, the absent one)
	Problem Problem
	Detail  string
}

func (b *Break) String() string { return string(b.Problem) + ": " + b.Detail }

// Report is the outcome of Verify.
type Report struct {
	Checked int64  // records found intact, from #1 on
	Head    string // hash of the last intact record, to compare with an anchor kept elsewhere
	Broken  *Break // nil when the whole chain is intact
	// Unsealed counts the records written but not yet linked into the
	// chain, those of the last UnsealedLimit included.
	Unsealed int64
}

// Intact reports whether no broken link was found.
func (r Report) Intact() bool { return r.Broken == nil }

// ErrBroken is returned, wrapped, by RunVerify for a broken chain.
var ErrBroken = errors.New("audit chain broken")

// Verify walks the whole sealed chain in seq order, a batch at a time,
// recomputing every hash, and stops at the first broken link. Once the
// chain is intact, it reports records written more than UnsealedLimit ago
// and still not sealed as a break (Unsealed) at the place the chain would
// continue. The chain alone cannot reveal the removal or rewriting of its
// newest records, nor of records not sealed yet: compare Head with a copy
// kept outside the database for that.
func (l *Log) Verify(ctx context.Context) (Report, error) {
	rep, err := l.verifyChain(ctx)
	if err != nil || rep.Broken != nil {
		return rep, err
	}
	var late int64
	var oldest sql.NullInt64
	err = l.d.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE seq IS NULL`).Scan(&rep.Unsealed)
	if err == nil && rep.Unsealed > 0 {
		err = l.d.QueryRowContext(ctx, `SELECT count(*), min(id) FROM audit_log WHERE seq IS NULL AND written_at < $1`,
			time.Now().Add(-UnsealedLimit)).Scan(&late, &oldest)
	}
	if err != nil {
		return rep, fmt.Errorf("audit: verify unsealed records: %w", err)
	}
	if late > 0 {
		rep.Broken = &Break{Seq: rep.Checked + 1, Problem: Unsealed,
			Detail: fmt.Sprintf("%d written more than %s ago, the oldest with id %d, are not in the chain; is a sealer running?", late, UnsealedLimit, oldest.Int64)}
	}
	return rep, nil
}

// verifyChain walks the sealed chain.
func (l *Log) verifyChain(ctx context.Context) (Report, error) {
	var rep Report
	prev := Genesis
	next := int64(1)
	for {
		batch, err := l.query(ctx, `SELECT `+columns+` FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT $2`, next, l.batch())
		if err != nil {
			return rep, fmt.Errorf("audit: verify from #%d: %w", next, err)
		}
		for _, r := range batch {
			if b := check(r, next, prev); b != nil {
				rep.Broken = b
				return rep, nil
			}
			rep.Checked++
			rep.Head = r.Hash
			prev = r.Hash
			next++
		}
		if len(batch) < l.batch() {
			return rep, nil
		}
	}
}

func (l *Log) batch() int {
	if l.batchSize > 0 {
		return l.batchSize
	}
	return verifyBatch
}

// check verifies r, expected to be record #seq following a record whose
// hash is prev.
func check(r Record, seq int64, prev string) *Break {
	switch {
	case r.Seq != seq && seq == 1:
		return &Break{Seq: seq, Problem: Missing, Detail: fmt.Sprintf("the chain starts at #%d", r.Seq)}
	case r.Seq != seq:
		return &Break{Seq: seq, Problem: Missing, Detail: fmt.Sprintf("record #%d is followed by #%d", seq-1, r.Seq)}
	case r.PrevHash != prev:
		what := fmt.Sprintf("the hash of record #%d", seq-1)
		if seq == 1 {
			what = "the genesis value"
		}
		return &Break{Seq: seq, Problem: PrevHashMismatch, Detail: "prev_hash is not " + what}
	case !blob.ValidHash(r.ChangeDigest):
		return &Break{Seq: seq, Problem: BadDigest, Detail: "change digest is not a hex SHA-256"}
	case r.ComputeHash() != r.Hash:
		return &Break{Seq: seq, Problem: HashMismatch, Detail: "stored hash does not match the record's fields"}
	}
	return nil
}

// RunVerify verifies the audit chain in d and prints a one-line result to
// w, for `madina audit verify`. It returns an error wrapping ErrBroken when
// the chain is broken.
func RunVerify(ctx context.Context, d *db.DB, w io.Writer) error {
	rep, err := New(d).Verify(ctx)
	if err != nil {
		return err
	}
	if rep.Broken != nil {
		msg := fmt.Sprintf("record #%d: %s", rep.Broken.Seq, rep.Broken)
		fmt.Fprintf(w, "audit chain broken at %s\n", msg)
		return fmt.Errorf("%w at %s", ErrBroken, msg)
	}
	noun := "records"
	if rep.Checked == 1 {
		noun = "record"
	}
	waiting := ""
	if rep.Unsealed > 0 {
		waiting = fmt.Sprintf(" (%d more awaiting the sealer)", rep.Unsealed)
	}
	_, err = fmt.Fprintf(w, "audit chain intact: %d %s%s\n", rep.Checked, noun, waiting)
	return err
}
