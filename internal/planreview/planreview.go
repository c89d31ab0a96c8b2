// Package planreview is the plan-review workspace (issue #13): the
// committee's and the window's annotations and measurements on the plan
// sheets of permit files, served and accepted as W3C Web Annotations,
// with threads of replies where the applicant answers, carried over to
// a sheet's new versions while open, and exported as a PDF with real PDF
// annotations. Permit owns the sheets (its documents); this package asks
// for them through Sheets, an interface it declares.
package planreview

import (
	"context"
	"time"

	"madina/internal/authz"
	"madina/internal/people"
	"madina/internal/platform/db"
)

// Sheet is a plan sheet as permit describes it: a version of one of a
// file's documents, the file's current round, the policy's resource of
// the file and every version of the same item, oldest first. An alias of
// an unnamed struct type, identical to permit.PlanSheet: neither package
// names the other, and internal/app checks the match at compile time.
type Sheet = struct {
	File        int64
	FileRef     string
	Document    int64
	Item        string
	Version     int
	SHA256      string
	Size        int64
	ContentType string
	Name        string
	Pages       int
	Round       int
	Resource    authz.Resource
	Versions    []SheetVersion
}

// SheetVersion is one version of a sheet's item.
type SheetVersion = struct {
	Document int64
	Version  int
	SHA256   string
}

// Sheets is what planreview asks of permit (its Service provides it).
type Sheets interface {
	// PlanSheet is document docID of file fileID, read through q, for an
	// actor the policy lets read the file; errs.NotFound otherwise.
	PlanSheet(ctx context.Context, q db.Querier, a authz.Actor, fileID, docID int64) (Sheet, error)
}

// SignPDF signs a PDF (PAdES, invisible) and returns it with the
// signer's name and certificate serial.
type SignPDF = func(ctx context.Context, pdf []byte, reason string) (signed []byte, signer, serial string, err error)

// Signer is how planreview has an export signed (the signature
// capability's Service provides it): the actor's own key, unlocked with
// their PIN for one act on one object.
type Signer interface {
	UnlockSigner(ctx context.Context, a authz.Actor, pin, objectType, objectID, purpose, digest string) (SignPDF, error)
}

// Names is how planreview names the authors (identity's store).
type Names interface {
	Person(ctx context.Context, q db.Querier, id int64) (people.Person, error)
}

// Statuses of an annotation.
const (
	StatusOpen     = "open"
	StatusResolved = "resolved"
	StatusInfo     = "info" // for information: nothing to answer
)

// Visibilities.
const (
	VisibleCommittee = "committee" // the committee and the window only
	VisibleShared    = "shared"    // shared with the applicant
)

// Sides: who speaks.
const (
	SideCommittee = "committee"
	SideWindow    = "window"
	SideApplicant = "applicant"
)

// Motivations (W3C Web Annotation vocabulary) an annotation may have.
var motivations = map[string]bool{"commenting": true, "questioning": true, "assessing": true, "highlighting": true, "describing": true}

// Annotation is an annotation on a sheet.
type Annotation struct {
	ID           int64
	File         int64
	Document     int64 // the version it was made on
	Item         string
	DocVersion   int
	Page         int
	Kind         string
	Shape        Shape
	Body         string
	Motivation   string
	Status       string
	Visibility   string
	Round        int
	Author       int64
	Side         string
	Organisation string
	Calibration  *Calibration
	Measurement  *Measurement
	Created      time.Time
	Updated      time.Time
	// ResolvedVersion is the version of the item it was resolved on.
	ResolvedVersion int
	ResolvedBy      int64
	ResolvedAt      *time.Time
	Version         int
	Replies         []Reply
}

// Carried reports whether a shows on version v as carried over from an
// earlier version.
func (a *Annotation) Carried(v int) bool { return a.DocVersion < v }

// Reply is one message of an annotation's thread.
type Reply struct {
	ID           int64
	Annotation   int64
	Document     int64 // the version it was written on
	Author       int64
	Side         string
	Organisation string
	Body         string
	Created      time.Time
}

// View is a sheet with the annotations its reader may see.
type View struct {
	Sheet       Sheet
	Pages       []Page
	Annotations []*Annotation
	// Committee: the reader sees the committee's own annotations too.
	Committee bool
	// Reply: the reader may answer on the annotations they see.
	Reply bool
	// Annotate: the reader may draw, measure and annotate.
	Annotate bool
	// Sign: the reader may sign the annotated export (they annotate, and
	// the signature service is there).
	Sign bool
	// Names of the authors, by person.
	Names map[int64]people.Person
}
