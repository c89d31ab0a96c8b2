package permit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"madina/internal/authz"
	"madina/internal/notify"
	"madina/internal/platform/blob"
	"madina/internal/platform/calendar"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// After the works (issue #12, point 7). The holder of a delivered
// building or regularisation permit declares the works complete from the
// permit's page, in one action: a habitation permit file (residential
// use) or a conformity certificate file (any other use) starts as a
// draft, prefilled from the permit — its number, the place, the owner,
// the professionals — and linked to it (permit_after_works). The rest is
// the ordinary path: the documents (the architect's certificate of
// completion among them), submission, the window's acceptance.
//
// Accepted, the file is dispatched to the works inspection committee like
// any urban file (dispatch.go): its members' step is the inspection, a
// round of the committee's rounds (rounds.go). The agenda planner places
// it on a sitting of the committee's calendar — a works inspection sitting
// is a visit day (sessions.go). On the visit each inspecting body records
// its finding through the opinion machinery (conform, conform with
// reservations, not conform, with the findings in words) and its photos
// (permit_inspection_photos, JPEG or PNG through the blob store). The
// committee's decision rule concludes; the secretariat forwards; the
// president signs the habitation permit or conformity certificate, or its
// refusal with the findings as reasons (decide.go, decision.go), within
// the legal month. When the month passes without a decision the clock
// records the referral; the applicant is told and may file the recourse
// to the higher authority in one action (permit_recourses).

// Kinds and step of the works' end.
const (
	KindHabitation = "habitation"
	KindConformity = "conformity"
	StepInspection = "inspection"
)

// afterWorksParents are the kinds whose delivered permit a completion
// declaration follows.
var afterWorksParents = []string{"building", "regularisation"}

// afterWorksKind is the kind the completion of parent's works asks for: a
// habitation permit for a residential building, a conformity certificate
// otherwise.
func afterWorksKind(parent *File) string {
	if parent.Fields["use"] == "housing" {
		return KindHabitation
	}
	return KindConformity
}

// AfterWorksLink ties a file after the works to the permit it follows.
type AfterWorksLink struct {
	FileID, ParentID         int64
	File, Parent             string // their numbers (or references)
	Kind                     string // the after-works file's kind
	State                    State  // the after-works file's state
	DeclaredBy               int64
	DeclaredAt               time.Time
	ParentKind, ParentNumber string
}

// afterWorksLinks lists the links where file id is the file after the
// works (column "file_id") or the permit ("parent_id"), newest first.
func afterWorksLinks(ctx context.Context, q db.Querier, column string, id int64) ([]AfterWorksLink, error) {
	rows, err := q.QueryContext(ctx, `SELECT w.file_id, w.parent_id, COALESCE(c.number, c.ref), COALESCE(p.number, p.ref), c.kind, c.state,
		w.declared_by, w.declared_at, p.kind, COALESCE(p.number, '')
		FROM permit_after_works w JOIN permit_files c ON c.id = w.file_id JOIN permit_files p ON p.id = w.parent_id
		WHERE w.`+column+` = $1 ORDER BY w.declared_at DESC, w.file_id DESC`, id)
	if err != nil {
		return nil, fmt.Errorf("permit: after works: %w", err)
	}
	defer rows.Close()
	var out []AfterWorksLink
	for rows.Next() {
		var l AfterWorksLink
		if err := rows.Scan(&l.FileID, &l.ParentID, &l.File, &l.Parent, &l.Kind, &l.State, &l.DeclaredBy, &l.DeclaredAt,
			&l.ParentKind, &l.ParentNumber); err != nil {
			return nil, fmt.Errorf("permit: after works: %w", err)
		}
		l.DeclaredAt = l.DeclaredAt.UTC()
		out = append(out, l)
	}
	return out, rows.Err()
}

// MayDeclareCompletion returns the delivered permit id and the kind its
// completion declaration starts, when a may declare it now.
func (s *Service) MayDeclareCompletion(ctx context.Context, a authz.Actor, id int64) (*File, *Kind, error) {
	return s.mayDeclare(ctx, s.db, a, id)
}

// mayDeclare checks that a may declare the completion of permit id's
// works: someone who reads the permit and may file the kind after the
// works for its owner (the holder, or a professional under their mandate:
// file.prepare on the new file), for a delivered building or
// regularisation permit with no after-works file under way or delivered
// for it yet.
func (s *Service) mayDeclare(ctx context.Context, q db.Querier, a authz.Actor, id int64) (*File, *Kind, error) {
	parent, _, err := s.load(ctx, q, a, authz.ReadFile, id)
	if err != nil {
		return nil, nil, err
	}
	if parent.Family != Urban || parent.State != Approved || !slices.Contains(afterWorksParents, parent.Kind) {
		return nil, nil, errs.E(errs.Conflict, "permit.afterworks.error.not_delivered").With("number", parent.Display())
	}
	links, err := afterWorksLinks(ctx, q, "parent_id", parent.ID)
	if err != nil {
		return nil, nil, err
	}
	for _, l := range links {
		if l.State != Withdrawn && l.State != Refused {
			return nil, nil, errs.E(errs.Conflict, "permit.afterworks.error.declared").With("number", l.File)
		}
	}
	k, err := s.cat.Kind(afterWorksKind(parent))
	if err != nil {
		return nil, nil, err
	}
	if err := s.mayFile(a, k, &File{Kind: k.Code, Family: k.Family, OwnerPerson: parent.OwnerPerson, OwnerLegal: parent.OwnerLegal}); err != nil {
		return nil, nil, err
	}
	return parent, k, nil
}

// DeclareCompletion declares, for a, the completion of the works of
// delivered permit id: the habitation permit or conformity certificate
// file starts as a draft owned by the permit's owner, prefilled from the
// permit (its number, the completion date today, the place, the figures
// the kind asks for, the professionals), linked to it; both files' history
// and the audit chain say so. All or nothing.
func (s *Service) DeclareCompletion(ctx context.Context, a authz.Actor, id int64) (*File, error) {
	parent, k, err := s.mayDeclare(ctx, s.db, a, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	f := &File{Ref: fmt.Sprintf("F%d-%s", calendar.DateOf(now).Year, randomCode(6)), TrackingCode: randomCode(8),
		Kind: k.Code, Family: k.Family, CatalogueVersion: s.cat.Version, CreatedBy: a.Person, State: Draft,
		Holder: HolderApplicant, CreatedAt: now, OwnerPerson: parent.OwnerPerson, OwnerLegal: parent.OwnerLegal}
	if err := s.mayFile(a, k, f); err != nil {
		return nil, err
	}
	fields := Values{"permit_number": parent.Number, "completion_date": calendar.DateOf(now).String()}
	for _, code := range []string{"use", "upper_floors", "public_building"} {
		if v, ok := parent.Fields[code]; ok {
			fields[code] = v
		}
	}
	in := Input{Kind: k.Code, Title: parent.Title, Address: parent.Address, Arrondissement: parent.Arrondissement,
		GeoJSON: parent.Location, Fields: fields}
	if err := s.apply(ctx, s.db, k, f, in); err != nil {
		return nil, err
	}
	// The professionals named on the permit, as checked when it was filed.
	f.Parties = slices.Clone(parent.Parties)
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		// Again, holding the permit's row: two declarations at once start
		// one file.
		p, pk, err := s.load(ctx, tx, a, authz.ReadFile, id)
		if err != nil {
			return err
		}
		if _, _, err := s.mayDeclare(ctx, tx, a, id); err != nil {
			return err
		}
		if err := insertFile(ctx, tx, f); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO permit_after_works (file_id, parent_id, declared_by, declared_at)
			VALUES ($1, $2, $3, $4)`, f.ID, p.ID, a.Person, now); err != nil {
			return fmt.Errorf("permit: completion of %s: %w", p.Display(), err)
		}
		if err := s.record(ctx, tx, a, k, f, "created", "", Draft, map[string]any{"parent": p.Number}, false, now); err != nil {
			return err
		}
		return s.record(ctx, tx, a, pk, p, "completion_declared", "", "", map[string]any{"file": f.Ref, "kind": k.Code}, true, now)
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// AfterWorks is what a file's page says of the works' end: for a permit,
// the files declared from it; for a file after the works, the permit it
// follows.
type AfterWorks struct {
	Parent   *AfterWorksLink
	Children []AfterWorksLink
}

// AfterWorksOf reads the links of file id, for whoever reads it.
func (s *Service) AfterWorksOf(ctx context.Context, a authz.Actor, id int64) (*AfterWorks, error) {
	f, _, err := s.load(ctx, s.db, a, authz.ReadFile, id)
	if err != nil {
		return nil, err
	}
	var out AfterWorks
	if out.Children, err = afterWorksLinks(ctx, s.db, "parent_id", f.ID); err != nil {
		return nil, err
	}
	up, err := afterWorksLinks(ctx, s.db, "file_id", f.ID)
	if err != nil {
		return nil, err
	}
	if len(up) > 0 {
		out.Parent = &up[0]
	}
	return &out, nil
}

// Photos of the inspection visit.
const (
	MaxPhoto  = 10 << 20 // bytes, each (the database's CHECK too)
	MaxPhotos = 20       // per body and round
)

// photoTypes are the photos accepted, by their content.
var photoTypes = []string{"image/jpeg", "image/png"}

// InspectionPhoto is a photo a body's member took on the visit.
type InspectionPhoto struct {
	ID          int64
	Round       int
	Body        Term
	SHA256      string
	Size        int64
	ContentType string
	Name        string
	By          int64
	At          time.Time
}

// mayInspect checks that a, a member of a body sitting on file id, may
// record the inspection now: the committee holds the file at its
// inspection, in an open round (the policy's file.opinion: an official
// act, never on one's own case).
func (s *Service) mayInspect(ctx context.Context, q db.Querier, a authz.Actor, id int64) (*File, storedSeat, int, error) {
	f, _, err := s.load(ctx, q, a, authz.GiveOpinion, id)
	if err != nil {
		return nil, storedSeat{}, 0, err
	}
	r, ok, err := lastRound(ctx, q, f.ID)
	if err != nil {
		return nil, storedSeat{}, 0, err
	}
	if f.State != Accepted || f.Holder != HolderCommittee || f.Step != StepInspection || !ok || !r.Open() {
		return nil, storedSeat{}, 0, errs.E(errs.Conflict, "permit.afterworks.error.not_inspection").With("number", f.Display())
	}
	seats, err := fileSeats(ctx, q, f.ID)
	if err != nil {
		return nil, storedSeat{}, 0, err
	}
	seat, ok := mySeat(a, seats)
	if !ok {
		return nil, storedSeat{}, 0, errs.E(errs.NotFound, "permit.error.file_not_found")
	}
	return f, seat, r.N, nil
}

// MayAddPhotos reports the body a adds photos for, when they may now.
func (s *Service) MayAddPhotos(ctx context.Context, a authz.Actor, id int64) (Term, int, error) {
	f, seat, n, err := s.mayInspect(ctx, s.db, a, id)
	if err != nil {
		return Term{}, 0, err
	}
	return s.bodyTerm(ctx, f, seat.Body), n, nil
}

// PhotoBatch is the photos of one form, streamed into the blob store one
// by one and recorded together by Commit.
type PhotoBatch struct {
	s      *Service
	a      authz.Actor
	file   int64
	round  int
	photos []*InspectionPhoto
	had    int
}

// StartPhotos starts a batch of photos of the visit to file id by a.
func (s *Service) StartPhotos(ctx context.Context, a authz.Actor, id int64) (*PhotoBatch, error) {
	f, seat, n, err := s.mayInspect(ctx, s.db, a, id)
	if err != nil {
		return nil, err
	}
	had, err := photoCount(ctx, s.db, f.ID, n, seat.Body)
	if err != nil {
		return nil, err
	}
	return &PhotoBatch{s: s, a: a, file: f.ID, round: n, had: had}, nil
}

func photoCount(ctx context.Context, q db.Querier, fileID int64, round int, body string) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM permit_inspection_photos WHERE file_id = $1 AND round = $2 AND body = $3`,
		fileID, round, body).Scan(&n); err != nil {
		return 0, fmt.Errorf("permit: photos: %w", err)
	}
	return n, nil
}

// Len is how many photos the batch holds.
func (b *PhotoBatch) Len() int { return len(b.photos) }

// Add streams one photo into the blob store: a JPEG or PNG by its
// content, whatever its name says, of MaxPhoto bytes at most.
func (b *PhotoBatch) Add(ctx context.Context, name string, body io.Reader) error {
	if b.had+len(b.photos)+1 > MaxPhotos {
		return errs.E(errs.Invalid, "permit.afterworks.error.too_many").With("max", MaxPhotos).OnField("photos")
	}
	bl, err := b.s.blobs.Put(ctx, body, blob.PutOptions{MaxSize: MaxPhoto, Allowed: photoTypes})
	switch {
	case errs.Is(err, errs.TooLarge):
		return errs.E(errs.TooLarge, "permit.afterworks.error.photo_size").With("mb", MaxPhoto>>20).OnField("photos").Cause(err)
	case errs.Is(err, errs.Unsupported) || errs.Is(err, errs.Invalid):
		return errs.E(errs.Unsupported, "permit.afterworks.error.photo_type").OnField("photos").Cause(err)
	case err != nil:
		return err
	}
	ct := bl.ContentType
	if !slices.Contains(photoTypes, ct) {
		return errs.E(errs.Unsupported, "permit.afterworks.error.photo_type").OnField("photos")
	}
	b.photos = append(b.photos, &InspectionPhoto{Round: b.round, SHA256: bl.SHA256, Size: bl.Size, ContentType: ct,
		Name: typedName(name, "photo", ct), By: b.a.Person})
	return nil
}

// Commit records the batch's photos for the member's body in the round
// they were taken in, with one event, or none. Blobs of a refused batch
// are left to the sweeper.
func (b *PhotoBatch) Commit(ctx context.Context) ([]*InspectionPhoto, error) {
	s := b.s
	if len(b.photos) == 0 {
		return nil, errs.E(errs.Invalid, "permit.afterworks.error.no_photo").OnField("photos")
	}
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		f, seat, n, err := s.mayInspect(ctx, tx, b.a, b.file)
		if err != nil {
			return err
		}
		if n != b.round {
			return errs.E(errs.Conflict, "permit.opinion.error.old_round").With("number", f.Display()).With("round", n)
		}
		had, err := photoCount(ctx, tx, f.ID, n, seat.Body)
		if err != nil {
			return err
		}
		if had+len(b.photos) > MaxPhotos {
			return errs.E(errs.Invalid, "permit.afterworks.error.too_many").With("max", MaxPhotos).OnField("photos")
		}
		k, err := s.kindOf(ctx, tx, f)
		if err != nil {
			return err
		}
		now := s.now()
		for _, ph := range b.photos {
			ph.At, ph.Body = now, Term{Code: seat.Body}
			if err := tx.QueryRowContext(ctx, `INSERT INTO permit_inspection_photos (file_id, round, body, organisation_code,
				sha256, size, content_type, name, uploaded_by, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
				f.ID, n, seat.Body, seat.Organisation, ph.SHA256, ph.Size, ph.ContentType, ph.Name, b.a.Person, now).Scan(&ph.ID); err != nil {
				return fmt.Errorf("permit: photo of file %d: %w", f.ID, err)
			}
		}
		return s.record(ctx, tx, b.a, k, f, "photos", "", "", map[string]any{"body": seat.Body, "round": n, "count": len(b.photos)}, false, now)
	})
	if err != nil {
		return nil, err
	}
	return b.photos, nil
}

// InspectionPhotos are the photos of file id's inspection visits, for
// whoever reads the file.
func (s *Service) InspectionPhotos(ctx context.Context, a authz.Actor, id int64) ([]InspectionPhoto, error) {
	f, _, err := s.load(ctx, s.db, a, authz.ReadFile, id)
	if err != nil {
		return nil, err
	}
	return s.photos(ctx, s.db, f)
}

func (s *Service) photos(ctx context.Context, q db.Querier, f *File) ([]InspectionPhoto, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, round, body, sha256, size, content_type, name, uploaded_by, uploaded_at
		FROM permit_inspection_photos WHERE file_id = $1 ORDER BY id`, f.ID)
	if err != nil {
		return nil, fmt.Errorf("permit: photos: %w", err)
	}
	var out []InspectionPhoto
	for rows.Next() {
		var ph InspectionPhoto
		if err := rows.Scan(&ph.ID, &ph.Round, &ph.Body.Code, &ph.SHA256, &ph.Size, &ph.ContentType, &ph.Name, &ph.By, &ph.At); err != nil {
			rows.Close()
			return nil, fmt.Errorf("permit: photos: %w", err)
		}
		ph.At = ph.At.UTC()
		out = append(out, ph)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Body = s.bodyTerm(ctx, f, out[i].Body.Code)
	}
	return out, nil
}

// InspectionPhotoContent opens photo photoID of file fileID, for whoever
// reads the file.
func (s *Service) InspectionPhotoContent(ctx context.Context, a authz.Actor, fileID, photoID int64) (*InspectionPhoto, io.ReadCloser, error) {
	phs, err := s.InspectionPhotos(ctx, a, fileID)
	if err != nil {
		return nil, nil, err
	}
	i := slices.IndexFunc(phs, func(ph InspectionPhoto) bool { return ph.ID == photoID })
	if i < 0 {
		return nil, nil, errs.E(errs.NotFound, "")
	}
	rc, err := s.blobs.Open(ctx, phs[i].SHA256)
	if err != nil {
		return nil, nil, err
	}
	return &phs[i], rc, nil
}

// Visit is the sitting of the works inspection committee — a visit day —
// on which the agenda placed a file.
type Visit struct {
	Session    int64
	Start, End time.Time
	Frozen     bool
}

// visitOf is the visit the agenda planned for file fileID; nil when none.
func visitOf(ctx context.Context, q db.Querier, fileID int64) (*Visit, error) {
	var v Visit
	var frozen sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT s.id, s.starts_at, s.ends_at, s.frozen_at FROM permit_agenda a
		JOIN permit_sessions s ON s.id = a.session_id WHERE a.file_id = $1`, fileID).Scan(&v.Session, &v.Start, &v.End, &frozen)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("permit: visit: %w", err)
	}
	v.Start, v.End, v.Frozen = v.Start.UTC(), v.End.UTC(), frozen.Valid
	return &v, nil
}

// VisitOf is file id's planned inspection visit, for whoever reads it.
func (s *Service) VisitOf(ctx context.Context, a authz.Actor, id int64) (*Visit, error) {
	f, _, err := s.load(ctx, s.db, a, authz.ReadFile, id)
	if err != nil {
		return nil, err
	}
	return visitOf(ctx, s.db, f.ID)
}

// inspectionDate is the day of round n's inspection of file fileID: the
// sitting the agenda placed it on, when that sitting began before the
// round closed (at), else the day the first finding was recorded, else at.
func inspectionDate(ctx context.Context, q db.Querier, fileID int64, n int, at time.Time) (time.Time, error) {
	v, err := visitOf(ctx, q, fileID)
	if err != nil {
		return time.Time{}, err
	}
	if v != nil && !v.Start.After(at) {
		return v.Start, nil
	}
	rows, err := q.QueryContext(ctx, `SELECT given_at FROM permit_opinions WHERE file_id = $1 AND round = $2 ORDER BY given_at LIMIT 1`, fileID, n)
	if err != nil {
		return time.Time{}, fmt.Errorf("permit: inspection date: %w", err)
	}
	defer rows.Close()
	if rows.Next() {
		var t time.Time
		if err := rows.Scan(&t); err != nil {
			return time.Time{}, err
		}
		return t.UTC(), rows.Err()
	}
	return at, rows.Err()
}

// Recourse is the applicant's recourse to the higher authority.
type Recourse struct {
	ReferredAt time.Time  // when the legal deadline passed without a decision
	FiledAt    *time.Time // nil until filed
	FiledBy    int64
}

// recourseOf reads file fileID's recourse: nil while the legal deadline
// has not passed without a decision.
func recourseOf(ctx context.Context, q db.Querier, fileID int64) (*Recourse, error) {
	var r Recourse
	err := q.QueryRowContext(ctx, `SELECT met_at FROM permit_deadlines WHERE file_id = $1 AND step = 'overall' AND outcome = 'referral'
		ORDER BY met_at LIMIT 1`, fileID).Scan(&r.ReferredAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("permit: referral: %w", err)
	}
	r.ReferredAt = r.ReferredAt.UTC()
	var at time.Time
	err = q.QueryRowContext(ctx, `SELECT filed_at, filed_by FROM permit_recourses WHERE file_id = $1`, fileID).Scan(&at, &r.FiledBy)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return nil, fmt.Errorf("permit: recourse: %w", err)
	default:
		at = at.UTC()
		r.FiledAt = &at
	}
	return &r, nil
}

// RecourseOf is file id's recourse, for whoever reads it (the applicant,
// the window, the president, the members).
func (s *Service) RecourseOf(ctx context.Context, a authz.Actor, id int64) (*Recourse, error) {
	f, _, err := s.load(ctx, s.db, a, authz.ReadFile, id)
	if err != nil {
		return nil, err
	}
	return recourseOf(ctx, s.db, f.ID)
}

// mayRecourse checks that a (the applicant: file.prepare) may file the
// recourse on file id now: undecided, its legal deadline passed without a
// decision, no recourse filed yet.
func (s *Service) mayRecourse(ctx context.Context, q db.Querier, a authz.Actor, id int64) (*File, *Kind, error) {
	f, k, err := s.load(ctx, q, a, authz.PrepareFile, id)
	if err != nil {
		return nil, nil, err
	}
	if f.State != Accepted {
		return nil, nil, errs.E(errs.Conflict, "permit.afterworks.error.recourse_state").With("number", f.Display())
	}
	r, err := recourseOf(ctx, q, f.ID)
	if err != nil {
		return nil, nil, err
	}
	if r == nil {
		due := ""
		if ds, err := deadlines(ctx, q, f.ID, true); err == nil {
			for _, d := range ds {
				if d.Step == Overall {
					due = i18n.FormatDate(i18n.FromContext(ctx), d.DueAt)
				}
			}
		}
		return nil, nil, errs.E(errs.Conflict, "permit.afterworks.error.recourse_early").With("number", f.Display()).With("due", due)
	}
	if r.FiledAt != nil {
		return nil, nil, errs.E(errs.Conflict, "permit.afterworks.error.recourse_filed").With("number", f.Display()).
			With("date", i18n.FormatDate(i18n.FromContext(ctx), *r.FiledAt))
	}
	return f, k, nil
}

// MayFileRecourse returns file id when a may file its recourse now.
func (s *Service) MayFileRecourse(ctx context.Context, a authz.Actor, id int64) (*File, error) {
	f, _, err := s.mayRecourse(ctx, s.db, a, id)
	return f, err
}

// FileRecourse files a's recourse to the higher authority on file id, in
// one action, once: recorded (public event, audit chain) and told to the
// applicants (notice permit.recourse).
func (s *Service) FileRecourse(ctx context.Context, a authz.Actor, id int64) (*Recourse, error) {
	var out *Recourse
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		f, k, err := s.mayRecourse(ctx, tx, a, id)
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO permit_recourses (file_id, filed_by, filed_at) VALUES ($1, $2, $3)`,
			f.ID, a.Person, now); err != nil {
			return fmt.Errorf("permit: recourse on file %d: %w", f.ID, err)
		}
		if out, err = recourseOf(ctx, tx, f.ID); err != nil {
			return err
		}
		if err := s.record(ctx, tx, a, k, f, "recourse", "", "", map[string]any{"referred": out.ReferredAt}, true, now); err != nil {
			return err
		}
		if err := s.tellRecourse(ctx, tx, k, f, out); err != nil {
			return err
		}
		return s.fileChanged(ctx, tx, f, "recourse", "", "", nil)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// afterWorksDecision is what a decision after the works says besides an
// urban decision: the permit it follows and the day of the inspection.
type afterWorksDecision struct {
	Permit    string
	Inspected time.Time
}

// afterWorksDoc is what file f's decision after the works cites, nil for
// any other file (or one the committee did not conclude on).
func (s *Service) afterWorksDoc(ctx context.Context, q db.Querier, f *File, c *Conclusion) (*afterWorksDecision, error) {
	if (f.Kind != KindHabitation && f.Kind != KindConformity) || c == nil || c.Round.ClosedAt == nil {
		return nil, nil
	}
	aw := &afterWorksDecision{Permit: f.Fields["permit_number"]}
	links, err := afterWorksLinks(ctx, q, "file_id", f.ID)
	if err != nil {
		return nil, err
	}
	if len(links) > 0 && links[0].ParentNumber != "" {
		aw.Permit = links[0].ParentNumber
	}
	if aw.Inspected, err = inspectionDate(ctx, q, f.ID, c.Round.N, *c.Round.ClosedAt); err != nil {
		return nil, err
	}
	return aw, nil
}

// text is the decision's opening after the works, in each language.
func (aw *afterWorksDecision) text(msgs *i18n.Catalog, k *Kind, cm Committee, approved bool, concluded time.Time) func(i18n.Lang) string {
	key := "permit.afterworks.doc.granted"
	if !approved {
		key = "permit.afterworks.doc.refused"
	}
	return func(l i18n.Lang) string {
		return msgs.T(l, key, "committee", cm.Name.Pick(l), "date", i18n.FormatDate(l, concluded), "visit", i18n.FormatDate(l, aw.Inspected),
			"kind", k.Name.Pick(l), "permit", iso(aw.Permit))
	}
}

// tellRecourse tells the window's staff and its presidents, in their
// language (inbox, and e-mail when verified), that the applicant of f
// filed the recourse, in the transaction that records it.
func (s *Service) tellRecourse(ctx context.Context, tx *db.Tx, k *Kind, f *File, r *Recourse) error {
	if f.Window == "" || s.people.Staff == nil || s.silent(ctx) {
		return nil
	}
	staff, err := s.people.WindowStaff(ctx, tx, f.Window)
	if err != nil {
		return err
	}
	pres, err := s.people.WindowPresidents(ctx, tx, f.Window)
	if err != nil {
		return err
	}
	seen := map[int64]bool{}
	for _, who := range append(staff, pres...) {
		if seen[who.ID] {
			continue
		}
		seen[who.ID] = true
		l := i18n.Lang(who.Lang)
		data := s.data(ctx, f, k, who.Lang, nil)
		data["Name"] = who.DisplayName(who.Lang)
		data["Referred"] = i18n.FormatDate(l, r.ReferredAt)
		channels := []notify.Channel{notify.Inbox}
		if who.EmailVerifiedAt != nil {
			channels = append(channels, notify.Email)
		}
		if err := s.notify.Send(ctx, tx, notify.Message{Template: "permit.recourse_staff", Data: data,
			Key: fmt.Sprintf("permit.recourse:%d:person:%d", f.ID, who.ID),
			To:  notify.Recipient{UserID: "person:" + strconv.FormatInt(who.ID, 10), Email: who.Email, Lang: who.Lang}, Channels: channels}); err != nil {
			return err
		}
	}
	return nil
}
