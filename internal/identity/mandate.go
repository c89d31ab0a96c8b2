package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/notify"
	"madina/internal/people"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textnorm"
)

// PermitKind is a kind of permit a mandate may cover, as the permit
// catalogue names it (identity.Config.PermitKinds).
type PermitKind struct {
	Code string
	Name i18n.Text
}

// Label is the kind's name in language lang.
func (k PermitKind) Label(lang string) string { return k.Name.Pick(i18n.Lang(lang)) }

func findKind(kinds []PermitKind, code string) (PermitKind, bool) {
	for _, k := range kinds {
		if k.Code == code {
			return k, true
		}
	}
	return PermitKind{}, false
}

// Professions a person may declare.
var Professions = []string{authz.Architect, authz.Engineer, authz.Surveyor}

// Professional is a person's declared profession, verified or not yet (a
// type of the shared kernel, like Person).
type Professional = people.Professional

// ProfessionInput is what a person declares.
type ProfessionInput struct {
	Profession         string
	RegistrationNumber string
}

// Validate checks and normalises a declaration.
func (in *ProfessionInput) Validate() error {
	ok := false
	for _, p := range Professions {
		ok = ok || p == in.Profession
	}
	var fe errs.Fields
	if !ok {
		_ = fe.Add(errs.E(errs.Invalid, "identity.error.profession").OnField("profession"))
	}
	var err error
	if in.RegistrationNumber, err = cleanRegistryNumber("registration_number", in.RegistrationNumber, 30, "identity.error.registration_number"); err != nil {
		_ = fe.Add(err)
	}
	return fe.Err()
}

// Party is who stands on one side of a mandate: a person or a legal person,
// known by their name.
type Party struct {
	Person    int64 // exactly one of Person, Legal
	Legal     int64
	NameAR    string
	NameLatin string
}

// Name is the party's name in language lang.
func (p Party) Name(lang string) string {
	if lang == "ar" && p.NameAR != "" || p.NameLatin == "" {
		return p.NameAR
	}
	return p.NameLatin
}

// Key is the party as the audit log names it: "person:3" or "legal:2".
func (p Party) Key() string {
	if p.Legal != 0 {
		return legalActor(p.Legal)
	}
	return personActor(p.Person)
}

// Resource is the party as the owner of what the policy decides on.
func (p Party) Resource() authz.Resource {
	if p.Legal != 0 {
		return authz.Resource{OwnerLegal: p.Legal}
	}
	return authz.Resource{OwnerPerson: p.Person}
}

// FileOwners tells who owns a permit file, by its reference. The permit
// capability answers (identity does not import it; the application wires
// it in Config.Files). A reference no file has is errs.NotFound.
type FileOwners interface {
	FileOwner(ctx context.Context, ref string) (ownerPerson, ownerLegal int64, err error)
}

// errMandateFile is the answer to a file-scoped mandate whose reference is
// not one of the grantor's files: the same whether no file has it or
// someone else's does, so that references cannot be probed.
const errMandateFile = "identity.mandate_refs.error.file"

// checkMandateFile requires a file-scoped mandate's file to exist and to
// be the grantor's own: the person's in their own name, or the legal
// person's they act for.
func (s *Service) checkMandateFile(ctx context.Context, owner authz.Resource, ref string) error {
	refused := errs.E(errs.Invalid, errMandateFile).OnField("file_ref")
	if s.deps.Files == nil {
		return refused.Cause(errors.New("identity: no file owners wired: file mandates refused"))
	}
	person, legal, err := s.deps.Files.FileOwner(ctx, ref)
	if errs.Is(err, errs.NotFound) {
		return refused
	}
	if err != nil {
		return err
	}
	if owner.OwnerLegal != 0 && legal == owner.OwnerLegal || owner.OwnerLegal == 0 && legal == 0 && person == owner.OwnerPerson {
		return nil
	}
	return refused.Cause(fmt.Errorf("identity: file %s is not the grantor's", ref))
}

// Mandate lets a professional act for an owner, for one file or for every
// file of a permit kind, from Starts until Ends.
type Mandate struct {
	ID                   int64
	Owner                Party
	Professional         Party
	Profession           string
	ProfessionalVerified bool
	FileRef              string // "" = every file of PermitKind
	PermitKind           string
	KindName             i18n.Text // the kind's name, from the catalogue
	Starts, Ends         time.Time
	RevokedAt            *time.Time
	CreatedAt            time.Time
}

// Mandate states.
const (
	MandateActive  = "active"
	MandateRevoked = "revoked"
	MandateExpired = "expired"
)

// Status is the mandate's state at now.
func (m Mandate) Status(now time.Time) string {
	switch {
	case m.RevokedAt != nil:
		return MandateRevoked
	case !now.Before(m.Ends):
		return MandateExpired
	}
	return MandateActive
}

// KindLabel is the name of the mandate's permit kind in lang ("" for a
// mandate on one file).
func (m Mandate) KindLabel(lang string) string {
	if m.KindName.Missing() == "" {
		return m.KindName.Pick(i18n.Lang(lang))
	}
	return m.PermitKind
}

// LastDay is the last day the mandate is valid (it ends at the midnight
// that follows, Casablanca time).
func (m Mandate) LastDay() time.Time { return m.Ends.Add(-time.Second) }

// Mandate scopes.
const (
	ScopeKind = "kind"
	ScopeFile = "file"
)

// MandateInput is what an owner fills in to grant a mandate.
type MandateInput struct {
	Professional string // the professional's e-mail address or registration number
	Scope        string // ScopeKind or ScopeFile
	PermitKind   string
	FileRef      string
	Until        string // last day, YYYY-MM-DD; "" for one year
}

// Mandate lengths.
const (
	mandateDefaultYears = 1
	mandateMaxYears     = 3
)

var fileRefRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9/._-]{0,63}$`)

// DefaultMandateEnd is the last day of a mandate granted at now, when the
// owner does not choose one.
func DefaultMandateEnd(now time.Time) time.Time {
	return now.In(i18n.Casablanca).AddDate(mandateDefaultYears, 0, 0)
}

// MaxMandateEnd is the latest last day a mandate granted at now may have.
func MaxMandateEnd(now time.Time) time.Time {
	return now.In(i18n.Casablanca).AddDate(mandateMaxYears, 0, 0)
}

// Validate checks and normalises the input and returns when the mandate
// ends if granted at now: at the midnight (Casablanca time) after its last
// day, which must be between today and three years from today.
func (in *MandateInput) Validate(now time.Time, kinds []PermitKind) (time.Time, error) {
	// Every field is checked: the error lists each one at fault.
	var fe errs.Fields
	in.Professional = strings.TrimSpace(in.Professional)
	if in.Professional == "" {
		_ = fe.Add(errs.E(errs.Invalid, "identity.error.required").OnField("professional"))
	}
	switch in.Scope {
	case ScopeKind:
		in.FileRef = ""
		if _, ok := findKind(kinds, in.PermitKind); !ok {
			_ = fe.Add(errs.E(errs.Invalid, "identity.error.mandate_kind").OnField("permit_kind"))
		}
	case ScopeFile:
		in.PermitKind = ""
		in.FileRef = strings.ToUpper(strings.TrimSpace(textnorm.Digits(in.FileRef))) // references are upper case
		if !fileRefRE.MatchString(in.FileRef) {
			_ = fe.Add(errs.E(errs.Invalid, "identity.error.mandate_file").OnField("file_ref"))
		}
	default:
		_ = fe.Add(errs.E(errs.Invalid, "identity.error.mandate_scope").OnField("scope"))
	}
	last := DefaultMandateEnd(now)
	if u := strings.TrimSpace(textnorm.Digits(in.Until)); u != "" {
		d, err := time.ParseInLocation("2006-01-02", u, i18n.Casablanca)
		if err != nil {
			_ = fe.Add(errs.E(errs.Invalid, "identity.error.mandate_until").OnField("until"))
			return time.Time{}, fe.Err()
		}
		last = d
	}
	in.Until = last.Format("2006-01-02")
	y, m, d := last.Date()
	ends := time.Date(y, m, d+1, 0, 0, 0, 0, i18n.Casablanca)
	if !ends.After(now) {
		_ = fe.Add(errs.E(errs.Invalid, "identity.error.mandate_until_past").OnField("until"))
	}
	my, mm, md := MaxMandateEnd(now).Date()
	if ends.After(time.Date(my, mm, md+1, 0, 0, 0, 0, i18n.Casablanca)) {
		_ = fe.Add(errs.E(errs.Invalid, "identity.error.mandate_until_max").With("years", mandateMaxYears).OnField("until"))
	}
	if err := fe.Err(); err != nil {
		return time.Time{}, err
	}
	return ends.UTC(), nil
}

// ActorLabel names, for the audit log, who does something to r: the person
// alone ("person:7"), or the person and on whose behalf they act — a legal
// person they represent or an owner whose mandate they hold
// ("person:7 for legal:2", "person:7 for person:3"). Call it once the policy
// allowed the action.
func ActorLabel(a authz.Actor, r authz.Resource) string { return authz.ActorLabel(a, r) }

// ownerOf is whom the actor acts as an owner for: the legal person they
// act for, or themselves.
func ownerOf(a authz.Actor) authz.Resource {
	if a.ActingFor != 0 {
		return authz.Resource{OwnerLegal: a.ActingFor}
	}
	return authz.Resource{OwnerPerson: a.Person}
}

// Store: professionals and mandates.

// Professional returns a person's declared profession; errs.NotFound if
// none.
func (s *Store) Professional(ctx context.Context, q db.Querier, personID int64) (Professional, error) {
	var p Professional
	var verified sql.NullTime
	err := q.QueryRowContext(ctx, `SELECT person_id, profession, registration_number, verified_at, created_at
		FROM professionals WHERE person_id = $1`, personID).Scan(&p.PersonID, &p.Profession, &p.RegistrationNumber, &verified, &p.CreatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return p, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return p, fmt.Errorf("identity: professional: %w", err)
	}
	p.VerifiedAt = timePtr(verified)
	return p, nil
}

// declareProfession records or corrects a person's declaration; once
// verified it can no longer change here.
func (s *Store) declareProfession(ctx context.Context, tx *db.Tx, personID int64, in ProfessionInput, now time.Time) error {
	taken := errs.E(errs.Conflict, "identity.error.registration_taken").OnField("registration_number")
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM professionals WHERE profession = $1 AND registration_number = $2 AND person_id <> $3`,
		in.Profession, in.RegistrationNumber, personID).Scan(&n); err != nil {
		return fmt.Errorf("identity: check registration: %w", err)
	}
	if n > 0 {
		return taken
	}
	cur, err := s.Professional(ctx, tx, personID)
	switch {
	case errs.Is(err, errs.NotFound):
		_, err = tx.ExecContext(ctx, `INSERT INTO professionals (person_id, profession, registration_number, created_at) VALUES ($1, $2, $3, $4)`,
			personID, in.Profession, in.RegistrationNumber, now)
	case err != nil:
		return err
	case cur.Verified():
		return errs.E(errs.Conflict, "identity.error.profession_verified")
	default:
		_, err = tx.ExecContext(ctx, `UPDATE professionals SET profession = $1, registration_number = $2 WHERE person_id = $3 AND verified_at IS NULL`,
			in.Profession, in.RegistrationNumber, personID)
	}
	if db.IsUniqueViolation(err) {
		return taken.Cause(err)
	}
	if err != nil {
		return fmt.Errorf("identity: declare profession: %w", err)
	}
	return nil
}

// proTarget is a professional found for a new mandate.
type proTarget struct {
	Party
	Profession string
	Email      string
	Lang       string
	NotifyMail bool
}

// proTargetQuery reads a person with their declared profession, if any.
const proTargetQuery = `SELECT p.id, p.given_name_ar, p.family_name_ar, p.given_name_latin, p.family_name_latin,
		COALESCE(pr.profession, ''), p.email, p.lang, p.notify_email
	FROM persons p LEFT JOIN professionals pr ON pr.person_id = p.id
	WHERE p.disabled_at IS NULL AND `

func scanProTarget(row interface{ Scan(...any) error }) (proTarget, error) {
	var t proTarget
	var gar, far, gl, fl string
	err := row.Scan(&t.Person, &gar, &far, &gl, &fl, &t.Profession, &t.Email, &t.Lang, &t.NotifyMail)
	t.NameAR, t.NameLatin = strings.TrimSpace(gar+" "+far), strings.TrimSpace(gl+" "+fl)
	return t, err
}

// findProfessional finds a declared professional by e-mail address or by
// registration number. Anyone else is refused with the same answer, on the
// form's field.
func (s *Store) findProfessional(ctx context.Context, q db.Querier, who string) (proTarget, error) {
	notPro := errs.E(errs.Invalid, "identity.error.mandate_not_professional").OnField("professional")
	var rows *sql.Rows
	var err error
	if strings.Contains(who, "@") {
		rows, err = q.QueryContext(ctx, proTargetQuery+`pr.person_id IS NOT NULL AND p.email_key = $1`, EmailKey(who))
	} else {
		num := strings.ToUpper(strings.Join(strings.Fields(textnorm.Digits(who)), " "))
		rows, err = q.QueryContext(ctx, proTargetQuery+`pr.registration_number = $1 ORDER BY p.id`, num)
	}
	if err != nil {
		return proTarget{}, fmt.Errorf("identity: find professional: %w", err)
	}
	defer rows.Close()
	var found []proTarget
	for rows.Next() {
		t, err := scanProTarget(rows)
		if err != nil {
			return proTarget{}, fmt.Errorf("identity: find professional: %w", err)
		}
		found = append(found, t)
	}
	if err := rows.Err(); err != nil {
		return proTarget{}, fmt.Errorf("identity: find professional: %w", err)
	}
	switch len(found) {
	case 0:
		return proTarget{}, notPro
	case 1:
		return found[0], nil
	}
	// The same number with two orders (an architect and a surveyor).
	return proTarget{}, errs.E(errs.Invalid, "identity.error.mandate_ambiguous").OnField("professional")
}

const mandateQuery = `SELECT m.id, COALESCE(m.grantor_person_id, 0), COALESCE(m.grantor_legal_id, 0),
		COALESCE(op.given_name_ar || ' ' || op.family_name_ar, l.name_ar, ''),
		COALESCE(op.given_name_latin || ' ' || op.family_name_latin, l.name, ''),
		m.professional_id, pp.given_name_ar || ' ' || pp.family_name_ar, pp.given_name_latin || ' ' || pp.family_name_latin,
		COALESCE(pr.profession, ''), pr.verified_at,
		COALESCE(m.file_ref, ''), COALESCE(m.permit_kind, ''), m.starts_at, m.ends_at, m.revoked_at, m.created_at
	FROM mandates m
	JOIN persons pp ON pp.id = m.professional_id
	LEFT JOIN professionals pr ON pr.person_id = m.professional_id
	LEFT JOIN persons op ON op.id = m.grantor_person_id
	LEFT JOIN legal_persons l ON l.id = m.grantor_legal_id
	WHERE `

func scanMandate(row interface{ Scan(...any) error }) (Mandate, error) {
	var m Mandate
	var verified, revoked sql.NullTime
	err := row.Scan(&m.ID, &m.Owner.Person, &m.Owner.Legal, &m.Owner.NameAR, &m.Owner.NameLatin,
		&m.Professional.Person, &m.Professional.NameAR, &m.Professional.NameLatin, &m.Profession, &verified,
		&m.FileRef, &m.PermitKind, &m.Starts, &m.Ends, &revoked, &m.CreatedAt)
	m.ProfessionalVerified, m.RevokedAt = verified.Valid, timePtr(revoked)
	for _, n := range []*string{&m.Owner.NameAR, &m.Owner.NameLatin, &m.Professional.NameAR, &m.Professional.NameLatin} {
		*n = strings.TrimSpace(*n)
	}
	return m, err
}

func (s *Store) mandates(ctx context.Context, q db.Querier, where string, arg any) ([]Mandate, error) {
	rows, err := q.QueryContext(ctx, mandateQuery+where+` ORDER BY m.created_at DESC, m.id DESC LIMIT 500`, arg)
	if err != nil {
		return nil, fmt.Errorf("identity: mandates: %w", err)
	}
	defer rows.Close()
	var out []Mandate
	for rows.Next() {
		m, err := scanMandate(rows)
		if err != nil {
			return nil, fmt.Errorf("identity: mandates: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// MandatesGiven lists the mandates an owner gave, newest first.
func (s *Store) MandatesGiven(ctx context.Context, q db.Querier, owner authz.Resource) ([]Mandate, error) {
	if owner.OwnerLegal != 0 {
		return s.mandates(ctx, q, `m.grantor_legal_id = $1`, owner.OwnerLegal)
	}
	return s.mandates(ctx, q, `m.grantor_person_id = $1`, owner.OwnerPerson)
}

// MandatesReceived lists the mandates a professional received, newest first.
func (s *Store) MandatesReceived(ctx context.Context, q db.Querier, professionalID int64) ([]Mandate, error) {
	return s.mandates(ctx, q, `m.professional_id = $1`, professionalID)
}

// Mandate returns a mandate by ID.
func (s *Store) Mandate(ctx context.Context, q db.Querier, id int64) (Mandate, error) {
	m, err := scanMandate(q.QueryRowContext(ctx, mandateQuery+`m.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return m, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return m, fmt.Errorf("identity: mandate: %w", err)
	}
	return m, nil
}

// activeMandateExists reports whether the owner already gave the
// professional a live mandate of the same scope.
func (s *Store) activeMandateExists(ctx context.Context, q db.Querier, owner authz.Resource, pro int64, in MandateInput, now time.Time) (bool, error) {
	col, id := "grantor_person_id", owner.OwnerPerson
	if owner.OwnerLegal != 0 {
		col, id = "grantor_legal_id", owner.OwnerLegal
	}
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM mandates WHERE `+col+` = $1 AND professional_id = $2
		AND revoked_at IS NULL AND ends_at > $3 AND COALESCE(permit_kind, '') = $4 AND COALESCE(file_ref, '') = $5`,
		id, pro, now, in.PermitKind, in.FileRef).Scan(&n)
	return n > 0, err
}

func (s *Store) createMandate(ctx context.Context, tx *db.Tx, owner authz.Resource, pro int64, in MandateInput,
	ends time.Time, by int64, now time.Time) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO mandates (grantor_person_id, grantor_legal_id, professional_id, scope, file_ref, permit_kind,
			starts_at, ends_at, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		nullID(owner.OwnerPerson), nullID(owner.OwnerLegal), pro, in.Scope, nullString(in.FileRef), nullString(in.PermitKind),
		now, ends, by, now).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("identity: create mandate: %w", err)
	}
	return id, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// Service: professions and mandates.

// Profession returns the actor's declared profession; errs.NotFound if
// none.
func (s *Service) Profession(ctx context.Context, a authz.Actor) (*Professional, error) {
	if err := authz.Check(a, authz.ReadProfile, authz.Resource{OwnerPerson: a.Person}); err != nil {
		return nil, err
	}
	p, err := s.store.Professional(ctx, s.db, a.Person)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// DeclareProfession records the actor's profession and registration
// number, to be verified by staff. Until then it may be corrected.
func (s *Service) DeclareProfession(ctx context.Context, a authz.Actor, in ProfessionInput) error {
	if err := authz.Check(a, authz.DeclareProfession, authz.Resource{}); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	defer s.Forget(a.Person)
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		if err := s.store.declareProfession(ctx, tx, a.Person, in, now); err != nil {
			return err
		}
		_, err := audit.Append(ctx, tx, audit.Entry{Actor: personActor(a.Person), Action: "identity.profession_declared",
			ObjectType: "professional", ObjectID: strconv.FormatInt(a.Person, 10), Change: in, At: now})
		return err
	})
}

// Mandates lists the mandates the actor gave as owner (in their own name,
// or the legal person's they act for) and, acting in their own name, the
// ones they received as a professional.
func (s *Service) Mandates(ctx context.Context, a authz.Actor) (given, received []Mandate, err error) {
	owner := ownerOf(a)
	if err := authz.Check(a, authz.ReadMandate, owner); err != nil {
		return nil, nil, err
	}
	if given, err = s.store.MandatesGiven(ctx, s.db, owner); err != nil {
		return nil, nil, err
	}
	if authz.Check(a, authz.ReadMandate, authz.Resource{Professional: a.Person}) == nil {
		if received, err = s.store.MandatesReceived(ctx, s.db, a.Person); err != nil {
			return nil, nil, err
		}
	}
	for _, ms := range [][]Mandate{given, received} {
		for i := range ms {
			s.nameKind(&ms[i])
		}
	}
	return given, received, nil
}

// GrantMandate gives a declared professional a mandate from the actor as
// owner (themselves, or the legal person they act for), and tells the
// professional.
func (s *Service) GrantMandate(ctx context.Context, a authz.Actor, in MandateInput) (int64, error) {
	owner := ownerOf(a)
	if err := authz.Check(a, authz.GrantMandate, owner); err != nil {
		return 0, err
	}
	// Every mistake at once: the input's, then what only the store can
	// tell — whether the professional is known, whether a file-scoped
	// mandate names one of the grantor's own files (asked of the permit
	// capability before the transaction, on its connection) — for the
	// fields that are not already wrong.
	var fe errs.Fields
	_, verr := in.Validate(s.now(), s.PermitKinds())
	if err := fe.Add(verr); err != nil {
		return 0, err
	}
	if in.Scope == ScopeFile && !fe.Has("file_ref") {
		if err := fe.Add(s.checkMandateFile(ctx, owner, in.FileRef)); err != nil {
			return 0, err
		}
	}
	if in.Professional != "" && !fe.Has("professional") {
		if _, err := s.store.findProfessional(ctx, s.db, in.Professional); fe.Add(err) != nil {
			return 0, err
		}
	}
	if err := fe.Err(); err != nil {
		return 0, err
	}
	var id, proID int64
	defer func() {
		if proID != 0 {
			s.Forget(proID) // the professional's mandates changed
		}
	}()
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		ends, err := in.Validate(now, s.PermitKinds())
		if err != nil {
			return err
		}
		pro, err := s.store.findProfessional(ctx, tx, in.Professional)
		if err != nil {
			return err
		}
		proID = pro.Person
		if owner.OwnerPerson == pro.Person {
			return errs.E(errs.Invalid, "identity.error.mandate_self").OnField("professional")
		}
		dup, err := s.store.activeMandateExists(ctx, tx, owner, pro.Person, in, now)
		if err != nil {
			return fmt.Errorf("identity: check mandates: %w", err)
		}
		if dup {
			return errs.E(errs.Conflict, "identity.error.mandate_exists")
		}
		if id, err = s.store.createMandate(ctx, tx, owner, pro.Person, in, ends, a.Person, now); err != nil {
			return err
		}
		m, err := s.store.Mandate(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.mandateChanged(ctx, tx, m, "granted"); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: ActorLabel(a, owner), Action: "identity.mandate_granted",
			ObjectType: "mandate", ObjectID: strconv.FormatInt(id, 10),
			Change: map[string]any{"owner": m.Owner.Key(), "professional": m.Professional.Key(), "scope": in.Scope,
				"permit_kind": in.PermitKind, "file_ref": in.FileRef, "starts_at": m.Starts, "ends_at": m.Ends}, At: now})
		return err
	})
	return id, err
}

// RevokeMandate ends a mandate the actor gave as owner, and tells the
// professional. Anyone else's mandate is not found.
func (s *Service) RevokeMandate(ctx context.Context, a authz.Actor, id int64) error {
	var proID int64
	defer func() {
		if proID != 0 {
			s.Forget(proID) // the professional's mandates changed
		}
	}()
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		m, err := s.store.Mandate(ctx, tx, id)
		if err != nil {
			return err
		}
		owner := m.Owner.Resource()
		owner.Professional = m.Professional.Person
		if err := authz.Check(a, authz.RevokeMandate, owner); err != nil {
			return err
		}
		switch m.Status(now) {
		case MandateRevoked:
			return errs.E(errs.Conflict, "identity.error.mandate_revoked")
		case MandateExpired:
			return errs.E(errs.Conflict, "identity.error.mandate_expired")
		}
		proID = m.Professional.Person
		res, err := tx.ExecContext(ctx, `UPDATE mandates SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, now, id)
		if err != nil {
			return fmt.Errorf("identity: revoke mandate: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.Conflict, "identity.error.mandate_revoked")
		}
		m.RevokedAt = &now
		if err := s.mandateChanged(ctx, tx, m, "revoked"); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: ActorLabel(a, owner), Action: "identity.mandate_revoked",
			ObjectType: "mandate", ObjectID: strconv.FormatInt(id, 10),
			Change: map[string]any{"owner": m.Owner.Key(), "professional": m.Professional.Key(), "revoked_at": now}, At: now})
		return err
	})
}

// notifyMandate tells the professional about a mandate, in their inbox and
// by e-mail unless they turned e-mails off, in their language (the
// notices' subscriber, for TopicMandateChanged; key is the notice's
// idempotency key).
func (s *Service) notifyMandate(ctx context.Context, tx *db.Tx, key, template string, m Mandate, pro proTarget) error {
	lang := pro.Lang
	kind := ""
	s.nameKind(&m)
	if m.FileRef == "" {
		kind = m.KindLabel(lang)
	}
	channels := []notify.Channel{notify.Inbox}
	if pro.NotifyMail {
		channels = append(channels, notify.Email)
	}
	return s.notify.Send(ctx, tx, notify.Message{Template: template, Key: key,
		Data: map[string]any{"Name": pro.Name(lang), "Owner": m.Owner.Name(lang), "Kind": kind, "File": m.FileRef,
			"Until": i18n.FormatDate(i18n.Lang(lang), m.LastDay()), "URL": s.cfg.BaseURL + "/me/mandates"},
		To:       notify.Recipient{UserID: personKey(pro.Person), Email: pro.Email, Lang: lang},
		Channels: channels})
}

// PermitKinds are the permit kinds a mandate may name.
func (s *Service) PermitKinds() []PermitKind { return s.kinds() }

// nameKind gives m its permit kind's name from the catalogue.
func (s *Service) nameKind(m *Mandate) {
	if k, ok := findKind(s.PermitKinds(), m.PermitKind); ok {
		m.KindName = k.Name
	}
}
