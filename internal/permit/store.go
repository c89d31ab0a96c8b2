package permit

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

// fileColumns are read by scanFile, in its order.
const fileColumns = `f.id, f.ref, COALESCE(f.number, ''), f.tracking_code, f.kind, f.family, f.catalogue_version,
	COALESCE(f.owner_person_id, 0), COALESCE(f.owner_legal_id, 0), f.created_by, f.state, f.step, f.holder,
	f.title, f.address, COALESCE(f.arrondissement_code, ''), COALESCE(f.location, ''), COALESCE(f.lon, 0), COALESCE(f.lat, 0),
	f.fields, COALESCE(f.window_code, ''), COALESCE(f.route_rule, ''), COALESCE(f.schedule, ''), COALESCE(f.committee, ''),
	f.due_at, COALESCE(f.decision_reason, ''), f.tacit, f.version, f.created_at, f.updated_at, f.submitted_at,
	f.accepted_at, f.closed_at`

func scanFile(row interface{ Scan(...any) error }) (*File, error) {
	var f File
	var fields string
	var due, sub, acc, closed sql.NullTime
	err := row.Scan(&f.ID, &f.Ref, &f.Number, &f.TrackingCode, &f.Kind, &f.Family, &f.CatalogueVersion,
		&f.OwnerPerson, &f.OwnerLegal, &f.CreatedBy, &f.State, &f.Step, &f.Holder,
		&f.Title, &f.Address, &f.Arrondissement, &f.Location, &f.Lon, &f.Lat,
		&fields, &f.Window, &f.RouteRule, &f.Schedule, &f.Committee,
		&due, &f.DecisionReason, &f.Tacit, &f.Version, &f.CreatedAt, &f.UpdatedAt, &sub, &acc, &closed)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(fields), &f.Fields); err != nil {
		return nil, fmt.Errorf("permit: file %d fields: %w", f.ID, err)
	}
	f.DueAt, f.SubmittedAt, f.AcceptedAt, f.ClosedAt = nullTime(due), nullTime(sub), nullTime(acc), nullTime(closed)
	return &f, nil
}

func nullTime(t sql.NullTime) *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time.UTC()
	return &v
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// notFound is the error for a file the caller may not know exists.
func notFound(cause error) error {
	return errs.E(errs.NotFound, "permit.error.file_not_found").Cause(cause)
}

// file reads a file by a column (id, ref or number) with its parties.
// Inside a transaction, which is about to write, it first locks the file's
// row: every write on a file (and on what hangs from it: documents,
// appointments, deadlines, events) is then serialised, on PostgreSQL as by
// SQLite's single writer, and reads what the previous writer committed, so
// the loser of a race meets the file as it now is (a stale version, a
// state that no longer allows the step) rather than a constraint.
func file(ctx context.Context, q db.Querier, column string, v any) (*File, error) {
	if tx, ok := q.(*db.Tx); ok {
		if err := tx.LockRow(ctx, "permit_files", column, v); err != nil {
			return nil, err
		}
	}
	f, err := scanFile(q.QueryRowContext(ctx, `SELECT `+fileColumns+` FROM permit_files f WHERE f.`+column+` = $1`, v))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(fmt.Errorf("permit: no file with %s %v", column, v))
	}
	if err != nil {
		return nil, fmt.Errorf("permit: file: %w", err)
	}
	if f.Parties, err = parties(ctx, q, f.ID); err != nil {
		return nil, err
	}
	inv, err := involvement(ctx, q, f.ID)
	if err != nil {
		return nil, err
	}
	f.Involved = inv[f.ID]
	if f.Seats, err = seatOrganisations(ctx, q, f.ID); err != nil {
		return nil, err
	}
	return f, nil
}

// seatOrganisations are the organisations sitting on file id's committee.
func seatOrganisations(ctx context.Context, q db.Querier, id int64) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT organisation_code FROM permit_committee_seats
		WHERE file_id = $1 AND organisation_code IS NOT NULL ORDER BY id`, id)
	if err != nil {
		return nil, fmt.Errorf("permit: seats: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var code string
		if err := rows.Scan(&code); err != nil {
			return nil, fmt.Errorf("permit: seats: %w", err)
		}
		out = append(out, code)
	}
	return out, rows.Err()
}

// involvement reads who is involved in each of the files ids, for the
// policy's conflict-of-interest rule: the owner, the filer, the people
// named as parties, and every professional holding, or having held, a
// mandate that covers the file (for it, or for its kind) from its owner
// since it was started.
func involvement(ctx context.Context, q db.Querier, ids ...int64) (map[int64]authz.Involved, error) {
	out := map[int64]authz.Involved{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	ph := make([]string, len(ids))
	for i, id := range ids {
		args[i], ph[i] = id, fmt.Sprintf("$%d", i+1)
	}
	in := strings.Join(ph, ", ")
	// The last union joins identity's mandates table: who holds a mandate
	// covering each file, for the conflict-of-interest rule, in the same
	// query as the rest for a whole page of files. A join across
	// capabilities kept for speed, named in docs/ARCHITECTURE.md.
	rows, err := q.QueryContext(ctx, `SELECT f.id, 'p', f.created_by FROM permit_files f WHERE f.id IN (`+in+`)
		UNION SELECT f.id, 'p', f.owner_person_id FROM permit_files f WHERE f.id IN (`+in+`) AND f.owner_person_id IS NOT NULL
		UNION SELECT f.id, 'l', f.owner_legal_id FROM permit_files f WHERE f.id IN (`+in+`) AND f.owner_legal_id IS NOT NULL
		UNION SELECT pp.file_id, 'p', pp.person_id FROM permit_parties pp WHERE pp.file_id IN (`+in+`) AND pp.person_id IS NOT NULL
		UNION SELECT f.id, 'p', m.professional_id FROM permit_files f JOIN mandates m
			ON (m.grantor_person_id = f.owner_person_id OR m.grantor_legal_id = f.owner_legal_id)
			AND (m.file_ref = f.ref OR m.permit_kind = f.kind) AND COALESCE(m.revoked_at, m.ends_at) > f.created_at
			WHERE f.id IN (`+in+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("permit: involvement: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var file, id int64
		var what string
		if err := rows.Scan(&file, &what, &id); err != nil {
			return nil, fmt.Errorf("permit: involvement: %w", err)
		}
		if what == "l" {
			out[file] = out[file].AddLegals(id)
		} else {
			out[file] = out[file].AddPersons(id)
		}
	}
	return out, rows.Err()
}

func parties(ctx context.Context, q db.Querier, fileID int64) ([]Party, error) {
	rows, err := q.QueryContext(ctx, `SELECT role, COALESCE(person_id, 0), name, registration FROM permit_parties
		WHERE file_id = $1 ORDER BY role`, fileID)
	if err != nil {
		return nil, fmt.Errorf("permit: parties: %w", err)
	}
	defer rows.Close()
	var out []Party
	for rows.Next() {
		var p Party
		if err := rows.Scan(&p.Role, &p.PersonID, &p.Name, &p.Registration); err != nil {
			return nil, fmt.Errorf("permit: parties: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func insertFile(ctx context.Context, tx *db.Tx, f *File) error {
	fields, err := json.Marshal(f.Fields)
	if err != nil {
		return err
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO permit_files (ref, tracking_code, kind, family, catalogue_version,
		owner_person_id, owner_legal_id, created_by, state, step, holder, title, address, arrondissement_code,
		location, lon, lat, fields, version, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, 1, $19, $19) RETURNING id`,
		f.Ref, f.TrackingCode, f.Kind, f.Family, f.CatalogueVersion, nullID(f.OwnerPerson), nullID(f.OwnerLegal),
		f.CreatedBy, string(f.State), f.Step, f.Holder, f.Title, f.Address, nullString(f.Arrondissement),
		nullString(f.Location), locCoord(f, f.Lon), locCoord(f, f.Lat), string(fields), f.CreatedAt).Scan(&f.ID)
	if err != nil {
		return fmt.Errorf("permit: insert file: %w", err)
	}
	f.Version = 1
	return replaceParties(ctx, tx, f)
}

func locCoord(f *File, v float64) any {
	if f.Location == "" {
		return nil
	}
	return v
}

func replaceParties(ctx context.Context, tx *db.Tx, f *File) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM permit_parties WHERE file_id = $1`, f.ID); err != nil {
		return fmt.Errorf("permit: parties: %w", err)
	}
	for _, p := range f.Parties {
		if _, err := tx.ExecContext(ctx, `INSERT INTO permit_parties (file_id, role, person_id, name, registration)
			VALUES ($1, $2, $3, $4, $5)`, f.ID, p.Role, nullID(p.PersonID), p.Name, p.Registration); err != nil {
			return fmt.Errorf("permit: parties: %w", err)
		}
	}
	return nil
}

// bump writes a file's columns back if its version is still the one read,
// and raises it: whoever changed the file in between wins, and the caller
// is told to reload.
func bump(ctx context.Context, tx *db.Tx, f *File, now time.Time) error {
	fields, err := json.Marshal(f.Fields)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE permit_files SET number = $1, state = $2, step = $3, holder = $4,
		title = $5, address = $6, arrondissement_code = $7, location = $8, lon = $9, lat = $10, fields = $11,
		window_code = $12, route_rule = $13, schedule = $14, committee = $15, due_at = $16, decision_reason = $17,
		tacit = $18, submitted_at = $19, accepted_at = $20, closed_at = $21, updated_at = $22, catalogue_version = $25,
		version = version + 1
		WHERE id = $23 AND version = $24`,
		nullString(f.Number), string(f.State), f.Step, f.Holder, f.Title, f.Address, nullString(f.Arrondissement),
		nullString(f.Location), locCoord(f, f.Lon), locCoord(f, f.Lat), string(fields), nullString(f.Window),
		nullString(f.RouteRule), nullString(f.Schedule), nullString(f.Committee), f.DueAt, nullString(f.DecisionReason),
		f.Tacit, f.SubmittedAt, f.AcceptedAt, f.ClosedAt, now, f.ID, f.Version, f.CatalogueVersion)
	if err != nil {
		return fmt.Errorf("permit: update file %d: %w", f.ID, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.Conflict, "permit.error.stale").Cause(fmt.Errorf("permit: file %d changed since version %d", f.ID, f.Version))
	}
	f.Version++
	f.UpdatedAt = now
	return nil
}

// documents lists a file's uploads, every version, by item then version;
// the documents its applicant removed (permit_document_removals) are no
// longer the file's: not listed, not counted, not served.
func documents(ctx context.Context, q db.Querier, fileID int64) ([]Upload, error) {
	rows, err := q.QueryContext(ctx, `SELECT d.id, d.item, d.version, d.sha256, d.size, d.content_type, d.name, d.pages,
		d.uploaded_by, d.uploaded_at, COALESCE(g.source_id, 0), COALESCE(g.signer, 0), COALESCE(g.signer_name, ''), COALESCE(g.serial, ''), g.signed_at
		FROM permit_documents d LEFT JOIN permit_document_signatures g ON g.document_id = d.id
		WHERE d.file_id = $1 AND `+notRemoved+` AND `+notSignedOver+` ORDER BY d.item, d.version`, fileID)
	if err != nil {
		return nil, fmt.Errorf("permit: documents: %w", err)
	}
	defer rows.Close()
	var out []Upload
	for rows.Next() {
		var d Upload
		var g DocumentSignature
		var at sql.NullTime
		if err := rows.Scan(&d.ID, &d.Item, &d.Version, &d.SHA256, &d.Size, &d.ContentType, &d.Name, &d.Pages,
			&d.UploadedBy, &d.UploadedAt, &g.Signs, &g.By, &g.Signer, &g.Serial, &at); err != nil {
			return nil, fmt.Errorf("permit: documents: %w", err)
		}
		d.UploadedAt = d.UploadedAt.UTC()
		if g.Signs != 0 {
			g.SignedAt = at.Time.UTC()
			d.Signature = &g
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// latest keeps the newest version of each item.
func latest(ds []Upload) map[string]Upload {
	out := make(map[string]Upload, len(ds))
	for _, d := range ds {
		if cur, ok := out[d.Item]; !ok || d.Version > cur.Version {
			out[d.Item] = d
		}
	}
	return out
}

func insertDocument(ctx context.Context, tx *db.Tx, fileID int64, d *Upload) error {
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) + 1 FROM permit_documents WHERE file_id = $1 AND item = $2`,
		fileID, d.Item).Scan(&d.Version)
	if err != nil {
		return fmt.Errorf("permit: document version: %w", err)
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO permit_documents (file_id, item, version, sha256, size, content_type, name,
		pages, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		fileID, d.Item, d.Version, d.SHA256, d.Size, d.ContentType, d.Name, d.Pages, d.UploadedBy, d.UploadedAt).Scan(&d.ID)
	if err != nil {
		return fmt.Errorf("permit: insert document: %w", err)
	}
	return nil
}

func insertEvent(ctx context.Context, tx *db.Tx, fileID int64, e Event) error {
	data := "{}"
	if len(e.Data) > 0 {
		b, err := json.Marshal(e.Data)
		if err != nil {
			return err
		}
		data = string(b)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO permit_events (file_id, at, actor_person_id, actor_label, kind, state_from,
		state_to, data, public) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		fileID, e.At, nullID(e.Actor), e.ActorLabel, e.Kind, string(e.From), string(e.To), data, e.Public)
	if err != nil {
		return fmt.Errorf("permit: event: %w", err)
	}
	return nil
}

// events lists a file's timeline, oldest first; only the public events
// when public.
func events(ctx context.Context, q db.Querier, fileID int64, public bool) ([]Event, error) {
	query := `SELECT id, at, COALESCE(actor_person_id, 0), actor_label, kind, state_from, state_to, data, public
		FROM permit_events WHERE file_id = $1`
	if public {
		query += ` AND public`
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY id`, fileID)
	if err != nil {
		return nil, fmt.Errorf("permit: events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var data string
		if err := rows.Scan(&e.ID, &e.At, &e.Actor, &e.ActorLabel, &e.Kind, &e.From, &e.To, &data, &e.Public); err != nil {
			return nil, fmt.Errorf("permit: events: %w", err)
		}
		e.At = e.At.UTC()
		if data != "{}" {
			if err := json.Unmarshal([]byte(data), &e.Data); err != nil {
				return nil, fmt.Errorf("permit: event %d: %w", e.ID, err)
			}
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

const deadlineColumns = `id, step, actor, source, silence, starts_at, due_at, paused_at, extended_days, met_at, alerted_at, outcome`

func scanDeadline(row interface{ Scan(...any) error }) (StepDeadline, error) {
	var d StepDeadline
	var paused, met, alerted sql.NullTime
	err := row.Scan(&d.ID, &d.Step, &d.Actor, &d.Source, &d.Silence, &d.StartsAt, &d.DueAt, &paused, &d.ExtendedDays,
		&met, &alerted, &d.Outcome)
	d.StartsAt, d.DueAt = d.StartsAt.UTC(), d.DueAt.UTC()
	d.PausedAt, d.MetAt, d.AlertedAt = nullTime(paused), nullTime(met), nullTime(alerted)
	return d, err
}

// deadlines lists a file's deadlines, open ones only when open.
func deadlines(ctx context.Context, q db.Querier, fileID int64, open bool) ([]StepDeadline, error) {
	query := `SELECT ` + deadlineColumns + ` FROM permit_deadlines WHERE file_id = $1`
	if open {
		query += ` AND met_at IS NULL`
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY starts_at, id`, fileID)
	if err != nil {
		return nil, fmt.Errorf("permit: deadlines: %w", err)
	}
	defer rows.Close()
	var out []StepDeadline
	for rows.Next() {
		d, err := scanDeadline(rows)
		if err != nil {
			return nil, fmt.Errorf("permit: deadlines: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func insertDeadline(ctx context.Context, tx *db.Tx, fileID int64, d StepDeadline) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO permit_deadlines (file_id, step, actor, source, silence, starts_at, due_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, fileID, d.Step, d.Actor, d.Source, d.Silence, d.StartsAt, d.DueAt)
	if err != nil {
		return fmt.Errorf("permit: deadline %s: %w", d.Step, err)
	}
	return nil
}

// closeDeadlines ends the file's open deadlines of the given steps (all
// when none given) with outcome.
func closeDeadlines(ctx context.Context, tx *db.Tx, fileID int64, outcome string, now time.Time, steps ...string) error {
	q := `UPDATE permit_deadlines SET met_at = $1, outcome = $2, paused_at = NULL WHERE file_id = $3 AND met_at IS NULL`
	args := []any{now, outcome, fileID}
	if len(steps) > 0 {
		ph := make([]string, len(steps))
		for i, s := range steps {
			ph[i] = fmt.Sprintf("$%d", len(args)+1)
			args = append(args, s)
		}
		q += ` AND step IN (` + strings.Join(ph, ", ") + `)`
	}
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("permit: close deadlines: %w", err)
	}
	return nil
}

// bookedAppointment returns the file's booked appointment; errs.NotFound
// if it has none.
func bookedAppointment(ctx context.Context, q db.Querier, fileID int64) (*Appointment, error) {
	var a Appointment
	err := q.QueryRowContext(ctx, `SELECT id, window_code, starts_at, ends_at, status, sequence FROM permit_appointments
		WHERE file_id = $1 AND status = 'booked'`, fileID).Scan(&a.ID, &a.Window, &a.Start, &a.End, &a.Status, &a.Sequence)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errs.E(errs.NotFound, "").Cause(fmt.Errorf("permit: file %d has no booked appointment", fileID))
	}
	if err != nil {
		return nil, fmt.Errorf("permit: appointment: %w", err)
	}
	a.Start, a.End = a.Start.UTC(), a.End.UTC()
	return &a, nil
}

// nextNumber takes the next official number of a window for a year.
func nextNumber(ctx context.Context, tx *db.Tx, window string, year int) (int, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO permit_counters (window_code, year, last) VALUES ($1, $2, 0)
		ON CONFLICT (window_code, year) DO NOTHING`, window, year); err != nil {
		return 0, fmt.Errorf("permit: counter: %w", err)
	}
	var n int
	err := tx.QueryRowContext(ctx, `UPDATE permit_counters SET last = last + 1 WHERE window_code = $1 AND year = $2 RETURNING last`,
		window, year).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("permit: counter: %w", err)
	}
	return n, nil
}

// issuedFile is an accepted file, and whether it is decided (SealIssued).
type issuedFile struct {
	id      int64
	decided bool
}

// issuedFiles lists the accepted files, oldest first.
func issuedFiles(ctx context.Context, q db.Querier) ([]issuedFile, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, state IN ('approved', 'refused')
		FROM permit_files WHERE accepted_at IS NOT NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("permit: accepted files: %w", err)
	}
	defer rows.Close()
	var out []issuedFile
	for rows.Next() {
		var f issuedFile
		if err := rows.Scan(&f.id, &f.decided); err != nil {
			return nil, fmt.Errorf("permit: accepted files: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}
