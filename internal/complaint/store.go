package complaint

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// All SQL of requests, one text for both engines.

// BlobRefsSQL lists the photos' blobs, which the sweeper keeps.
const BlobRefsSQL = `SELECT sha256 FROM complaint_photos UNION SELECT sha256 FROM complaint_work_photos`

const requestColumns = `id, number, tracking_code, category, catalogue_version, reporter_id, organisation_code,
	arrondissement_code, lat, lon, address, description, public_description, answers, contact, private, state,
	version, filed_at, ack_due, resolve_due, escalate_at, acknowledged_at, resolved_at, closed_at, waiting_since,
	public_answer, updated_at, client_id, open311_token, reporter_name, reporter_email, reporter_phone, device_id, merged_into, held_at, held_reason, contact_id, planned_for`

func scanRequest(row interface{ Scan(...any) error }) (*Request, error) {
	var r Request
	var lat, lon sql.NullFloat64
	var answers string
	var ack, res, closed, waiting, held, planned sql.NullTime
	var reporter, client, merged, contact sql.NullInt64
	var token sql.NullString
	err := row.Scan(&r.ID, &r.Number, &r.TrackingCode, &r.Category, &r.CatalogueVersion, &reporter, &r.Organisation,
		&r.Arrondissement, &lat, &lon, &r.Address, &r.Description, &r.PublicDescription, &answers, &r.Contact, &r.Private,
		&r.State, &r.Version, &r.FiledAt, &r.AckDue, &r.ResolveDue, &r.EscalateAt, &ack, &res, &closed, &waiting,
		&r.PublicAnswer, &r.UpdatedAt, &client, &token, &r.Via.Name, &r.Via.Email, &r.Via.Phone, &r.Via.Device, &merged, &held, &r.HeldReason, &contact, &planned)
	if err != nil {
		return nil, err
	}
	r.Reporter, r.Client, r.Open311Token, r.MergedInto, r.HeldAt = reporter.Int64, client.Int64, token.String, merged.Int64, nullTime(held)
	r.ContactID, r.PlannedFor = contact.Int64, nullTime(planned)
	if lat.Valid && lon.Valid {
		r.Lat, r.Lon = &lat.Float64, &lon.Float64
	}
	if err := json.Unmarshal([]byte(answers), &r.Answers); err != nil {
		return nil, fmt.Errorf("complaint: request %d answers: %w", r.ID, err)
	}
	r.AcknowledgedAt, r.ResolvedAt, r.ClosedAt, r.WaitingSince = nullTime(ack), nullTime(res), nullTime(closed), nullTime(waiting)
	for _, t := range []*time.Time{&r.FiledAt, &r.AckDue, &r.ResolveDue, &r.EscalateAt, &r.UpdatedAt} {
		*t = t.UTC()
	}
	return &r, nil
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

// lockedRequest reads request id in tx under a lock on its row, for a
// staff change: whoever may not read it does not learn it exists, the
// policy must allow action on it, and a version other than 0 must still
// be the request's (a change made meanwhile is never overwritten).
func lockedRequest(ctx context.Context, tx *db.Tx, a authz.Actor, id int64, action authz.Action, version int) (*Request, error) {
	if err := tx.LockRow(ctx, "complaint_requests", "id", id); err != nil {
		return nil, err
	}
	r, err := request(ctx, tx, "id", id)
	if err != nil {
		return nil, err
	}
	if err := authz.Check(a, authz.ReadRequest, r.Resource()); err != nil {
		return nil, err
	}
	if err := authz.Check(a, action, r.Resource()); err != nil {
		return nil, err
	}
	if version != 0 && version != r.Version {
		return nil, errs.E(errs.Conflict, "complaint.error.stale")
	}
	return r, nil
}

// request reads one request by id (or by number when id is 0).
func request(ctx context.Context, q db.Querier, col string, v any) (*Request, error) {
	r, err := scanRequest(q.QueryRowContext(ctx, `SELECT `+requestColumns+` FROM complaint_requests WHERE `+col+` = $1`, v))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "complaint.error.not_found").Cause(err)
	}
	if err != nil {
		return nil, fmt.Errorf("complaint: read request: %w", err)
	}
	if r.Photos, err = photos(ctx, q, r.ID); err != nil {
		return nil, err
	}
	if r.CoReporters, err = coReporters(ctx, q, r.ID); err != nil {
		return nil, err
	}
	if r.WorkPhotos, err = workPhotos(ctx, q, r.ID); err != nil {
		return nil, err
	}
	return r, nil
}

// coReporters lists the co-reporters of request id.
func coReporters(ctx context.Context, q db.Querier, id int64) ([]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT person_id FROM complaint_coreporters WHERE request_id = $1 ORDER BY added_at, person_id`, id)
	if err != nil {
		return nil, fmt.Errorf("complaint: co-reporters: %w", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var p int64
		if err := rows.Scan(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func photos(ctx context.Context, q db.Querier, id int64) ([]Photo, error) {
	return photosIn(ctx, q, "complaint_photos", id)
}

// workPhotos lists the photos of the work done on request id.
func workPhotos(ctx context.Context, q db.Querier, id int64) ([]Photo, error) {
	return photosIn(ctx, q, "complaint_work_photos", id)
}

// photosIn lists request id's photos in table (the reporter's or the
// work done's).
func photosIn(ctx context.Context, q db.Querier, table string, id int64) ([]Photo, error) {
	rows, err := q.QueryContext(ctx, `SELECT position, sha256, size, width, height, added_at FROM `+table+`
		WHERE request_id = $1 ORDER BY position`, id)
	if err != nil {
		return nil, fmt.Errorf("complaint: %s: %w", table, err)
	}
	defer rows.Close()
	var out []Photo
	for rows.Next() {
		var p Photo
		if err := rows.Scan(&p.Position, &p.SHA256, &p.Size, &p.Width, &p.Height, &p.AddedAt); err != nil {
			return nil, err
		}
		p.AddedAt = p.AddedAt.UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}

// nextNumber takes the next number of year.
func nextNumber(ctx context.Context, tx *db.Tx, year int) (int, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO complaint_counters (year, last) VALUES ($1, 0)
		ON CONFLICT (year) DO NOTHING`, year); err != nil {
		return 0, fmt.Errorf("complaint: counter: %w", err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, `UPDATE complaint_counters SET last = last + 1 WHERE year = $1 RETURNING last`,
		year).Scan(&n); err != nil {
		return 0, fmt.Errorf("complaint: counter: %w", err)
	}
	return n, nil
}

func insertRequest(ctx context.Context, tx *db.Tx, r *Request) error {
	answers, err := json.Marshal(r.Answers)
	if err != nil {
		return err
	}
	var reporter, client, token, contact any
	if r.Reporter != 0 {
		reporter = r.Reporter
	}
	if r.ContactID != 0 {
		contact = r.ContactID
	}
	if r.Client != 0 {
		client, token = r.Client, r.Open311Token
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO complaint_requests (number, tracking_code, category, catalogue_version,
		reporter_id, organisation_code, arrondissement_code, lat, lon, address, description, public_description, answers,
		contact, private, state, version, filed_at, ack_due, resolve_due, escalate_at, updated_at,
		client_id, open311_token, reporter_name, reporter_email, reporter_phone, device_id, held_at, held_reason, contact_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 1, $17, $18, $19, $20, $17,
		$21, $22, $23, $24, $25, $26, $27, $28, $29)
		RETURNING id`,
		r.Number, r.TrackingCode, r.Category, r.CatalogueVersion, reporter, r.Organisation, r.Arrondissement,
		r.Lat, r.Lon, r.Address, r.Description, r.PublicDescription, string(answers), r.Contact, r.Private,
		string(r.State), r.FiledAt, r.AckDue, r.ResolveDue, r.EscalateAt,
		client, token, r.Via.Name, r.Via.Email, r.Via.Phone, r.Via.Device, r.HeldAt, r.HeldReason, contact).Scan(&r.ID)
	if err != nil {
		return fmt.Errorf("complaint: insert request: %w", err)
	}
	r.Version, r.UpdatedAt = 1, r.FiledAt
	return nil
}

func insertWorkPhoto(ctx context.Context, tx *db.Tx, id, by int64, p Photo) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO complaint_work_photos (request_id, position, sha256, size, width, height,
		added_at, added_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		id, p.Position, p.SHA256, p.Size, p.Width, p.Height, p.AddedAt, by)
	if err != nil {
		return fmt.Errorf("complaint: insert work photo: %w", err)
	}
	return nil
}

func insertPhoto(ctx context.Context, tx *db.Tx, id int64, p Photo) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO complaint_photos (request_id, position, sha256, size, width, height,
		content_type, added_at) VALUES ($1, $2, $3, $4, $5, $6, 'image/jpeg', $7)`,
		id, p.Position, p.SHA256, p.Size, p.Width, p.Height, p.AddedAt)
	if err != nil {
		return fmt.Errorf("complaint: insert photo: %w", err)
	}
	return nil
}

// bump writes a request's moving parts, if nobody changed it since the
// version read (optimistic locking on top of the row lock).
func bump(ctx context.Context, tx *db.Tx, r *Request, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE complaint_requests SET state = $1, ack_due = $2, resolve_due = $3,
		escalate_at = $4, acknowledged_at = $5, resolved_at = $6, closed_at = $7, waiting_since = $8,
		public_answer = $9, updated_at = $10, planned_for = $13, version = version + 1
		WHERE id = $11 AND version = $12`,
		string(r.State), r.AckDue, r.ResolveDue, r.EscalateAt, r.AcknowledgedAt, r.ResolvedAt, r.ClosedAt,
		r.WaitingSince, r.PublicAnswer, now, r.ID, r.Version, r.PlannedFor)
	if err != nil {
		return fmt.Errorf("complaint: update request %d: %w", r.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict, "complaint.error.stale").Cause(fmt.Errorf("complaint: request %d changed since version %d", r.ID, r.Version))
	}
	r.Version++
	r.UpdatedAt = now
	return nil
}

func insertEvent(ctx context.Context, tx *db.Tx, id int64, e Event) error {
	var actor any
	if e.Actor != 0 {
		actor = e.Actor
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO complaint_events (request_id, at, actor_id, actor_label, kind,
		from_state, to_state, note, planned_for) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		id, e.At, actor, e.ActorLabel, string(e.Kind), string(e.From), string(e.To), e.Note, e.Planned)
	if err != nil {
		return fmt.Errorf("complaint: insert event: %w", err)
	}
	return nil
}

// events reads a request's history, oldest first.
func events(ctx context.Context, q db.Querier, id int64) ([]Event, error) {
	rows, err := q.QueryContext(ctx, `SELECT at, COALESCE(actor_id, 0), actor_label, kind, from_state, to_state, note, planned_for
		FROM complaint_events WHERE request_id = $1 ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("complaint: events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var planned sql.NullTime
		if err := rows.Scan(&e.At, &e.Actor, &e.ActorLabel, &e.Kind, &e.From, &e.To, &e.Note, &planned); err != nil {
			return nil, err
		}
		e.At, e.Planned = e.At.UTC(), nullTime(planned)
		out = append(out, e)
	}
	return out, rows.Err()
}

// listRequests reads requests matching where (a condition on the table's
// columns with its arguments), in order, at most limit.
func listRequests(ctx context.Context, q db.Querier, where, order string, limit int, args ...any) ([]*Request, error) {
	return listRequestsFrom(ctx, q, where, order, limit, 0, args...)
}

// listRequestsFrom is listRequests skipping the first offset rows.
func listRequestsFrom(ctx context.Context, q db.Querier, where, order string, limit, offset int, args ...any) ([]*Request, error) {
	rows, err := q.QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM complaint_requests WHERE %s ORDER BY %s LIMIT %d OFFSET %d`,
		requestColumns, where, order, limit, offset), args...)
	if err != nil {
		return nil, fmt.Errorf("complaint: list requests: %w", err)
	}
	defer rows.Close()
	var out []*Request
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// queueOrder puts the requests by their next deadline, so the most
// overdue come first; those waiting on the citizen (their clock paused)
// last.
const queueOrder = `CASE WHEN state = 'waiting' THEN 1 ELSE 0 END, CASE WHEN state = 'received' THEN ack_due ELSE resolve_due END, id`

// queueWhere selects an organisation's open requests, in the
// arrondissements given ("" for all).
func queueWhere(arrs []string) (string, []any) {
	where := `organisation_code = $1 AND held_at IS NULL AND state IN ('received', 'acknowledged', 'in_progress', 'waiting', 'reopened')`
	if len(arrs) == 0 {
		return where, nil
	}
	ph := make([]string, len(arrs))
	args := make([]any, len(arrs))
	for i, a := range arrs {
		ph[i] = fmt.Sprintf("$%d", i+2)
		args[i] = a
	}
	return where + ` AND arrondissement_code IN (` + strings.Join(ph, ", ") + `)`, args
}

// organisationExists reports whether organisation code exists (staff's
// table, read only: the catalogue's organisations are checked at start).
func organisationExists(ctx context.Context, q db.Querier, code string) (bool, error) {
	var ok bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM organisations WHERE code = $1)`, code).Scan(&ok)
	return ok, err
}
