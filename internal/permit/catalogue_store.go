package permit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"madina/internal/audit"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// SaveCatalogue checks a catalogue file, stores it as a version and makes
// it the one in force: servers started afterwards serve it (a file given
// with --permit-catalogue-file still wins). Storing a version again with
// the same content changes nothing; the same version number with other
// content is refused, so that a version always means one text.
func SaveCatalogue(ctx context.Context, d *db.DB, b []byte, actor string, now time.Time) (cat *Catalogue, changed bool, err error) {
	if cat, err = Parse(b); err != nil {
		return nil, false, err
	}
	sum := sha256.Sum256(b)
	digest := hex.EncodeToString(sum[:])
	err = d.Transact(ctx, func(tx *db.Tx) error {
		changed = false
		var have string
		var active bool
		err := tx.QueryRowContext(ctx, `SELECT sha256, active FROM permit_catalogues WHERE version = $1`, cat.Version).Scan(&have, &active)
		switch {
		case err == nil && have != digest:
			return errs.E(errs.Conflict, "permit.error.catalogue_version").With("version", cat.Version).
				Cause(fmt.Errorf("permit: catalogue version %s already stored with other content", cat.Version))
		case err == nil && active:
			return nil
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("permit: catalogue: %w", err)
		case err != nil:
			if _, err := tx.ExecContext(ctx, `INSERT INTO permit_catalogues (version, content, sha256, imported_by, imported_at, active)
				VALUES ($1, $2, $3, $4, $5, $6)`, cat.Version, string(b), digest, actor, now, false); err != nil {
				return fmt.Errorf("permit: store catalogue: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE permit_catalogues SET active = $1 WHERE active`, false); err != nil {
			return fmt.Errorf("permit: catalogue: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE permit_catalogues SET active = $1 WHERE version = $2`, true, cat.Version); err != nil {
			return fmt.Errorf("permit: catalogue: %w", err)
		}
		changed = true
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "permit.catalogue_activated", ObjectType: "permit_catalogue",
			ObjectID: cat.Version, Change: map[string]any{"version": cat.Version, "sha256": digest, "effective": cat.Effective}, At: now})
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return cat, changed, nil
}

// ActiveCatalogue returns the catalogue in force in the database;
// errs.NotFound when none was imported.
func ActiveCatalogue(ctx context.Context, q db.Querier) (*Catalogue, error) {
	var content string
	err := q.QueryRowContext(ctx, `SELECT content FROM permit_catalogues WHERE active`).Scan(&content)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "").Cause(errors.New("permit: no catalogue imported"))
	}
	if err != nil {
		return nil, fmt.Errorf("permit: active catalogue: %w", err)
	}
	return Parse([]byte(content))
}
