package planreview

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"madina/internal/authz"
	"madina/internal/notify"
	"madina/internal/people"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
)

// The notices of the plan review (docs/ARCHITECTURE.md, "Plan review",
// "Notices"): the applicant hears of an annotation shared with them and
// of the committee's answers on the shared ones; an annotation's author
// hears of the applicant's answer. Nobody hears of their own action, and
// nobody of what the policy does not let them read: each recipient is
// decided by authz, as they would be signed in, on the file as it is when
// the event is handed over.

//go:embed notices
var noticesFS embed.FS

// Notices are the e-mail and SMS templates of the plan review, as notify
// reads them (templates/{lang}/{name}.tmpl).
func Notices() fs.FS {
	sub, _ := fs.Sub(noticesFS, "notices") // a valid path: fs.Sub cannot fail
	return sub
}

// Notifier queues notices (notify.Service).
type Notifier interface {
	Send(ctx context.Context, tx *db.Tx, m notify.Message) error
}

// People is how the notices name and reach people, name organisations,
// and see a person as the policy would once signed in (identity's store).
type People interface {
	Person(ctx context.Context, q db.Querier, id int64) (people.Person, error)
	Organisation(ctx context.Context, q db.Querier, code string) (people.Organisation, error)
	ActorOf(ctx context.Context, q db.Querier, id int64, now time.Time) (authz.Actor, error)
}

// FileApplicants is what the notices ask of a file: how the applicant
// knows it (its number, else its reference), the people permit tells
// about its steps, and the legal person owning it (0 for none). An alias
// of an unnamed struct type, identical to permit.PlanFile.
type FileApplicants = struct {
	Display    string
	Applicants []int64
	OwnerLegal int64
}

// Applicants is who permit tells about a file (its Service provides it).
type Applicants interface {
	PlanApplicants(ctx context.Context, q db.Querier, fileID int64) (FileApplicants, error)
}

type notices struct {
	notify     Notifier
	people     People
	applicants Applicants
	baseURL    string
}

// NoticeWindow groups the sharing: the annotations shared on one sheet
// within one such window (of the clock, in UTC) make one notice for each
// applicant, the first's; the review page it links to lists them all.
const NoticeWindow = 15 * time.Minute

// SendNotices is the subscriber of Topics. It runs in the dispatcher's
// transaction and reads the annotation as it is then (one made the
// committee's own again before the event was handed over tells nobody).
// Each notice is keyed, so that an event handed twice tells once. Silent
// events (loading data) and payload versions it does not know tell
// nobody.
func (s *Service) SendNotices(ctx context.Context, tx *db.Tx, ev jobs.Event) error {
	var v struct {
		V      int  `json:"v"`
		Silent bool `json:"silent"`
	}
	if err := ev.Decode(&v); err != nil {
		return err
	}
	if v.Silent || v.V != EventVersion || s.notice.notify == nil || s.notice.people == nil || s.notice.applicants == nil {
		return nil
	}
	switch ev.Topic {
	case TopicAnnotationShared:
		var p AnnotationShared
		if err := ev.Decode(&p); err != nil {
			return err
		}
		return s.tellShared(ctx, tx, p)
	case TopicReplied:
		var p Replied
		if err := ev.Decode(&p); err != nil {
			return err
		}
		return s.tellReply(ctx, tx, ev, p)
	}
	return nil
}

// reader reads through the dispatcher's transaction without locking rows
// (permit locks a file read through a *db.Tx): a notice changes nothing.
type reader struct{ db.Querier }

// recipient is someone to tell, with the sheet as they may read it.
type recipient struct {
	who   people.Person
	sheet Sheet
	file  string // the file as the applicant knows it
}

// mayRead is person id, if the policy lets them read ann on document doc
// of file as they would be signed in now (acting for the legal person
// owning the file when they represent it): the file, the shared
// annotations, and the committee's own when ann is one. ok is false for
// whoever may not, and for a closed account.
func (s *Service) mayRead(ctx context.Context, q db.Querier, id int64, f FileApplicants, ann *Annotation, doc int64) (recipient, bool, error) {
	a, err := s.notice.people.ActorOf(ctx, q, id, s.now())
	if errs.Is(err, errs.NotFound) {
		return recipient{}, false, nil
	}
	if err != nil {
		return recipient{}, false, err
	}
	if f.OwnerLegal != 0 && slices.Contains(a.Represents, f.OwnerLegal) {
		a.ActingFor = f.OwnerLegal
	}
	sh, err := s.sheets.PlanSheet(ctx, q, a, ann.File, doc)
	if errs.Is(err, errs.NotFound) || errs.Is(err, errs.Forbidden) {
		return recipient{}, false, nil
	}
	if err != nil {
		return recipient{}, false, err
	}
	if !authz.Decide(a, authz.ReadAnnotations, sh.Resource).Allow {
		return recipient{}, false, nil
	}
	if ann.Visibility != VisibleShared && !authz.Decide(a, authz.ReadCommitteeNotes, sh.Resource).Allow {
		return recipient{}, false, nil
	}
	p, err := s.notice.people.Person(ctx, q, id)
	if err != nil {
		return recipient{}, false, err
	}
	return recipient{who: p, sheet: sh, file: f.Display}, true, nil
}

// applicantsOf are the applicants who may read ann on doc, but for the
// people in skip (whoever acted, the annotation's author).
func (s *Service) applicantsOf(ctx context.Context, q db.Querier, ann *Annotation, doc int64, skip ...int64) ([]recipient, error) {
	f, err := s.notice.applicants.PlanApplicants(ctx, q, ann.File)
	if err != nil {
		return nil, err
	}
	var out []recipient
	for _, id := range f.Applicants {
		if slices.Contains(skip, id) {
			continue
		}
		r, ok, err := s.mayRead(ctx, q, id, f, ann, doc)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// tellShared tells the applicants that an annotation was shared with
// them: one notice per applicant, sheet and NoticeWindow.
func (s *Service) tellShared(ctx context.Context, tx *db.Tx, p AnnotationShared) error {
	q := reader{tx}
	ann, err := annotationByID(ctx, q, p.Annotation)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if ann.Visibility != VisibleShared {
		return nil // the committee's own again: nobody outside is told
	}
	rs, err := s.applicantsOf(ctx, q, ann, p.Document, p.Actor, ann.Author)
	if err != nil {
		return err
	}
	window := p.At.UTC().Truncate(NoticeWindow).Unix()
	for _, r := range rs {
		d := s.noticeData(ctx, q, r, ann, p.Document, ann.Organisation, ann.Body, p.At)
		key := fmt.Sprintf("%s:file:%d:document:%d:window:%d:person:%d", TopicAnnotationShared, ann.File, p.Document, window, r.who.ID)
		if err := s.send(ctx, tx, "planreview.shared", r.who, d, key); err != nil {
			return err
		}
	}
	return nil
}

// tellReply tells of an answer: the applicant's, to the annotation's
// author; the committee's or the window's, to the applicants when the
// annotation is shared with them.
func (s *Service) tellReply(ctx context.Context, tx *db.Tx, ev jobs.Event, p Replied) error {
	q := reader{tx}
	ann, err := annotationByID(ctx, q, p.Annotation)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var body, org string
	if err := q.QueryRowContext(ctx, `SELECT body, COALESCE(organisation_code, '') FROM planreview_replies WHERE id = $1`, p.Reply).
		Scan(&body, &org); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return fmt.Errorf("planreview: reply %d: %w", p.Reply, err)
	}
	var rs []recipient
	template := "planreview.committee_replied"
	if p.Side == SideApplicant {
		template = "planreview.applicant_replied"
		if ann.Author != p.Actor {
			f, err := s.notice.applicants.PlanApplicants(ctx, q, ann.File)
			if err != nil {
				return err
			}
			r, ok, err := s.mayRead(ctx, q, ann.Author, f, ann, p.Document)
			if err != nil {
				return err
			}
			if ok {
				rs = append(rs, r)
			}
		}
	} else if ann.Visibility == VisibleShared {
		if rs, err = s.applicantsOf(ctx, q, ann, p.Document, p.Actor); err != nil {
			return err
		}
	}
	var answerer people.Person
	if p.Side == SideApplicant && len(rs) > 0 {
		if answerer, err = s.notice.people.Person(ctx, q, p.Actor); err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
	}
	for _, r := range rs {
		d := s.noticeData(ctx, q, r, ann, p.Document, org, body, p.At)
		d["Applicant"] = answerer.DisplayName(r.who.Lang)
		key := ev.Topic + ":" + strconv.FormatInt(ev.ID, 10) + ":person:" + strconv.FormatInt(r.who.ID, 10)
		if err := s.send(ctx, tx, template, r.who, d, key); err != nil {
			return err
		}
	}
	return nil
}

// excerpt is how much of a comment or an answer a notice quotes.
const excerpt = 300

// noticeData is what a notice says, in the recipient's language: the
// file, the sheet and its page, the organisation speaking, the date
// (Casablanca time), the words (cut), and the review page's address at
// the annotation.
func (s *Service) noticeData(ctx context.Context, q db.Querier, r recipient, ann *Annotation, doc int64, org, text string, at time.Time) map[string]any {
	l := i18n.Lang(r.who.Lang)
	orgName := org
	if org != "" {
		if o, err := s.notice.people.Organisation(ctx, q, org); err == nil {
			if n := o.Name.Pick(l); n != "" {
				orgName = n
			}
		}
	}
	if utf8.RuneCountInString(text) > excerpt {
		text = string([]rune(text)[:excerpt]) + "…"
	}
	return map[string]any{"Name": r.who.DisplayName(r.who.Lang), "File": r.file, "Sheet": r.sheet.Name, "Page": ann.Page,
		"Organisation": orgName, "Date": i18n.FormatDateTime(l, at), "Text": text, "Applicant": "",
		"URL": fmt.Sprintf("%s/files/%d/documents/%d/review#annotation-%d", s.notice.baseURL, ann.File, doc, ann.ID)}
}

// send queues a notice to who, in the inbox and on the channels they chose.
func (s *Service) send(ctx context.Context, tx *db.Tx, template string, who people.Person, d map[string]any, key string) error {
	return s.notice.notify.Send(ctx, tx, notify.Message{Template: template, Data: d, Key: key,
		To:       notify.Recipient{UserID: "person:" + strconv.FormatInt(who.ID, 10), Email: who.Email, Phone: who.Phone, Lang: who.Lang},
		Channels: who.Channels()})
}
