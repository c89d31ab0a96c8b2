// Package planreviewdemo loads the demonstration's plan reviews
// (docs/DEMO.md): on the architects' plans of the last three files the
// committee studies (the first ones stay blank for the tests), the urban
// agency's member
// (karim.benjelloun@example.ma) has measured the ground floor at the
// plans' declared scale and left remarks — some shared with the
// applicant, one for the committee — and the applicant has answered one.
// Everything goes through the service, as people would.
package planreviewdemo

import (
	"context"
	"fmt"
	"io"
	"time"

	"madina/internal/authz"
	"madina/internal/identity"
	"madina/internal/module"
	"madina/internal/planreview"
)

// Member is the demonstration's committee member who annotates.
const Member = "karim.benjelloun@example.ma"

// files is how many files get annotations.
const files = 3

// A remark is drawn in fractions of the page box.
type remark struct {
	kind, svg, body, visibility, status string
	scale                               float64 // a declared 1:N, for measurements
	answer                              string  // the applicant's answer, if any
}

var remarks = []remark{
	{kind: "area", svg: `<polygon points="%[1]s,%[2]s %[3]s,%[2]s %[3]s,%[4]s %[1]s,%[4]s"/>`, scale: 100, visibility: planreview.VisibleShared,
		body: "Surface du séjour mesurée à l’échelle 1/100 : elle doit correspondre au tableau des surfaces."},
	{kind: "pin", svg: `<circle cx="%[3]s" cy="%[4]s" r="4"/>`, visibility: planreview.VisibleShared,
		body:   "الرجاء إضافة أبعاد الواجهة الأمامية على هذا التصميم.",
		answer: "Les cotes de la façade seront ajoutées à la prochaine version du plan."},
	{kind: "rectangle", svg: `<rect x="%[1]s" y="%[4]s" width="%[5]s" height="%[6]s"/>`, visibility: planreview.VisibleCommittee,
		body: "Escalier : vérifier la largeur des marches avec le service de la protection civile."},
}

// Load annotates the plans; it does nothing when the demonstration has
// annotations already.
func Load(ctx context.Context, env *module.Env, out io.Writer) error {
	s, err := module.Need[*planreview.Service](env)
	if err != nil {
		return err
	}
	id, err := module.Need[*identity.Service](env)
	if err != nil {
		return err
	}
	var n int
	if err := env.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM planreview_annotations`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		fmt.Fprintln(out, "demo: the plan reviews are already there")
		return nil
	}
	person, err := id.AccountID(ctx, Member)
	if err != nil {
		return fmt.Errorf("planreview demo: %w (load identity's demonstration first)", err)
	}
	now := time.Now()
	member := authz.Actor{Person: person, EmailVerified: true, MFA: true, Now: now,
		Grants: []authz.Grant{{Role: authz.CommitteeMember, Org: "aucasa"}}}
	// The plans: the latest version of the architects' plans of the
	// files the committee studies, on which the urban agency sits
	// (permit's tables, read only).
	rows, err := env.DB.QueryContext(ctx, `SELECT f.id, d.id, COALESCE(f.owner_person_id, 0) FROM permit_files f
		JOIN permit_committee_seats s ON s.file_id = f.id AND s.organisation_code = 'aucasa'
		JOIN permit_documents d ON d.file_id = f.id AND d.item = 'architectural_plans' AND d.content_type = 'application/pdf'
		WHERE f.state = 'accepted' AND f.holder = 'committee' AND f.step = 'study'
		AND NOT EXISTS (SELECT 1 FROM permit_documents d2 WHERE d2.file_id = f.id AND d2.item = d.item AND d2.version > d.version)
		ORDER BY f.id DESC LIMIT $1`, files)
	if err != nil {
		return err
	}
	type sheet struct{ file, doc, owner int64 }
	var sheets []sheet
	for rows.Next() {
		var sh sheet
		if err := rows.Scan(&sh.file, &sh.doc, &sh.owner); err != nil {
			rows.Close()
			return err
		}
		sheets = append(sheets, sh)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	made := 0
	for _, sh := range sheets {
		v, err := s.View(ctx, member, sh.file, sh.doc, false)
		if err != nil {
			return fmt.Errorf("planreview demo: file %d: %w", sh.file, err)
		}
		if len(v.Pages) == 0 {
			continue
		}
		b := v.Pages[0].Box
		x := func(f float64) string { return fmt.Sprintf("%.2f", b[0]+f*(b[2]-b[0])) }
		y := func(f float64) string { return fmt.Sprintf("%.2f", b[1]+f*(b[3]-b[1])) }
		w := func(f float64) string { return fmt.Sprintf("%.2f", f*(b[2]-b[0])) }
		h := func(f float64) string { return fmt.Sprintf("%.2f", f*(b[3]-b[1])) }
		for _, r := range remarks {
			svg := `<svg xmlns="http://www.w3.org/2000/svg">` + fmt.Sprintf(r.svg, x(0.15), y(0.55), x(0.4), y(0.8), w(0.12), h(0.15)) + `</svg>`
			d := planreview.Draft{Kind: r.kind, Page: 1, SVG: svg, Body: r.body, Visibility: r.visibility, Status: r.status}
			if r.scale > 0 {
				d.Calibration = &planreview.Calibration{Source: planreview.SourceScale, Ratio: r.scale}
			}
			_, a, err := s.Create(ctx, member, sh.file, sh.doc, d)
			if err != nil {
				return fmt.Errorf("planreview demo: %s on file %d: %w", r.kind, sh.file, err)
			}
			made++
			if r.answer != "" && sh.owner != 0 {
				owner := authz.Actor{Person: sh.owner, EmailVerified: true, Now: now}
				if _, _, err := s.Reply(ctx, owner, sh.file, sh.doc, a.ID, r.answer); err != nil {
					return fmt.Errorf("planreview demo: the answer on file %d: %w", sh.file, err)
				}
			}
		}
	}
	fmt.Fprintf(out, "demo: %d plan annotations by %s on %d files the committee studies\n", made, Member, len(sheets))
	return nil
}
