// Package audit keeps Madina's hash-chained audit log: every state change
// appends a record in the same transaction as the change, and a Sealer links
// it into the chain after commit: each sealed record's hash covers its
// fields and the previous record's hash, so that editing, removing or
// reordering past records is detected by Verify, as is a record left
// unsealed longer than UnsealedLimit.
package audit

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"madina/internal/platform/errs"
)

// Entry is one state change to record.
type Entry struct {
	Actor      string // who: "user:42", "system", "professional:7 for owner:9"
	Action     string // what: "district.seed"
	ObjectType string
	ObjectID   string // may be empty for actions on a whole collection
	// Change describes the change. It is marshalled to canonical JSON and
	// only its SHA-256 digest is stored, so personal data stays out of the
	// log while anyone holding the change can prove it matches.
	Change any
	At     time.Time // when; the zero time means now
}

// Record is a stored audit record.
type Record struct {
	Seq          int64     // place in the chain, from 1; 0 until sealed
	At           time.Time // UTC, microsecond precision
	Actor        string
	Action       string
	ObjectType   string
	ObjectID     string
	ChangeDigest string // hex SHA-256 of the change's canonical JSON
	PrevHash     string // hex; Genesis for the first record; empty until sealed
	Hash         string // hex SHA-256, see (Record).ComputeHash; empty until sealed
}

// Genesis is the prev_hash of the first record.
const Genesis = "0000000000000000000000000000000000000000000000000000000000000000"

// Field length limits, in characters, also enforced by the schema.
const (
	MaxActor      = 200
	MaxAction     = 100
	MaxObjectType = 100
	MaxObjectID   = 200
)

// hashVersion is the first field hashed, so that a future encoding cannot
// be confused with this one.
const hashVersion = "madina.audit.v1"

// timeLayout is how At enters the hash: UTC, always six fractional digits.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// ComputeHash returns the hash r should carry: hex SHA-256 over, in order,
// "madina.audit.v1", seq in decimal, at (timeLayout), actor, action,
// object type, object id, change digest and prev_hash, each preceded by its
// length in bytes as a 4-byte big-endian integer. The length prefixes make
// the encoding unambiguous whatever the fields contain.
func (r Record) ComputeHash() string {
	fields := [...]string{
		hashVersion,
		strconv.FormatInt(r.Seq, 10),
		r.At.UTC().Format(timeLayout),
		r.Actor, r.Action, r.ObjectType, r.ObjectID,
		r.ChangeDigest, r.PrevHash,
	}
	h := sha256.New()
	var n [4]byte
	for _, f := range fields {
		binary.BigEndian.PutUint32(n[:], uint32(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Digest returns the hex SHA-256 of change's canonical JSON: change is
// marshalled, decoded into generic values (numbers kept as written) and
// marshalled again, so object keys are sorted at every level whether they
// came from a map or a struct.
func Digest(change any) (string, error) {
	b, err := canonicalJSON(change)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

func canonicalJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var g any
	if err := dec.Decode(&g); err != nil {
		return nil, err
	}
	return json.Marshal(g)
}

// normalize validates e and returns the record to append, without its
// sequence number, prev_hash and hash.
func normalize(e Entry, now func() time.Time) (Record, error) {
	for _, f := range []struct {
		name, value string
		max         int
		required    bool
	}{
		{"actor", e.Actor, MaxActor, true},
		{"action", e.Action, MaxAction, true},
		{"object_type", e.ObjectType, MaxObjectType, true},
		{"object_id", e.ObjectID, MaxObjectID, false},
	} {
		switch {
		case f.required && strings.TrimSpace(f.value) == "":
			return Record{}, errs.E(errs.Invalid, "error.audit.required").OnField(f.name)
		case !utf8.ValidString(f.value) || strings.ContainsRune(f.value, 0):
			return Record{}, errs.E(errs.Invalid, "error.audit.encoding").OnField(f.name)
		case utf8.RuneCountInString(f.value) > f.max:
			return Record{}, errs.E(errs.Invalid, "error.audit.too_long").With("max", f.max).OnField(f.name)
		}
	}
	at := e.At
	if at.IsZero() {
		at = now()
	}
	at = at.UTC().Truncate(time.Microsecond)
	// SQLite stores times as fixed-width text: keep to four-digit years.
	if y := at.Year(); y < 1 || y > 9999 {
		return Record{}, errs.E(errs.Invalid, "error.audit.time").OnField("at")
	}
	digest, err := Digest(e.Change)
	if err != nil {
		return Record{}, errs.E(errs.Invalid, "error.audit.change").OnField("change").Cause(err)
	}
	return Record{
		At:           at,
		Actor:        e.Actor,
		Action:       e.Action,
		ObjectType:   e.ObjectType,
		ObjectID:     e.ObjectID,
		ChangeDigest: digest,
	}, nil
}

// Messages are the audit log's error texts.
//
//go:embed messages/*.json
var Messages embed.FS
