package identity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/people"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/textnorm"

	"golang.org/x/text/unicode/norm"
)

// Kinds of legal person.
const (
	Company     = "company"
	Association = "association"
	// School is a school (public or private) known by the establishment
	// code the Ministry of National Education gives it (SchoolCodeKey).
	School = "school"
)

// Roles of a representative: a company's manager, an association's
// president, or a legal representative of either.
const (
	RoleManager             = "manager"
	RolePresident           = "president"
	RoleLegalRepresentative = "legal_representative"
	// RoleDirector is a school's director, who acts for it.
	RoleDirector = "director"
)

// RepresentativeRoles lists the roles a representative of a kind may hold.
var RepresentativeRoles = map[string][]string{
	Company:     {RoleManager, RoleLegalRepresentative},
	Association: {RolePresident, RoleLegalRepresentative},
	School:      {RoleDirector},
}

// LegalPerson is a company or an association, as one of its representatives
// sees it (a type of the shared kernel, like Person).
type LegalPerson = people.LegalPerson

// LegalInput is what a representative fills in to register a legal person.
type LegalInput struct {
	Kind              string
	Name              string
	NameAR            string
	ICE               string
	RC                string
	AssociationNumber string
	SchoolCode        string
	Role              string
}

const maxLegalName = 200

var (
	// Trade register and association numbers: letters, digits, and the
	// separators registries print ("123456", "RC 12/2019", "CASA-1234").
	registryNumberRE = regexp.MustCompile(`^[A-Z0-9][A-Z0-9 ./_-]*$`)
	// schoolCodeRE is the shape of an establishment code as MASSAR shows
	// it (the "code GRESA": digits then one letter, "21074V"). Only the
	// shape is checked: whether the ministry gave that code to that school
	// is the claim's evidence and staff's to see, not something the city
	// can look up (docs/ARCHITECTURE.md, legal persons).
	schoolCodeRE = regexp.MustCompile(`^[0-9]{5,6}[A-Z]$`)
)

// SchoolCodeKey is a school's establishment code as stored and compared:
// digits of any script as ASCII, letters upper case, separators dropped.
func SchoolCodeKey(s string) string {
	return strings.ToUpper(ICEKey(s))
}

// ValidSchoolCode reports whether key (a SchoolCodeKey) has the shape of
// an establishment code.
func ValidSchoolCode(key string) bool { return schoolCodeRE.MatchString(key) }

// foldRegistry reads a number as a person types it: NFKC (fullwidth digits
// and letters, no-break and thin spaces become ASCII) and Arabic-Indic and
// Persian digits as ASCII digits.
func foldRegistry(s string) string { return textnorm.Digits(norm.NFKC.String(s)) }

// isRegistrySeparator reports whether r only separates the groups of a
// registration number: any space, '/', '-', '.', '_'.
func isRegistrySeparator(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune("/-._", r) }

// ICEKey is a company's ICE as stored and compared: its digits, whatever
// the digits' script and the separators typed between them. Whether it is
// an ICE at all is ValidICE's to say.
func ICEKey(s string) string {
	return strings.Map(func(r rune) rune {
		if isRegistrySeparator(r) {
			return -1
		}
		return r
	}, foldRegistry(s))
}

// AssociationKey is how an association's registration number is compared
// (and kept unique, in the association_key column): digits folded to ASCII,
// letters upper case, split at every separator and every change between
// digits and letters, leading zeros of each number dropped, and the groups
// sorted, so that "2019/0456", "2019-456", "0456/2019" and "٢٠١٩ / ٠٤٥٦"
// are one number. Sorting may join two numbers that differ only in the
// order of their groups: that leads to a claim that staff decide, while a
// missed match would let a second "same" association register unchecked.
func AssociationKey(number string) string {
	var groups []string
	var cur strings.Builder
	class := 0 // 0 separator, 1 digit, 2 letter
	flush := func() {
		if cur.Len() == 0 {
			return
		}
		g := cur.String()
		if class == 1 {
			if g = strings.TrimLeft(g, "0"); g == "" {
				g = "0"
			}
		}
		groups = append(groups, g)
		cur.Reset()
	}
	for _, r := range strings.ToUpper(foldRegistry(number)) {
		c := 2
		switch {
		case r >= '0' && r <= '9':
			c = 1
		case isRegistrySeparator(r) || !unicode.IsLetter(r) && !unicode.IsDigit(r):
			c = 0
		}
		if c != class {
			flush()
		}
		class = c
		if c != 0 {
			cur.WriteRune(r)
		}
	}
	flush()
	slices.Sort(groups)
	return strings.Join(groups, "-")
}

// Validate checks and normalises the input: a company needs its ICE and
// trade register number, an association its registration number; the
// Arabic name is optional.
func (in *LegalInput) Validate() error {
	if _, ok := RepresentativeRoles[in.Kind]; !ok {
		return errs.E(errs.Invalid, "identity.error.legal_kind").OnField("kind")
	}
	// Every field is checked: the error lists each one at fault.
	var fe errs.Fields
	var err error
	if in.Name, err = cleanLegalName("name", in.Name, true); err != nil {
		_ = fe.Add(err)
	}
	if in.NameAR, err = cleanLegalName("name_ar", in.NameAR, false); err != nil {
		_ = fe.Add(err)
	}
	if in.NameAR != "" && !strings.ContainsFunc(in.NameAR, func(r rune) bool { return unicode.Is(unicode.Arabic, r) && unicode.IsLetter(r) }) {
		_ = fe.Add(errs.E(errs.Invalid, "identity.error.legal_name_arabic").OnField("name_ar"))
	}
	switch in.Kind {
	case Company:
		in.AssociationNumber, in.SchoolCode = "", ""
		in.ICE = ICEKey(in.ICE)
		if !ValidICE(in.ICE) {
			_ = fe.Add(errs.E(errs.Invalid, "identity.error.ice").OnField("ice"))
		}
		if in.RC, err = cleanRegistryNumber("rc", in.RC, 30, "identity.error.rc"); err != nil {
			_ = fe.Add(err)
		}
	case School:
		in.ICE, in.RC, in.AssociationNumber = "", "", ""
		if in.SchoolCode = SchoolCodeKey(in.SchoolCode); in.SchoolCode == "" {
			_ = fe.Add(errs.E(errs.Invalid, "identity.error.required").OnField("school_code"))
		} else if !ValidSchoolCode(in.SchoolCode) {
			_ = fe.Add(errs.E(errs.Invalid, "identity.error.school_code").OnField("school_code"))
		}
	case Association:
		in.ICE, in.RC, in.SchoolCode = "", "", ""
		if in.AssociationNumber, err = cleanRegistryNumber("association_number", in.AssociationNumber, 40, "identity.error.association_number"); err != nil {
			_ = fe.Add(err)
		}
	}
	valid := false
	for _, r := range RepresentativeRoles[in.Kind] {
		valid = valid || r == in.Role
	}
	if !valid {
		_ = fe.Add(errs.E(errs.Invalid, "identity.error.legal_role").OnField("role"))
	}
	return fe.Err()
}

// cleanLegalName trims a company or association name. Unlike a person's
// name it may hold digits and the punctuation of trade names ("2M", "S.A.R.L",
// "Fès & Co"), never markup or control characters.
func cleanLegalName(field, s string, required bool) (string, error) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		if required {
			return "", errs.E(errs.Invalid, "identity.error.required").OnField(field)
		}
		return "", nil
	}
	if utf8.RuneCountInString(s) > maxLegalName {
		return "", errs.E(errs.Invalid, "identity.error.name_long").With("max", maxLegalName).OnField(field)
	}
	for _, r := range s {
		if unicode.IsControl(r) || strings.ContainsRune(`<>{}[]\"=;#$%^*_|~`+"`", r) {
			return "", errs.E(errs.Invalid, "identity.error.name_chars").OnField(field)
		}
	}
	if !strings.ContainsFunc(s, unicode.IsLetter) {
		return "", errs.E(errs.Invalid, "identity.error.name_chars").OnField(field)
	}
	return s, nil
}

// cleanRegistryNumber normalises a registration number: NFKC, upper case,
// ASCII digits, single spaces; it must hold a digit.
func cleanRegistryNumber(field, s string, max int, key string) (string, error) {
	s = strings.ToUpper(strings.Join(strings.Fields(foldRegistry(s)), " "))
	if s == "" {
		return "", errs.E(errs.Invalid, "identity.error.required").OnField(field)
	}
	if len(s) > max || !registryNumberRE.MatchString(s) || !strings.ContainsAny(s, "0123456789") {
		return "", errs.E(errs.Invalid, key).OnField(field)
	}
	return s, nil
}

func legalActor(id int64) string { return "legal:" + strconv.FormatInt(id, 10) }

// Store: legal persons and their representatives.

const legalColumns = `l.id, l.kind, l.name, l.name_ar, COALESCE(l.ice, ''), COALESCE(l.rc, ''), COALESCE(l.association_number, ''), COALESCE(l.school_code, ''), l.created_at`

func scanLegal(row interface{ Scan(...any) error }, extra ...any) (LegalPerson, error) {
	var l LegalPerson
	err := row.Scan(append([]any{&l.ID, &l.Kind, &l.Name, &l.NameAR, &l.ICE, &l.RC, &l.AssociationNumber, &l.SchoolCode, &l.CreatedAt}, extra...)...)
	return l, err
}

// createLegalPerson records a legal person and its first representative.
// A legal person registers once (a company's ICE, an association's
// AssociationKey, a school's establishment code; unique in the database too): a second registration is a
// conflict that leads to a claim.
func (s *Store) createLegalPerson(ctx context.Context, tx *db.Tx, in LegalInput, personID int64, now time.Time) (int64, error) {
	field, number := "ice", in.ICE
	switch in.Kind {
	case Association:
		field, number = "association_number", in.AssociationNumber
	case School:
		field, number = "school_code", in.SchoolCode
	}
	taken := errs.E(errs.Conflict, ErrRegistered).OnField(field)
	key, err := registryKey(in.Kind, number)
	if err != nil {
		return 0, err
	}
	if _, err := s.legalByKey(ctx, tx, in.Kind, key); err == nil {
		return 0, taken
	} else if !errs.Is(err, errs.NotFound) {
		return 0, err
	}
	associationKey := ""
	if in.Kind == Association {
		associationKey = key
	}
	var id int64
	err = tx.QueryRowContext(ctx, `INSERT INTO legal_persons (kind, name, name_ar, ice, rc, association_number, association_key, school_code,
		created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		in.Kind, in.Name, in.NameAR, nullString(in.ICE), nullString(in.RC), nullString(in.AssociationNumber), nullString(associationKey),
		nullString(in.SchoolCode), personID, now).Scan(&id)
	if db.IsUniqueViolation(err) {
		// Registered by someone else between the check and the insert.
		return 0, taken.Cause(err)
	}
	if err != nil {
		return 0, fmt.Errorf("identity: create legal person: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO representatives (legal_person_id, person_id, role, created_at) VALUES ($1, $2, $3, $4)`,
		id, personID, in.Role, now); err != nil {
		return 0, fmt.Errorf("identity: add representative: %w", err)
	}
	return id, nil
}

// LegalPersonsOf lists the legal persons a person currently represents, by
// name, with the person's role in each.
func (s *Store) LegalPersonsOf(ctx context.Context, q db.Querier, personID int64) ([]LegalPerson, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+legalColumns+`, r.role
		FROM representatives r JOIN legal_persons l ON l.id = r.legal_person_id
		WHERE r.person_id = $1 AND r.revoked_at IS NULL ORDER BY l.name, l.id`, personID)
	if err != nil {
		return nil, fmt.Errorf("identity: legal persons: %w", err)
	}
	defer rows.Close()
	var out []LegalPerson
	for rows.Next() {
		var role string
		l, err := scanLegal(rows, &role)
		if err != nil {
			return nil, fmt.Errorf("identity: legal persons: %w", err)
		}
		l.Role = role
		out = append(out, l)
	}
	return out, rows.Err()
}

// LegalPerson returns a legal person by ID.
func (s *Store) LegalPerson(ctx context.Context, q db.Querier, id int64) (LegalPerson, error) {
	l, err := scanLegal(q.QueryRowContext(ctx, `SELECT `+legalColumns+` FROM legal_persons l WHERE l.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return l, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return l, fmt.Errorf("identity: legal person: %w", err)
	}
	return l, nil
}

// setActingFor records on a session whom its person acts for (0: themselves)
// and returns whom they acted for before. A session that is not the
// person's, or a legal person they no longer represent, is not found.
func (s *Store) setActingFor(ctx context.Context, tx *db.Tx, personID int64, tokenHash string, legalID int64) (int64, error) {
	var before sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT acting_for FROM sessions WHERE token_hash = $1 AND person_id = $2 AND revoked_at IS NULL`,
		tokenHash, personID).Scan(&before)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errs.E(errs.NotFound, "").Cause(fmt.Errorf("identity: person %d has no such session", personID))
	}
	if err != nil {
		return 0, fmt.Errorf("identity: session: %w", err)
	}
	if legalID == 0 {
		_, err = tx.ExecContext(ctx, `UPDATE sessions SET acting_for = NULL WHERE token_hash = $1`, tokenHash)
		return before.Int64, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE sessions SET acting_for = $1 WHERE token_hash = $2
		AND EXISTS (SELECT 1 FROM representatives WHERE legal_person_id = $1 AND person_id = $3 AND revoked_at IS NULL)`,
		legalID, tokenHash, personID)
	if err != nil {
		return 0, fmt.Errorf("identity: act for: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return 0, errs.E(errs.NotFound, "").Cause(fmt.Errorf("identity: person %d does not represent legal person %d", personID, legalID))
	}
	return before.Int64, nil
}

// Service: legal persons and acting for them.

// RegisterLegalPerson records a company or association that the actor
// represents, and makes them its representative.
func (s *Service) RegisterLegalPerson(ctx context.Context, a authz.Actor, in LegalInput) (int64, error) {
	if err := authz.Check(a, authz.CreateLegalPerson, authz.Resource{}); err != nil {
		return 0, err
	}
	if err := in.Validate(); err != nil {
		return 0, err
	}
	defer s.Forget(a.Person) // they represent one more
	var id int64
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		var err error
		id, err = s.store.createLegalPerson(ctx, tx, in, a.Person, now)
		if err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: personActor(a.Person), Action: "identity.legal_person_registered",
			ObjectType: "legal_person", ObjectID: strconv.FormatInt(id, 10), Change: in, At: now})
		return err
	})
	return id, err
}

// LegalPersons lists the legal persons the actor represents.
func (s *Service) LegalPersons(ctx context.Context, a authz.Actor) ([]LegalPerson, error) {
	if err := authz.Check(a, authz.ReadProfile, authz.Resource{OwnerPerson: a.Person}); err != nil {
		return nil, err
	}
	return s.store.LegalPersonsOf(ctx, s.db, a.Person)
}

// ActingFor returns the legal person the actor acts for, nil when they act
// for themselves.
func (s *Service) ActingFor(ctx context.Context, a authz.Actor) (*LegalPerson, error) {
	if a.ActingFor == 0 {
		return nil, nil
	}
	if err := authz.Check(a, authz.ActFor, authz.Resource{OwnerLegal: a.ActingFor}); err != nil {
		return nil, err
	}
	l, err := s.store.LegalPerson(ctx, s.db, a.ActingFor)
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// ActFor switches the session (by its stored hash) to act for a legal
// person the actor represents. Anyone else's legal person is not found.
func (s *Service) ActFor(ctx context.Context, a authz.Actor, tokenHash string, legalID int64) error {
	if err := authz.Check(a, authz.ActFor, authz.Resource{OwnerLegal: legalID}); err != nil {
		return err
	}
	defer s.Forget(a.Person)
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		before, err := s.store.setActingFor(ctx, tx, a.Person, tokenHash, legalID)
		if err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: personActor(a.Person), Action: "identity.act_for",
			ObjectType: "legal_person", ObjectID: strconv.FormatInt(legalID, 10),
			Change: map[string]any{"acting_for": legalID, "before": before}, At: now})
		return err
	})
}

// ActAsSelf switches the session back to the person acting in their own
// name. Switching is part of managing one's sessions.
func (s *Service) ActAsSelf(ctx context.Context, a authz.Actor, tokenHash string) error {
	if err := authz.Check(a, authz.ManageSecurity, authz.Resource{OwnerPerson: a.Person}); err != nil {
		return err
	}
	defer s.Forget(a.Person)
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		before, err := s.store.setActingFor(ctx, tx, a.Person, tokenHash, 0)
		if err != nil || before == 0 {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: personActor(a.Person), Action: "identity.act_as_self",
			ObjectType: "person", ObjectID: strconv.FormatInt(a.Person, 10),
			Change: map[string]any{"acting_for": 0, "before": before}, At: now})
		return err
	})
}

// FillAssociationKeys gives its key to every association registered before
// the association_key column existed (it runs at start-up; a database that
// already has them all does one query). Two associations of one key, which
// the old comparison let through, keep the first its key and are logged for
// staff to merge; registrations of that key meet the first one.
func (s *Service) FillAssociationKeys(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT id, association_number FROM legal_persons
		WHERE association_number IS NOT NULL AND association_key IS NULL ORDER BY id`)
	if err != nil {
		return fmt.Errorf("identity: associations without a key: %w", err)
	}
	type row struct {
		id     int64
		number string
	}
	var todo []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.number); err != nil {
			rows.Close()
			return fmt.Errorf("identity: associations without a key: %w", err)
		}
		todo = append(todo, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("identity: associations without a key: %w", err)
	}
	for _, r := range todo {
		key := AssociationKey(r.number)
		_, err := s.db.ExecContext(ctx, `UPDATE legal_persons SET association_key = $1 WHERE id = $2`, key, r.id)
		if db.IsUniqueViolation(err) {
			s.log.Warn("identity: two associations share a registration number; merge them", "legal_person", r.id, "key", key)
			continue
		}
		if err != nil {
			return fmt.Errorf("identity: association key of %d: %w", r.id, err)
		}
	}
	return nil
}
