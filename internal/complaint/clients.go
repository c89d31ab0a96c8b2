package complaint

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/district"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/geo"
	"madina/internal/platform/textin"
	"madina/internal/platform/textnorm"
)

// Open311Client is an application that staff registered to post
// citizens' requests through Open311 (a FixMyStreet-like site, a phone
// app). Its key is shown once, when it is registered; only its SHA-256 is
// kept.
type Open311Client struct {
	ID        int64
	Name      string
	IssuedBy  int64 // 0: the server's operator
	IssuedAt  time.Time
	RevokedAt *time.Time
}

// KeyPrefix starts every Open311 key, so that one pasted in the wrong
// place is recognised.
const KeyPrefix = "o311_"

// MaxClientName bounds a client's name.
const MaxClientName = 200

var keyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newKey is a fresh key: 160 random bits.
func newKey() string {
	b := make([]byte, 20)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return KeyPrefix + strings.ToLower(keyEncoding.EncodeToString(b))
}

// randomToken is a request's Open311 token: 120 random bits.
func randomToken() string {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return strings.ToLower(keyEncoding.EncodeToString(b))
}

func keyHash(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// RegisterOpen311Client registers an application and gives its key, which
// is never shown again.
func (s *Service) RegisterOpen311Client(ctx context.Context, a authz.Actor, name string) (*Open311Client, string, error) {
	if err := authz.Check(a, authz.ManageOpen311Clients, authz.Resource{}); err != nil {
		return nil, "", err
	}
	name, err := textin.Clean(strings.TrimSpace(name), textin.Line)
	if err != nil {
		return nil, "", errs.As(err).OnField("name")
	}
	if n := utf8.RuneCountInString(name); n == 0 || n > MaxClientName {
		return nil, "", errs.E(errs.Invalid, "complaint.error.client_name").With("max", MaxClientName).OnField("name")
	}
	key := newKey()
	c := &Open311Client{Name: name, IssuedBy: a.Person, IssuedAt: s.now().UTC().Truncate(time.Microsecond)}
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		var by any
		if a.Person != 0 {
			by = a.Person
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO complaint_open311_clients (name, key_hash, issued_by, issued_at)
			VALUES ($1, $2, $3, $4) RETURNING id`, c.Name, keyHash(key), by, c.IssuedAt).Scan(&c.ID); err != nil {
			return fmt.Errorf("complaint: register client: %w", err)
		}
		_, err := audit.Append(ctx, tx, audit.Entry{Actor: clientActorLabel(a), Action: "complaint.open311_client.register",
			ObjectType: "complaint_open311_client", ObjectID: strconv.FormatInt(c.ID, 10), Change: map[string]any{"name": c.Name}, At: c.IssuedAt})
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return c, key, nil
}

// RevokeOpen311Client stops a client's key; the requests it posted stay.
func (s *Service) RevokeOpen311Client(ctx context.Context, a authz.Actor, id int64) error {
	if err := authz.Check(a, authz.ManageOpen311Clients, authz.Resource{}); err != nil {
		return err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE complaint_open311_clients SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, now, id)
		if err != nil {
			return fmt.Errorf("complaint: revoke client: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.NotFound, "complaint.error.client")
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: clientActorLabel(a), Action: "complaint.open311_client.revoke",
			ObjectType: "complaint_open311_client", ObjectID: strconv.FormatInt(id, 10), At: now})
		return err
	})
}

func clientActorLabel(a authz.Actor) string {
	if a.System {
		return "system"
	}
	return authz.ActorLabel(a, authz.Resource{})
}

// Open311Clients lists the registered clients, newest first.
func (s *Service) Open311Clients(ctx context.Context, a authz.Actor) ([]Open311Client, error) {
	if err := authz.Check(a, authz.ManageOpen311Clients, authz.Resource{}); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, COALESCE(issued_by, 0), issued_at, revoked_at
		FROM complaint_open311_clients ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("complaint: clients: %w", err)
	}
	defer rows.Close()
	var out []Open311Client
	for rows.Next() {
		var c Open311Client
		var rev sql.NullTime
		if err := rows.Scan(&c.ID, &c.Name, &c.IssuedBy, &c.IssuedAt, &rev); err != nil {
			return nil, err
		}
		c.IssuedAt, c.RevokedAt = c.IssuedAt.UTC(), nullTime(rev)
		out = append(out, c)
	}
	return out, rows.Err()
}

// Open311Actor is who posts with key: the client it was given to, as the
// policy knows it, unless the key is unknown or revoked (Unauthenticated).
// The key is looked up by its hash, so no comparison of secrets leaks
// their length or prefix.
func (s *Service) Open311Actor(ctx context.Context, key string) (authz.Actor, error) {
	key = strings.TrimSpace(key)
	if key == "" || len(key) > 200 {
		return authz.Actor{}, errs.E(errs.Unauthenticated, "complaint.open311.api_key")
	}
	var id int64
	var rev sql.NullTime
	err := s.db.QueryRowContext(ctx, `SELECT id, revoked_at FROM complaint_open311_clients WHERE key_hash = $1`, keyHash(key)).Scan(&id, &rev)
	if errors.Is(err, sql.ErrNoRows) || err == nil && rev.Valid {
		return authz.Actor{}, errs.E(errs.Unauthenticated, "complaint.open311.api_key")
	}
	if err != nil {
		return authz.Actor{}, fmt.Errorf("complaint: client key: %w", err)
	}
	return authz.Actor{Open311Client: id, Now: s.now()}, nil
}

// Bounds of what a client sends of the person.
const (
	MaxViaName  = 200
	MaxViaEmail = 254
	MaxViaPhone = 32
	MaxDevice   = 200
)

// checkVia checks (and tidies) what an Open311 client sent of the person:
// each field optional, an e-mail address that is one, a phone number of
// digits with the signs people type.
func checkVia(v *Open311Person) error {
	var fe errs.Fields
	v.Name, v.Email, v.Device = strings.TrimSpace(v.Name), strings.TrimSpace(v.Email), strings.TrimSpace(v.Device)
	v.Phone = strings.TrimSpace(textnorm.Digits(v.Phone))
	for _, f := range []struct {
		name string
		v    string
		max  int
	}{{"name", v.Name, MaxViaName}, {"email", v.Email, MaxViaEmail}, {"phone", v.Phone, MaxViaPhone}, {"device_id", v.Device, MaxDevice}} {
		if utf8.RuneCountInString(f.v) > f.max {
			_ = fe.Add(errs.E(errs.Invalid, "complaint.error.too_long").With("max", f.max).OnField(f.name))
		}
	}
	if v.Email != "" && !fe.Has("email") {
		if a, err := mail.ParseAddress(v.Email); err != nil || a.Address != v.Email {
			_ = fe.Add(errs.E(errs.Invalid, "complaint.error.email").OnField("email"))
		}
	}
	if v.Phone != "" && !fe.Has("phone") {
		digits := 0
		for _, r := range v.Phone {
			switch {
			case r >= '0' && r <= '9':
				digits++
			case strings.ContainsRune("+ .-()", r):
			default:
				digits = -100
			}
		}
		if digits < 6 {
			_ = fe.Add(errs.E(errs.Invalid, "complaint.error.phone").OnField("phone"))
		}
	}
	return fe.Err()
}

// placer is the territorial reference when it knows the arrondissements'
// boundaries (district's store, point-in-polygon).
type placer interface {
	ArrondissementAt(ctx context.Context, p geo.Point) (district.Arrondissement, bool, error)
}

// arrondissementAt is the code of the arrondissement the point lies in,
// "" when the reference cannot tell.
func (s *Service) arrondissementAt(ctx context.Context, lat, lon float64) (string, error) {
	p, ok := s.places.(placer)
	if !ok {
		return "", nil
	}
	a, found, err := p.ArrondissementAt(ctx, geo.Point{Lat: lat, Lon: lon})
	if err != nil || !found {
		return "", err
	}
	return a.Code, nil
}

// clientName names an Open311 client.
func clientName(ctx context.Context, q db.Querier, id int64) (string, error) {
	var name string
	if err := q.QueryRowContext(ctx, `SELECT name FROM complaint_open311_clients WHERE id = $1`, id).Scan(&name); err != nil {
		return "", fmt.Errorf("complaint: client %d: %w", id, err)
	}
	return name + " (Open311)", nil
}
