package planreview

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// The capability's SQL: one text for both engines.

// storedPages reads what was read once of sheet sha; nil when never read.
func storedPages(ctx context.Context, q db.Querier, sha string) ([]Page, error) {
	rows, err := q.QueryContext(ctx, `SELECT page, x0, y0, x1, y1, rotate, user_unit, COALESCE(measure, 0), measure_ratio
		FROM planreview_pages WHERE sha256 = $1 ORDER BY page`, sha)
	if err != nil {
		return nil, fmt.Errorf("planreview: pages of %s: %w", sha, err)
	}
	defer rows.Close()
	var out []Page
	for rows.Next() {
		var p Page
		if err := rows.Scan(&p.N, &p.Box[0], &p.Box[1], &p.Box[2], &p.Box[3], &p.Rotate, &p.UserUnit, &p.Measure, &p.Ratio); err != nil {
			return nil, fmt.Errorf("planreview: pages of %s: %w", sha, err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// savePages records the pages read of sheet sha, once (another node may
// have read the same sheet at the same time: the first one counts).
func savePages(ctx context.Context, tx *db.Tx, sha string, pages []Page, now time.Time) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO planreview_sheets (sha256, pages, read_at) VALUES ($1, $2, $3)
		ON CONFLICT (sha256) DO NOTHING`, sha, len(pages), now)
	if err != nil {
		return fmt.Errorf("planreview: save sheet %s: %w", sha, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	for _, p := range pages {
		var measure any
		if p.Measure > 0 {
			measure = p.Measure
		}
		ratio := p.Ratio
		if len(ratio) > 200 {
			ratio = ratio[:200]
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO planreview_pages (sha256, page, x0, y0, x1, y1, rotate, user_unit, measure, measure_ratio)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`, sha, p.N, p.Box[0], p.Box[1], p.Box[2], p.Box[3], p.Rotate, p.UserUnit,
			measure, ratio); err != nil {
			return fmt.Errorf("planreview: save page %d of %s: %w", p.N, sha, err)
		}
	}
	return nil
}

const annotationColumns = `a.id, a.file_id, a.document_id, a.item, a.doc_version, a.page, a.kind, a.geometry, a.body, a.motivation,
	a.status, a.visibility, a.round, a.author_id, a.side, COALESCE(a.organisation_code, ''), COALESCE(a.calibration, ''),
	a.measured, a.measured2, a.created_at, a.updated_at, COALESCE(a.resolved_version, 0), COALESCE(a.resolved_by, 0),
	a.resolved_at, a.version`

// visibleOn is the condition that annotation a shows on version $3 of
// item $2 of file $1: made on it, or made on an earlier version and
// carried: still open, or resolved on this version or a later one.
const visibleOn = `a.file_id = $1 AND a.item = $2 AND (a.doc_version = $3 OR (a.doc_version < $3
	AND (a.status = 'open' OR (a.status = 'resolved' AND a.resolved_version >= $3))))`

func scanAnnotation(sc interface{ Scan(...any) error }) (*Annotation, error) {
	var a Annotation
	var geom, cal string
	var m1, m2 sql.NullFloat64
	var resolvedAt sql.NullTime
	if err := sc.Scan(&a.ID, &a.File, &a.Document, &a.Item, &a.DocVersion, &a.Page, &a.Kind, &geom, &a.Body, &a.Motivation,
		&a.Status, &a.Visibility, &a.Round, &a.Author, &a.Side, &a.Organisation, &cal, &m1, &m2, &a.Created, &a.Updated,
		&a.ResolvedVersion, &a.ResolvedBy, &resolvedAt, &a.Version); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(geom), &a.Shape); err != nil {
		return nil, fmt.Errorf("planreview: annotation %d: geometry: %w", a.ID, err)
	}
	if cal != "" {
		a.Calibration = &Calibration{}
		if err := json.Unmarshal([]byte(cal), a.Calibration); err != nil {
			return nil, fmt.Errorf("planreview: annotation %d: calibration: %w", a.ID, err)
		}
	}
	if m1.Valid {
		a.Measurement = &Measurement{Value: m1.Float64, Unit: unitOf(a.Kind)}
		if m2.Valid {
			a.Measurement.Perimeter = m2.Float64
		}
	}
	a.Created, a.Updated = a.Created.UTC(), a.Updated.UTC()
	if resolvedAt.Valid {
		t := resolvedAt.Time.UTC()
		a.ResolvedAt = &t
	}
	return &a, nil
}

func unitOf(kind string) string {
	switch kind {
	case "distance", "polyline":
		return "m"
	case "area", "rectangle_area":
		return "m2"
	case "count":
		return "count"
	case "angle":
		return "deg"
	}
	return ""
}

// sheetAnnotations lists the annotations showing on version v of item of
// file, oldest first; committee-only ones only when withCommittee.
func sheetAnnotations(ctx context.Context, q db.Querier, file int64, item string, v int, withCommittee bool) ([]*Annotation, error) {
	cond := visibleOn
	if !withCommittee {
		cond += ` AND a.visibility = 'shared'`
	}
	rows, err := q.QueryContext(ctx, `SELECT `+annotationColumns+` FROM planreview_annotations a WHERE `+cond+` ORDER BY a.id`,
		file, item, v)
	if err != nil {
		return nil, fmt.Errorf("planreview: annotations: %w", err)
	}
	defer rows.Close()
	var out []*Annotation
	byID := map[int64]*Annotation{}
	for rows.Next() {
		a, err := scanAnnotation(rows)
		if err != nil {
			return nil, fmt.Errorf("planreview: annotations: %w", err)
		}
		out = append(out, a)
		byID[a.ID] = a
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(out) == 0 {
		return out, nil
	}
	rs, err := q.QueryContext(ctx, `SELECT r.id, r.annotation_id, r.document_id, r.author_id, r.side, COALESCE(r.organisation_code, ''),
		r.body, r.created_at FROM planreview_replies r JOIN planreview_annotations a ON a.id = r.annotation_id
		WHERE `+cond+` ORDER BY r.id`, file, item, v)
	if err != nil {
		return nil, fmt.Errorf("planreview: replies: %w", err)
	}
	defer rs.Close()
	for rs.Next() {
		var r Reply
		if err := rs.Scan(&r.ID, &r.Annotation, &r.Document, &r.Author, &r.Side, &r.Organisation, &r.Body, &r.Created); err != nil {
			return nil, fmt.Errorf("planreview: replies: %w", err)
		}
		r.Created = r.Created.UTC()
		if a := byID[r.Annotation]; a != nil {
			a.Replies = append(a.Replies, r)
		}
	}
	return out, rs.Err()
}

// annotationOn reads annotation id as it shows on version v of item of
// file; errs.NotFound when it does not show there.
func annotationOn(ctx context.Context, q db.Querier, file int64, item string, v int, id int64) (*Annotation, error) {
	a, err := scanAnnotation(q.QueryRowContext(ctx, `SELECT `+annotationColumns+` FROM planreview_annotations a
		WHERE `+visibleOn+` AND a.id = $4`, file, item, v, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "planreview.error.not_found")
	}
	if err != nil {
		return nil, fmt.Errorf("planreview: annotation %d: %w", id, err)
	}
	rows, err := q.QueryContext(ctx, `SELECT id, annotation_id, document_id, author_id, side, COALESCE(organisation_code, ''),
		body, created_at FROM planreview_replies WHERE annotation_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("planreview: replies of %d: %w", id, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r Reply
		if err := rows.Scan(&r.ID, &r.Annotation, &r.Document, &r.Author, &r.Side, &r.Organisation, &r.Body, &r.Created); err != nil {
			return nil, fmt.Errorf("planreview: replies of %d: %w", id, err)
		}
		r.Created = r.Created.UTC()
		a.Replies = append(a.Replies, r)
	}
	return a, rows.Err()
}

func insertAnnotation(ctx context.Context, tx *db.Tx, a *Annotation) error {
	geom, err := json.Marshal(a.Shape)
	if err != nil {
		return err
	}
	var cal, m1, m2, org any
	if a.Calibration != nil {
		b, err := json.Marshal(a.Calibration)
		if err != nil {
			return err
		}
		cal = string(b)
	}
	if a.Measurement != nil {
		m1 = a.Measurement.Value
		if a.Measurement.Unit == "m2" {
			m2 = a.Measurement.Perimeter
		}
	}
	if a.Organisation != "" {
		org = a.Organisation
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO planreview_annotations (file_id, document_id, item, doc_version, page, kind, geometry,
		body, motivation, status, visibility, round, author_id, side, organisation_code, calibration, measured, measured2,
		created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19)
		RETURNING id`, a.File, a.Document, a.Item, a.DocVersion, a.Page, a.Kind, string(geom), a.Body, a.Motivation, a.Status,
		a.Visibility, a.Round, a.Author, a.Side, org, cal, m1, m2, a.Created).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("planreview: insert annotation: %w", err)
	}
	return nil
}

// updateAnnotation writes a's status, body and visibility if its version
// is still the one read (errs.Conflict otherwise).
func updateAnnotation(ctx context.Context, tx *db.Tx, a *Annotation, readVersion int) error {
	var rv, rb, ra any
	if a.Status == StatusResolved {
		rv, rb, ra = a.ResolvedVersion, a.ResolvedBy, *a.ResolvedAt
	}
	res, err := tx.ExecContext(ctx, `UPDATE planreview_annotations SET status = $1, body = $2, visibility = $3, resolved_version = $4,
		resolved_by = $5, resolved_at = $6, updated_at = $7, version = version + 1 WHERE id = $8 AND version = $9`,
		a.Status, a.Body, a.Visibility, rv, rb, ra, a.Updated, a.ID, readVersion)
	if err != nil {
		return fmt.Errorf("planreview: update annotation %d: %w", a.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict, "planreview.error.stale")
	}
	a.Version = readVersion + 1
	return nil
}

func insertReply(ctx context.Context, tx *db.Tx, r *Reply) error {
	var org any
	if r.Organisation != "" {
		org = r.Organisation
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO planreview_replies (annotation_id, document_id, author_id, side, organisation_code,
		body, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, r.Annotation, r.Document, r.Author, r.Side, org,
		r.Body, r.Created).Scan(&r.ID)
	if err != nil {
		return fmt.Errorf("planreview: insert reply: %w", err)
	}
	return nil
}

// annotationByID reads annotation id, whatever version it shows on,
// without its replies; errs.NotFound when there is none.
func annotationByID(ctx context.Context, q db.Querier, id int64) (*Annotation, error) {
	a, err := scanAnnotation(q.QueryRowContext(ctx, `SELECT `+annotationColumns+` FROM planreview_annotations a WHERE a.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "planreview.error.not_found")
	}
	if err != nil {
		return nil, fmt.Errorf("planreview: annotation %d: %w", id, err)
	}
	return a, nil
}
