package app

import (
	"context"
	"time"

	"madina/internal/platform/blob"
	"madina/internal/platform/db"
)

// blobSweepInterval is how often the file store is swept of crash
// leftovers, after a first sweep at start-up.
const blobSweepInterval = time.Hour

// sqlRefs is a blob.Referencer reading one column of hashes.
type sqlRefs struct {
	db    *db.DB
	query string
}

var _ blob.Referencer = sqlRefs{}

func (r sqlRefs) BlobRefs(ctx context.Context, fn func(string)) error {
	rows, err := r.db.QueryContext(ctx, r.query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var sha string
		if err := rows.Scan(&sha); err != nil {
			return err
		}
		fn(sha)
	}
	return rows.Err()
}
