package planreview

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/people"
	"madina/internal/platform/blob"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// Deps are the service's collaborators.
type Deps struct {
	DB     *db.DB
	Blobs  blob.Store
	Sheets Sheets
	Names  Names  // nil: authors are not named
	Signer Signer // nil: exports are not signed
	// Events publishes what the notices follow (jobs.Queue); nil: nothing
	// is published.
	Events Publisher
	// Notices: who is told, how, and the service's address for the links
	// (notices.go); nil Notify: nobody is told.
	Notify     Notifier
	People     People
	Applicants Applicants
	BaseURL    string
	Log        *slog.Logger
	Now        func() time.Time
}

// Service is the plan-review use cases. Each one asks the policy first
// (authz.Check on the file's resource, as permit gives it), then applies
// the rules, then writes in one transaction with its audit record.
type Service struct {
	db     *db.DB
	blobs  blob.Store
	sheets Sheets
	names  Names
	signer Signer
	events Publisher
	notice notices
	log    *slog.Logger
	now    func() time.Time
}

// NewService builds the service.
func NewService(d Deps) *Service {
	s := &Service{db: d.DB, blobs: d.Blobs, sheets: d.Sheets, names: d.Names, signer: d.Signer, events: d.Events,
		notice: notices{notify: d.Notify, people: d.People, applicants: d.Applicants, baseURL: d.BaseURL}, log: d.Log, now: d.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	return s
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// maxSheetBytes bounds the sheet read into memory to learn its pages (once
// per sheet: the pages are then kept in planreview_pages).
const maxSheetBytes = 256 << 20

// sheet reads the sheet for a and checks act on it.
func (s *Service) sheet(ctx context.Context, q db.Querier, a authz.Actor, act authz.Action, fileID, docID int64) (Sheet, error) {
	sh, err := s.sheets.PlanSheet(ctx, q, a, fileID, docID)
	if err != nil {
		return sh, err
	}
	if err := authz.Check(a, act, sh.Resource); err != nil {
		return sh, err
	}
	return sh, nil
}

// Pages returns the pages of sheet sh: read once from its PDF, then kept.
// A sheet that is no PDF, or a PDF the server cannot read (damaged,
// encrypted, without a page), is refused with a message saying so.
func (s *Service) Pages(ctx context.Context, sh Sheet) ([]Page, error) {
	pages, err := storedPages(ctx, s.db, sh.SHA256)
	if err != nil || len(pages) > 0 {
		return pages, err
	}
	if sh.ContentType != "application/pdf" {
		return nil, errs.E(errs.Invalid, "planreview.error.not_pdf").With("name", sh.Name)
	}
	if sh.Size > maxSheetBytes {
		return nil, errs.E(errs.TooLarge, "planreview.error.too_large").With("name", sh.Name)
	}
	data, err := blob.ReadAll(ctx, s.blobs, sh.SHA256, sh.Size)
	if err != nil {
		return nil, err
	}
	pages, err = ReadPages(data)
	if err != nil {
		return nil, fmt.Errorf("planreview: sheet %s: %w", sh.SHA256, err)
	}
	err = s.db.Transact(ctx, func(tx *db.Tx) error { return savePages(ctx, tx, sh.SHA256, pages, s.clock()) })
	return pages, err
}

// View is sheet docID of file fileID with the annotations a may read:
// those shared with the applicant, and the committee's own when the
// policy lets a read them. committeeOnly asks for the committee's own
// only, and is refused (with its reason) to whoever may not read them.
func (s *Service) View(ctx context.Context, a authz.Actor, fileID, docID int64, committeeOnly bool) (*View, error) {
	sh, err := s.sheet(ctx, s.db, a, authz.ReadAnnotations, fileID, docID)
	if err != nil {
		return nil, err
	}
	committee := authz.Decide(a, authz.ReadCommitteeNotes, sh.Resource).Allow
	if committeeOnly && !committee {
		return nil, authz.Check(a, authz.ReadCommitteeNotes, sh.Resource)
	}
	pages, err := s.Pages(ctx, sh)
	if err != nil {
		return nil, err
	}
	anns, err := sheetAnnotations(ctx, s.db, sh.File, sh.Item, sh.Version, committee)
	if err != nil {
		return nil, err
	}
	if committeeOnly {
		anns = slices.DeleteFunc(anns, func(x *Annotation) bool { return x.Visibility != VisibleCommittee })
	}
	v := &View{Sheet: sh, Pages: pages, Annotations: anns, Committee: committee,
		Reply: authz.Decide(a, authz.ReplyAnnotation, sh.Resource).Allow, Annotate: authz.Decide(a, authz.Annotate, sh.Resource).Allow}
	v.Sign = v.Annotate && s.signer != nil
	v.Names, err = s.namesOf(ctx, anns)
	return v, err
}

// Annotation is annotation id as it shows on sheet docID of file fileID,
// for a reader; a committee-only one is refused to whoever may not read
// the committee's notes, with the reason.
func (s *Service) Annotation(ctx context.Context, a authz.Actor, fileID, docID, id int64) (*View, *Annotation, error) {
	sh, err := s.sheet(ctx, s.db, a, authz.ReadAnnotations, fileID, docID)
	if err != nil {
		return nil, nil, err
	}
	ann, err := annotationOn(ctx, s.db, sh.File, sh.Item, sh.Version, id)
	if err != nil {
		return nil, nil, err
	}
	if ann.Visibility == VisibleCommittee {
		if err := authz.Check(a, authz.ReadCommitteeNotes, sh.Resource); err != nil {
			return nil, nil, err
		}
	}
	v := &View{Sheet: sh, Annotations: []*Annotation{ann}, Committee: authz.Decide(a, authz.ReadCommitteeNotes, sh.Resource).Allow}
	v.Names, err = s.namesOf(ctx, v.Annotations)
	return v, ann, err
}

func (s *Service) namesOf(ctx context.Context, anns []*Annotation) (map[int64]people.Person, error) {
	out := map[int64]people.Person{}
	if s.names == nil {
		return out, nil
	}
	add := func(id int64) error {
		if _, ok := out[id]; ok || id == 0 {
			return nil
		}
		p, err := s.names.Person(ctx, s.db, id)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		out[id] = p
		return nil
	}
	for _, a := range anns {
		if err := add(a.Author); err != nil {
			return nil, err
		}
		for _, r := range a.Replies {
			if err := add(r.Author); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// Draft is a new annotation as a client sends it.
type Draft struct {
	Kind        string
	Page        int
	Source      string // the target's source: the sheet's content hash
	SVG         string // the SvgSelector's value
	Body        string
	Motivation  string
	Status      string
	Visibility  string
	Calibration *Calibration
}

// Source is the W3C target source naming a sheet version by its content
// hash: a Named Information URI (RFC 6920) with the SHA-256 in base64url.
func Source(sha256Hex string) string { return niURI(sha256Hex) }

// Create adds an annotation to sheet docID of file fileID: a committee
// member sitting on the file or an agent of its window, officially. The
// server reads the geometry, checks it lies on an existing page, resolves
// the calibration and computes the measurement.
func (s *Service) Create(ctx context.Context, a authz.Actor, fileID, docID int64, d Draft) (*View, *Annotation, error) {
	sh, err := s.sheet(ctx, s.db, a, authz.Annotate, fileID, docID)
	if err != nil {
		return nil, nil, err
	}
	if d.Source != "" && d.Source != Source(sh.SHA256) {
		return nil, nil, errs.E(errs.Conflict, "planreview.error.source").OnField("target").
			Cause(fmt.Errorf("target %q, sheet %s", d.Source, sh.SHA256))
	}
	pages, err := s.Pages(ctx, sh)
	if err != nil {
		return nil, nil, err
	}
	if d.Page < 1 || d.Page > len(pages) {
		return nil, nil, errs.E(errs.Invalid, "planreview.error.page").With("page", d.Page).With("count", len(pages)).OnField("target")
	}
	page := pages[d.Page-1]
	shape, err := ParseSVG(d.Kind, d.SVG)
	if err != nil {
		return nil, nil, err
	}
	if !shape.Within(page.Box) {
		return nil, nil, errs.E(errs.Invalid, "planreview.error.off_page").With("page", d.Page).OnField("target")
	}
	ann := &Annotation{File: sh.File, Document: sh.Document, Item: sh.Item, DocVersion: sh.Version, Page: d.Page, Kind: d.Kind,
		Shape: shape, Round: sh.Round, Author: a.Person, Created: s.clock(), Version: 1}
	ann.Updated = ann.Created
	if ann.Body, err = bodyText(d.Body, false); err != nil {
		return nil, nil, err
	}
	if ann.Motivation = d.Motivation; ann.Motivation == "" {
		ann.Motivation = "commenting"
		if d.Kind == "highlight" {
			ann.Motivation = "highlighting"
		} else if measured[d.Kind] {
			ann.Motivation = "assessing"
		}
	}
	if !motivations[ann.Motivation] {
		return nil, nil, errs.E(errs.Invalid, "planreview.error.motivation").OnField("motivation")
	}
	if ann.Status = d.Status; ann.Status == "" {
		ann.Status = StatusOpen
	}
	if ann.Status != StatusOpen && ann.Status != StatusInfo {
		return nil, nil, errs.E(errs.Invalid, "planreview.error.new_status").OnField("madina:status")
	}
	if ann.Visibility = d.Visibility; ann.Visibility == "" {
		ann.Visibility = VisibleCommittee
	}
	if ann.Visibility != VisibleCommittee && ann.Visibility != VisibleShared {
		return nil, nil, errs.E(errs.Invalid, "planreview.error.visibility").OnField("madina:visibility")
	}
	if calibrated[d.Kind] {
		if d.Calibration == nil {
			return nil, nil, errs.E(errs.Invalid, "planreview.error.calibration").OnField("madina:calibration")
		}
		c, err := d.Calibration.Resolve(page)
		if err != nil {
			return nil, nil, err
		}
		ann.Calibration = &c
	} else if d.Calibration != nil {
		return nil, nil, errs.E(errs.Invalid, "planreview.error.calibration_unused").OnField("madina:calibration")
	}
	m := 0.0
	if ann.Calibration != nil {
		m = ann.Calibration.MetresPerUnit
	}
	if mm, ok, err := Measure(d.Kind, shape, m); err != nil {
		return nil, nil, err
	} else if ok {
		ann.Measurement = &mm
	}
	ann.Side, ann.Organisation = side(a, sh.Resource)
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		// Read again inside the transaction: the file's round, seats and
		// the policy's answer as they are now.
		sh2, err := s.sheet(ctx, tx, a, authz.Annotate, fileID, docID)
		if err != nil {
			return err
		}
		ann.Round = sh2.Round
		if err := insertAnnotation(ctx, tx, ann); err != nil {
			return err
		}
		ch := map[string]any{"file": sh.File, "document": sh.Document, "sha256": sh.SHA256, "page": ann.Page, "kind": ann.Kind,
			"visibility": ann.Visibility, "status": ann.Status, "round": ann.Round}
		if ann.Measurement != nil {
			ch["measured"], ch["unit"] = ann.Measurement.Value, ann.Measurement.Unit
		}
		if _, err := audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(a, sh.Resource), Action: "planreview.annotated",
			ObjectType: "plan_annotation", ObjectID: strconv.FormatInt(ann.ID, 10), Change: ch}); err != nil {
			return err
		}
		if ann.Visibility == VisibleShared {
			return s.shared(ctx, tx, ann, sh.Document, a.Person, SharedCreated)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	v := &View{Sheet: sh, Pages: pages, Annotations: []*Annotation{ann}, Committee: true}
	v.Names, err = s.namesOf(ctx, v.Annotations)
	return v, ann, err
}

// Patch changes an annotation: its status (whoever annotates the file),
// its text and its visibility (its author only). Nil fields stay.
type Patch struct {
	Status     *string
	Body       *string
	Visibility *string
}

// Update applies p to annotation id as it shows on sheet docID of file
// fileID. Resolving it on this version keeps it with this version and
// the earlier ones: it is no longer carried to later versions.
func (s *Service) Update(ctx context.Context, a authz.Actor, fileID, docID, id int64, p Patch) (*View, *Annotation, error) {
	var v *View
	var ann *Annotation
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		sh, err := s.sheet(ctx, tx, a, authz.Annotate, fileID, docID)
		if err != nil {
			return err
		}
		ann, err = annotationOn(ctx, tx, sh.File, sh.Item, sh.Version, id)
		if err != nil {
			return err
		}
		read := ann.Version
		before := map[string]any{"status": ann.Status, "visibility": ann.Visibility}
		now := s.clock()
		if p.Body != nil || p.Visibility != nil {
			if ann.Author != a.Person {
				return errs.E(errs.Forbidden, "planreview.error.not_author")
			}
		}
		if p.Body != nil {
			if ann.Body, err = bodyText(*p.Body, false); err != nil {
				return err
			}
		}
		if p.Visibility != nil {
			if *p.Visibility != VisibleCommittee && *p.Visibility != VisibleShared {
				return errs.E(errs.Invalid, "planreview.error.visibility").OnField("madina:visibility")
			}
			ann.Visibility = *p.Visibility
		}
		if p.Status != nil && *p.Status != ann.Status {
			switch *p.Status {
			case StatusResolved:
				ann.ResolvedVersion, ann.ResolvedBy, ann.ResolvedAt = sh.Version, a.Person, &now
			case StatusOpen, StatusInfo:
				ann.ResolvedVersion, ann.ResolvedBy, ann.ResolvedAt = 0, 0, nil
			default:
				return errs.E(errs.Invalid, "planreview.error.status").OnField("madina:status")
			}
			ann.Status = *p.Status
		}
		ann.Updated = now
		if err := updateAnnotation(ctx, tx, ann, read); err != nil {
			return err
		}
		ch := map[string]any{"before": before, "status": ann.Status, "visibility": ann.Visibility, "document": sh.Document,
			"text_changed": p.Body != nil}
		if _, err := audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(a, sh.Resource), Action: "planreview.annotation_changed",
			ObjectType: "plan_annotation", ObjectID: strconv.FormatInt(ann.ID, 10), Change: ch}); err != nil {
			return err
		}
		if before["visibility"] == VisibleCommittee && ann.Visibility == VisibleShared {
			if err := s.shared(ctx, tx, ann, sh.Document, a.Person, SharedChanged); err != nil {
				return err
			}
		}
		v = &View{Sheet: sh, Annotations: []*Annotation{ann}, Committee: true}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	v.Names, err = s.namesOf(ctx, v.Annotations)
	return v, ann, err
}

// Reply answers on annotation id as it shows on sheet docID of file
// fileID: the applicant (owner, or professional under mandate) on the
// annotations shared with them; the committee and the window on any.
func (s *Service) Reply(ctx context.Context, a authz.Actor, fileID, docID, id int64, body string) (*View, *Annotation, error) {
	text, err := bodyText(body, true)
	if err != nil {
		return nil, nil, err
	}
	var v *View
	var ann *Annotation
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		sh, err := s.sheet(ctx, tx, a, authz.ReplyAnnotation, fileID, docID)
		if err != nil {
			return err
		}
		ann, err = annotationOn(ctx, tx, sh.File, sh.Item, sh.Version, id)
		if err != nil {
			return err
		}
		if ann.Visibility == VisibleCommittee {
			if err := authz.Check(a, authz.ReadCommitteeNotes, sh.Resource); err != nil {
				return err
			}
		}
		r := Reply{Annotation: ann.ID, Document: sh.Document, Author: a.Person, Body: text, Created: s.clock()}
		switch d := authz.Decide(a, authz.ReplyAnnotation, sh.Resource); d.Reason {
		case authz.ReasonOwner, authz.ReasonUnderMandate:
			r.Side = SideApplicant
		default:
			r.Side, r.Organisation = side(a, sh.Resource)
		}
		if err := insertReply(ctx, tx, &r); err != nil {
			return err
		}
		ann.Replies = append(ann.Replies, r)
		if _, err := audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(a, sh.Resource), Action: "planreview.replied",
			ObjectType: "plan_annotation", ObjectID: strconv.FormatInt(ann.ID, 10),
			Change: map[string]any{"reply": r.ID, "side": r.Side, "document": sh.Document}}); err != nil {
			return err
		}
		if err := s.replied(ctx, tx, ann, &r); err != nil {
			return err
		}
		v = &View{Sheet: sh, Annotations: []*Annotation{ann}, Committee: authz.Decide(a, authz.ReadCommitteeNotes, sh.Resource).Allow}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	v.Names, err = s.namesOf(ctx, v.Annotations)
	return v, ann, err
}

// side is who a speaks for on the file of r: a committee member of an
// organisation sitting on it, or the president, for the committee; an
// agent of its window for the window; with the organisation.
func side(a authz.Actor, r authz.Resource) (string, string) {
	for _, g := range a.Grants {
		if g.Role == authz.CommitteeMember && slices.Contains(r.Seats, g.Org) {
			return SideCommittee, g.Org
		}
	}
	for _, g := range a.Grants {
		if g.Role == authz.WindowAgent && r.Window != "" && g.Window == r.Window {
			return SideWindow, g.Org
		}
	}
	for _, g := range a.Grants {
		if g.Role == authz.President && r.Window != "" && g.Window == r.Window {
			return SideCommittee, g.Org
		}
	}
	return SideWindow, ""
}

// maxBody is the longest text of an annotation or a reply.
const maxBody = 4000

// bodyText checks a text already cleaned by the shared decoder: at most
// maxBody characters, and present when required.
func bodyText(s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	if required && s == "" {
		return "", errs.E(errs.Invalid, "planreview.error.reply_empty").OnField("body")
	}
	if utf8.RuneCountInString(s) > maxBody {
		return "", errs.E(errs.Invalid, "planreview.error.body_long").With("max", maxBody).OnField("body")
	}
	return s, nil
}
