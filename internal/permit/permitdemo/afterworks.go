package permitdemo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/permit"
)

// After the works (issue #12, points 7 and 9): two of the building
// permits the president granted go on after their decision. The holder of
// a residential building declares the completion of the works a few days
// later, files the habitation permit application (the architect's
// certificate among its documents), the window accepts and dispatches it
// to the works inspection committee: it waits for its visit, which the
// agenda planned at the end of the load puts on the committee's next
// sitting. The holder of a non-residential building does the same for a
// conformity certificate; the inspecting members visit, add photos,
// record their findings (conform), the secretariat forwards and the
// president delivers the certificate, well within the legal month.

// The after-works stories.
const (
	awPending   = "pending"   // the habitation permit waits for its inspection visit
	awDelivered = "delivered" // the conformity certificate is delivered
)

// dfAfter is the after-works story of a granted permit: which, and the
// file it started.
type dfAfter struct {
	story string
	kind  *permit.Kind
	child *dfFile // the file after the works, once declared
}

// awStory is what an after-works story needs: the kind of the file
// after the works, how long after its permit's decision it takes to play
// (lead), how long before now its completion is declared (back).
type awStory struct {
	kind string
	lead time.Duration
	back [2]time.Duration
}

// awStories are the after-works stories.
func awStories() map[string]awStory {
	day := 24 * time.Hour
	return map[string]awStory{
		// Works take their time: the completion is declared some days
		// before now, long after the permit for most.
		awPending: {permit.KindHabitation, 11 * day, [2]time.Duration{7 * day, 9 * day}},
		// Sixteen days hold the delivered certificate's whole story
		// (declared two days after the permit, accepted, dispatched,
		// visited on the next sitting day, forwarded, decided), weekends
		// and holidays included.
		awDelivered: {permit.KindConformity, 16 * day, [2]time.Duration{20 * day, 24 * day}},
	}
}

// afterWorksLeads has the permit the delivered certificate will follow
// decided early enough for its story: the first granted building permit
// not for housing (afterWorksPlan takes the first that fits; the
// demonstration has few, and the day of the load decides when they are
// decided).
func (d *demoFiles) afterWorksLeads() {
	for _, f := range d.files {
		if f.final == dfGranted && f.kind.Code == "building" && f.in.Fields["use"] != "housing" {
			f.lead = awStories()[awDelivered].lead
			return
		}
	}
}

// afterWorksPlan appends to two granted building permits' stories their
// after-works steps: one of each story, when a permit decided early
// enough fits it.
func (d *demoFiles) afterWorksPlan() {
	day := 24 * time.Hour
	plans := map[int]*dfAfter{}
	d.after = plans
	for _, story := range []string{awPending, awDelivered} {
		aw := awStories()[story]
		kind, lead, back := aw.kind, aw.lead, aw.back
		k, err := d.a.Catalogue.Kind(kind)
		if err != nil {
			continue
		}
		// The pending habitation permit from the permit decided last, the
		// delivered certificate from the first that fits.
		var f *dfFile
		var decided dfStep
		for _, g := range d.files {
			// The pending one, a person's building: a test signs in as them
			// (a company's representative acts for it only once they
			// chose so).
			if g.final != dfGranted || g.kind.Code != "building" || plans[g.n] != nil || len(g.steps) == 0 ||
				(story == awPending && g.owner.legal != 0) {
				continue
			}
			if (g.in.Fields["use"] == "housing") != (kind == permit.KindHabitation) {
				continue
			}
			last := g.steps[len(g.steps)-1]
			if last.op != "decide_permit" || !last.at.Add(lead).Before(d.end) {
				continue
			}
			if f == nil || (story == awPending && last.at.After(decided.at)) {
				f, decided = g, last
			}
		}
		if f == nil {
			continue
		}
		plans[f.n] = &dfAfter{story: story, kind: k}
		declared := d.officeAfter(tmax(d.end.Add(-d.dur(back[0], back[1])), decided.at.Add(2*day)))
		accept := d.officeAfter(declared.Add(day))
		dispatch := d.officeAfter(accept.Add(day))
		f.steps = append(f.steps, dfStep{op: "aw_declare", at: declared}, dfStep{op: "aw_upload", at: declared.Add(20 * time.Minute)},
			dfStep{op: "aw_submit", at: declared.Add(35 * time.Minute)}, dfStep{op: "aw_accept", at: accept},
			dfStep{op: "aw_dispatch", at: dispatch})
		if story == awDelivered {
			// The visit on the committee's next sitting day (Monday or
			// Thursday), the forward the next day, the decision after.
			visit := dispatch.Add(day)
			for wd := visit.In(time.UTC).Weekday(); wd != time.Monday && wd != time.Thursday; wd = visit.Weekday() {
				visit = visit.Add(day)
			}
			visit = d.officeAfter(time.Date(visit.Year(), visit.Month(), visit.Day(), 9, 30, 0, 0, time.UTC))
			forward := d.officeAfter(visit.Add(day))
			f.steps = append(f.steps, dfStep{op: "aw_photos", at: visit}, dfStep{op: "aw_findings", at: visit.Add(time.Hour)},
				dfStep{op: "aw_forward", at: forward}, dfStep{op: "aw_decide", at: d.officeAfter(forward.Add(day))})
		}
	}
}

// afterWorksStep plays one after-works step of granted permit f's story.
func (d *demoFiles) afterWorksStep(ctx context.Context, f *dfFile, s dfStep) error {
	aw := d.after[f.n]
	if aw == nil {
		return fmt.Errorf("no step %q", s.op)
	}
	svc := d.svc
	owner := f.owner.actor
	owner.Now = time.Now()
	c := aw.child
	if s.op != "aw_declare" && c == nil {
		return fmt.Errorf("%s before the declaration", s.op)
	}
	// The file after the works is at the window the routing gives it.
	childAgent := func() (authz.Actor, error) {
		pf, err := svc.Get(ctx, owner, c.id)
		if err != nil {
			return authz.Actor{}, err
		}
		a, ok := d.agents[pf.Window]
		if !ok {
			return authz.Actor{}, fmt.Errorf("no agent at %s", pf.Window)
		}
		a.Now = time.Now()
		return a, nil
	}
	switch s.op {
	case "aw_declare":
		pf, err := svc.DeclareCompletion(ctx, owner, f.id)
		if err != nil {
			return err
		}
		aw.child = &dfFile{n: f.n, kind: aw.kind, owner: f.owner, in: permit.Input{Fields: pf.Fields}, id: pf.ID}
	case "aw_upload":
		_, missing := permit.Checklist(c.kind, c.in.Fields, nil)
		for _, item := range missing {
			if err := d.upload(ctx, owner, c, item, "A"); err != nil {
				return fmt.Errorf("%s: %w", item, err)
			}
		}
	case "aw_submit":
		_, err := svc.Submit(ctx, owner, c.id, 0)
		return err
	case "aw_accept":
		a, err := childAgent()
		if err != nil {
			return err
		}
		_, err = svc.Accept(ctx, a, c.id, 0)
		return err
	case "aw_dispatch":
		a, err := childAgent()
		if err != nil {
			return err
		}
		if _, err := svc.Dispatch(ctx, a, c.id, 0); err != nil {
			return err
		}
		seats, err := svc.Seats(ctx, a, c.id)
		if err != nil {
			return err
		}
		c.orgs = map[string]string{}
		for _, st := range seats {
			c.orgs[st.Body.Code] = st.Organisation.Code
		}
	case "aw_photos":
		// The commune's member photographs the building.
		m, ok := d.members[c.orgs["commune"]]
		if !ok {
			return fmt.Errorf("no member for the commune (%q)", c.orgs["commune"])
		}
		m.Now = time.Now()
		b, err := svc.StartPhotos(ctx, m, c.id)
		if err != nil {
			return err
		}
		for i, rev := range []string{"A", "B"} {
			img, err := d.docs.get("photo", rev)
			if err != nil {
				return err
			}
			if err := b.Add(ctx, fmt.Sprintf("facade-%d.png", i+1), bytes.NewReader(img)); err != nil {
				return err
			}
		}
		_, err = b.Commit(ctx)
		return err
	case "aw_findings":
		a, err := childAgent()
		if err != nil {
			return err
		}
		seats, err := svc.Seats(ctx, a, c.id)
		if err != nil {
			return err
		}
		for _, st := range seats {
			m, ok := d.members[c.orgs[st.Body.Code]]
			if !ok {
				return fmt.Errorf("no member for %s (%q)", st.Body.Code, c.orgs[st.Body.Code])
			}
			m.Now = time.Now()
			d.clock.advance(d.clock.Now().Add(7 * time.Minute))
			if _, err := svc.GiveOpinion(ctx, m, c.id, 0, permit.Favourable, ""); err != nil {
				return fmt.Errorf("%s: %w", st.Body.Code, err)
			}
		}
	case "aw_forward":
		a, err := childAgent()
		if err != nil {
			return err
		}
		_, err = svc.Forward(ctx, a, c.id, 0)
		return err
	case "aw_decide":
		pf, err := svc.Get(ctx, owner, c.id)
		if err != nil {
			return err
		}
		p, ok := d.presidents[pf.Window]
		if !ok {
			return fmt.Errorf("no president at %s", pf.Window)
		}
		p.Now = time.Now()
		pin := ""
		if svc.SignsDecisions(ctx, p) {
			pin = DemoPIN
		}
		return d.decidePermit(ctx, p, c.id, pin)
	default:
		return fmt.Errorf("no step %q", s.op)
	}
	return nil
}

// decidePermit has president p decide urban file id, signing with pin
// when they hold a key; a president past the signature capability's rate
// waits (patiently, minutes.go).
func (d *demoFiles) decidePermit(ctx context.Context, p authz.Actor, id int64, pin string) error {
	if pin == "" {
		_, err := d.svc.DecidePermit(ctx, p, id, 0, pin)
		return err
	}
	return patiently(ctx, func() error { _, err := d.svc.DecidePermit(ctx, p, id, 0, pin); return err })
}

// afterWorksExamples names the after-works files and the permits they
// follow (docs/DEMO.md).
func (d *demoFiles) afterWorksExamples(ctx context.Context, out io.Writer) error {
	var parts []string
	for _, f := range d.files {
		aw := d.after[f.n]
		if aw == nil || aw.child == nil {
			continue
		}
		owner := f.owner.actor
		owner.Now = time.Now()
		pf, err := d.svc.Get(ctx, owner, aw.child.id)
		if err != nil {
			return err
		}
		parent, err := d.svc.Get(ctx, owner, f.id)
		if err != nil {
			return err
		}
		label := map[string]string{awPending: "habitation permit pending its inspection visit",
			awDelivered: "conformity certificate delivered"}[aw.story]
		parts = append(parts, fmt.Sprintf("%s %s (permit %s, %s)", label, pf.Display(), parent.Display(), f.owner.key))
	}
	if len(parts) > 0 {
		fmt.Fprintf(out, "demo: after the works: %s\n", strings.Join(parts, ", "))
	}
	return nil
}

// tmax is the later of a and b.
func tmax(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
