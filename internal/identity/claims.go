package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/notify"
	"madina/internal/platform/blob"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/jobs"
)

// A legal person registers once: its ICE (companies) or registration
// number (associations) is unique, in the database too. Whoever registers
// one already there is led to a claim: they upload the evidence that they
// represent it (statutes, minutes naming them), and one of its current
// representatives or an administrator approves (they become a
// representative) or refuses. Every step is audited and both sides told.

// Claim statuses, as stored.
const (
	ClaimPending  = "pending"
	ClaimApproved = "approved"
	ClaimRefused  = "refused"
)

// MaxEvidence bounds a claim's evidence file.
const MaxEvidence = 20 << 20

// ErrRegistered is the key of the conflict a registration meets when the
// legal person is already registered: the page then offers the claim.
const ErrRegistered = "identity.claims.error.registered"

// Claim is a request to represent a registered legal person.
type Claim struct {
	ID            int64
	Legal         LegalPerson
	ClaimantID    int64
	ClaimantName  string // Latin letters
	ClaimantAR    string
	ClaimantEmail string
	Role          string
	EvidenceSHA   string
	EvidenceSize  int64
	Status        string
	Reason        string
	CreatedAt     time.Time
	DecidedAt     *time.Time
}

// ClaimInput is what a claimant fills in.
type ClaimInput struct {
	Kind   string
	Number string // the ICE, the association's registration number or the school's code
	Role   string
}

// registryKey is how a legal person's number is compared: a company's
// ICEKey or an association's AssociationKey, once the number is checked.
// The database's unique indexes hold the same keys (ice, association_key).
func registryKey(kind, number string) (string, error) {
	switch kind {
	case Company:
		ice := ICEKey(number)
		if !ValidICE(ice) {
			return "", errs.E(errs.Invalid, "identity.error.ice").OnField("number")
		}
		return ice, nil
	case Association:
		n, err := cleanRegistryNumber("number", number, 40, "identity.error.association_number")
		if err != nil {
			return "", err
		}
		return AssociationKey(n), nil
	case School:
		code := SchoolCodeKey(number)
		if !ValidSchoolCode(code) {
			return "", errs.E(errs.Invalid, "identity.error.school_code").OnField("number")
		}
		return code, nil
	}
	return "", errs.E(errs.Invalid, "identity.error.legal_kind").OnField("kind")
}

// legalByKey finds the registered legal person with a kind's key.
func (s *Store) legalByKey(ctx context.Context, q db.Querier, kind, key string) (LegalPerson, error) {
	where := `l.ice = $1`
	switch kind {
	case Association:
		where = `l.association_key = $1`
	case School:
		where = `l.school_code = $1`
	}
	l, err := scanLegal(q.QueryRowContext(ctx, `SELECT `+legalColumns+` FROM legal_persons l WHERE `+where, key))
	if errors.Is(err, sql.ErrNoRows) {
		return l, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return l, fmt.Errorf("identity: legal person by number: %w", err)
	}
	return l, nil
}

const claimColumns = `c.id, c.claimant_id, p.given_name_latin || ' ' || p.family_name_latin, p.given_name_ar || ' ' || p.family_name_ar, p.email,
	c.role, c.evidence_sha256, c.evidence_size, c.status, c.reason, c.created_at, c.decided_at, ` + legalColumns

const claimFrom = ` FROM legal_claims c JOIN persons p ON p.id = c.claimant_id JOIN legal_persons l ON l.id = c.legal_person_id`

func (s *Store) claims(ctx context.Context, q db.Querier, where string, args ...any) ([]Claim, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+claimColumns+claimFrom+` WHERE `+where+` ORDER BY c.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("identity: claims: %w", err)
	}
	defer rows.Close()
	var out []Claim
	for rows.Next() {
		var c Claim
		var decided sql.NullTime
		l := &c.Legal
		if err := rows.Scan(&c.ID, &c.ClaimantID, &c.ClaimantName, &c.ClaimantAR, &c.ClaimantEmail, &c.Role, &c.EvidenceSHA,
			&c.EvidenceSize, &c.Status, &c.Reason, &c.CreatedAt, &decided,
			&l.ID, &l.Kind, &l.Name, &l.NameAR, &l.ICE, &l.RC, &l.AssociationNumber, &l.SchoolCode, &l.CreatedAt); err != nil {
			return nil, fmt.Errorf("identity: claims: %w", err)
		}
		c.DecidedAt = timePtr(decided)
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *Store) claim(ctx context.Context, q db.Querier, id int64) (Claim, error) {
	cs, err := s.claims(ctx, q, `c.id = $1`, id)
	if err != nil {
		return Claim{}, err
	}
	if len(cs) == 0 {
		return Claim{}, errs.E(errs.NotFound, "")
	}
	return cs[0], nil
}

// representativesOf lists the people who represent a legal person now.
func (s *Store) representativesOf(ctx context.Context, q db.Querier, legalID int64) ([]Person, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+personColumns+` FROM persons WHERE disabled_at IS NULL AND id IN
		(SELECT person_id FROM representatives WHERE legal_person_id = $1 AND revoked_at IS NULL) ORDER BY id`, legalID)
	if err != nil {
		return nil, fmt.Errorf("identity: representatives: %w", err)
	}
	defer rows.Close()
	var out []Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, fmt.Errorf("identity: representatives: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func claimResource(c Claim) authz.Resource {
	return authz.Resource{OwnerLegal: c.Legal.ID, OwnerPerson: c.ClaimantID}
}

// cleanEvidenceName keeps a file name fit to show: one line, printable,
// at most 120 characters.
func cleanEvidenceName(name string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || strings.ContainsRune(`/\<>"`, r) {
			return -1
		}
		return r
	}, name)
	name = strings.Join(strings.Fields(name), " ")
	for utf8.RuneCountInString(name) > 120 {
		_, n := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-n]
	}
	return name
}

// ClaimLegalPerson asks to represent a registered legal person, with the
// evidence (a PDF, checked like every upload). It answers invalid when
// nothing is registered under the number (register it instead), and
// conflict when the claimant already represents it or already asked.
func (s *Service) ClaimLegalPerson(ctx context.Context, a authz.Actor, in ClaimInput, evidenceName string, evidence io.Reader) (int64, error) {
	if err := authz.Check(a, authz.CreateLegalPerson, authz.Resource{}); err != nil {
		return 0, err
	}
	key, err := registryKey(in.Kind, in.Number)
	if err != nil {
		return 0, err
	}
	valid := false
	for _, r := range RepresentativeRoles[in.Kind] {
		valid = valid || r == in.Role
	}
	if !valid {
		return 0, errs.E(errs.Invalid, "identity.error.legal_role").OnField("role")
	}
	l, err := s.store.legalByKey(ctx, s.db, in.Kind, key)
	if errs.Is(err, errs.NotFound) {
		return 0, errs.E(errs.Invalid, "identity.claims.error.not_registered").OnField("number")
	}
	if err != nil {
		return 0, err
	}
	if s.deps.Blobs == nil {
		return 0, fmt.Errorf("identity: no blob store for claims' evidence")
	}
	b, err := s.deps.Blobs.Put(ctx, evidence, blob.PutOptions{MaxSize: MaxEvidence, Allowed: []string{"application/pdf"},
		Check: func(r io.ReaderAt, size int64, _ string) error {
			if s.deps.InspectPDF == nil {
				return nil
			}
			_, err := s.deps.InspectPDF(ctx, r, size)
			return err
		}})
	if e := errs.As(err); e != nil {
		return 0, e.OnField("evidence")
	}
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM representatives WHERE legal_person_id = $1 AND person_id = $2 AND revoked_at IS NULL`,
			l.ID, a.Person).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return errs.E(errs.Conflict, "identity.claims.error.already_representative")
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO legal_claims (legal_person_id, claimant_id, role, evidence_sha256, evidence_size, evidence_name, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, l.ID, a.Person, in.Role, b.SHA256, b.Size, cleanEvidenceName(evidenceName), now).Scan(&id)
		if db.IsUniqueViolation(err) {
			return errs.E(errs.Conflict, "identity.claims.error.pending").Cause(err)
		}
		if err != nil {
			return fmt.Errorf("identity: create claim: %w", err)
		}
		if _, err := audit.Append(ctx, tx, audit.Entry{Actor: personActor(a.Person), Action: "identity.legal_claim_filed",
			ObjectType: "legal_person", ObjectID: strconv.FormatInt(l.ID, 10),
			Change: map[string]any{"claim": id, "role": in.Role, "evidence": b.SHA256, "size": b.Size}, At: now}); err != nil {
			return err
		}
		c, err := s.store.claim(ctx, tx, id)
		if err != nil {
			return err
		}
		return s.claimChanged(ctx, tx, c, "filed")
	})
	return id, err
}

// tellClaim tells the claimant and the current representatives about a
// claim (filed or decided), in their inbox and by e-mail (the notices'
// subscriber, for TopicLegalClaimChanged).
func (s *Service) tellClaim(ctx context.Context, tx *db.Tx, ev jobs.Event, c Claim, template string) error {
	reps, err := s.store.representativesOf(ctx, tx, c.Legal.ID)
	if err != nil {
		return err
	}
	claimant, err := s.store.Person(ctx, tx, c.ClaimantID)
	if err != nil {
		return err
	}
	for _, p := range append([]Person{claimant}, reps...) {
		lang := p.Lang
		data := map[string]any{"Name": p.DisplayName(lang), "Legal": c.Legal.DisplayName(lang),
			"Claimant": claimant.DisplayName(lang), "Status": c.Status, "Reason": c.Reason,
			"Mine": p.ID == c.ClaimantID, "URL": s.cfg.BaseURL + "/me/legal"}
		chans := []notify.Channel{notify.Inbox}
		if p.EmailVerifiedAt != nil {
			chans = append(chans, notify.Email)
		}
		if err := s.notify.Send(ctx, tx, notify.Message{Template: template, Data: data, Key: noticeKey(ev, p.ID),
			To: notify.Recipient{UserID: personKey(p.ID), Email: p.Email, Lang: lang}, Channels: chans}); err != nil {
			return err
		}
	}
	return nil
}

// DecideClaim approves (the claimant becomes a representative in the role
// asked for) or refuses (with a reason) a pending claim. Its
// representatives or an administrator decide; never the claimant.
func (s *Service) DecideClaim(ctx context.Context, a authz.Actor, id int64, approve bool, reason string) error {
	reason = strings.TrimSpace(reason)
	if !approve && reason == "" {
		return errs.E(errs.Invalid, "identity.claims.error.reason").OnField("reason")
	}
	if utf8.RuneCountInString(reason) > 1000 {
		return errs.E(errs.Invalid, "identity.claims.error.reason").OnField("reason")
	}
	var claimant int64
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		c, err := s.store.claim(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := authz.Check(a, authz.DecideLegalClaim, claimResource(c)); err != nil {
			return err
		}
		claimant = c.ClaimantID
		status := ClaimRefused
		if approve {
			status = ClaimApproved
		}
		res, err := tx.ExecContext(ctx, `UPDATE legal_claims SET status = $1, reason = $2, decided_by = $3, decided_at = $4
			WHERE id = $5 AND status = 'pending'`, status, reason, a.Person, now, id)
		if err != nil {
			return fmt.Errorf("identity: decide claim: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.Conflict, "identity.claims.error.decided")
		}
		if approve {
			// A former representative comes back with the new role.
			if _, err := tx.ExecContext(ctx, `DELETE FROM representatives WHERE legal_person_id = $1 AND person_id = $2 AND revoked_at IS NOT NULL`,
				c.Legal.ID, c.ClaimantID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO representatives (legal_person_id, person_id, role, created_at) VALUES ($1, $2, $3, $4)`,
				c.Legal.ID, c.ClaimantID, c.Role, now); err != nil {
				if db.IsUniqueViolation(err) {
					return errs.E(errs.Conflict, "identity.claims.error.decided").Cause(err)
				}
				return fmt.Errorf("identity: add representative: %w", err)
			}
		}
		action := "identity.legal_claim_refused"
		if approve {
			action = "identity.legal_claim_approved"
		}
		if _, err := audit.Append(ctx, tx, audit.Entry{Actor: personActor(a.Person), Action: action,
			ObjectType: "legal_person", ObjectID: strconv.FormatInt(c.Legal.ID, 10),
			Change: map[string]any{"claim": id, "claimant": c.ClaimantID, "role": c.Role, "reason": reason}, At: now}); err != nil {
			return err
		}
		return s.claimChanged(ctx, tx, c, status)
	})
	if err == nil {
		s.Forget(claimant) // they may represent one more
	}
	return err
}

// ClaimsView is what the legal persons page shows of claims: the actor's
// own, and those they may decide as a representative.
type ClaimsView struct {
	Mine     []Claim
	ToDecide []Claim
}

// Claims lists the actor's own claims and the pending claims on the legal
// persons they represent.
func (s *Service) Claims(ctx context.Context, a authz.Actor) (ClaimsView, error) {
	var v ClaimsView
	if err := authz.Check(a, authz.ReadProfile, authz.Resource{OwnerPerson: a.Person}); err != nil {
		return v, err
	}
	var err error
	if v.Mine, err = s.store.claims(ctx, s.db, `c.claimant_id = $1`, a.Person); err != nil {
		return v, err
	}
	v.ToDecide, err = s.store.claims(ctx, s.db, `c.status = 'pending' AND c.claimant_id <> $1 AND c.legal_person_id IN
		(SELECT legal_person_id FROM representatives WHERE person_id = $1 AND revoked_at IS NULL)`, a.Person)
	return v, err
}

// PendingClaims lists every pending claim, for the back office.
func (s *Service) PendingClaims(ctx context.Context, a authz.Actor) ([]Claim, error) {
	cs, err := s.store.claims(ctx, s.db, `c.status = 'pending'`)
	if err != nil {
		return nil, err
	}
	out := cs[:0]
	for _, c := range cs {
		if authz.Decide(a, authz.DecideLegalClaim, claimResource(c)).Allow {
			out = append(out, c)
		}
	}
	return out, nil
}

// ClaimEvidence opens a claim's evidence for its claimant or those who may
// decide it; anyone else is answered "not found".
func (s *Service) ClaimEvidence(ctx context.Context, a authz.Actor, id int64) (Claim, io.ReadCloser, error) {
	c, err := s.store.claim(ctx, s.db, id)
	if err != nil {
		return c, nil, err
	}
	if c.ClaimantID != a.Person || a.Anonymous() {
		if err := authz.Check(a, authz.DecideLegalClaim, claimResource(c)); err != nil {
			return c, nil, err
		}
	}
	if s.deps.Blobs == nil {
		return c, nil, fmt.Errorf("identity: no blob store for claims' evidence")
	}
	rc, err := s.deps.Blobs.Open(ctx, c.EvidenceSHA)
	return c, rc, err
}

// BlobRefsSQL selects the hash of every blob identity's rows name (claims'
// evidence), for the sweep of unreferenced blobs.
const BlobRefsSQL = `SELECT DISTINCT evidence_sha256 FROM legal_claims`
