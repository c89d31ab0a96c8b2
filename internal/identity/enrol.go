package identity

// Accounts an operator opens on someone's word (the staff capability's
// enrolments, the demonstration's citizens), and what other capabilities
// ask of identity about the people they deal with.

import (
	"context"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"madina/internal/people"
	"strconv"
	"strings"
	"time"
	"unicode"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// PersonByEmail finds an account by e-mail address; none is NotFound.
func (s *Service) PersonByEmail(ctx context.Context, email string) (Person, error) {
	c, err := s.store.credentialsByEmail(ctx, s.db, email)
	if err != nil {
		return Person{}, err
	}
	return s.store.Person(ctx, s.db, c.ID)
}

// AccountID finds the account with an e-mail address and returns its id;
// none is NotFound. The staff capability grants roles by address.
func (s *Service) AccountID(ctx context.Context, email string) (int64, error) {
	c, err := s.store.credentialsByEmail(ctx, s.db, email)
	return c.ID, err
}

// Visiting tells another capability who the request's visitor is: the
// policy's actor (anonymous when nobody is signed in), whether the sign-in
// still waits for its second factor, and whether the person has set up a
// second factor (a staff page refused for want of it says where to go).
func (s *Service) Visiting(ctx context.Context) (a authz.Actor, pending, totp bool) {
	v := FromContext(ctx)
	if v.Person == nil {
		return authz.Actor{}, false, false
	}
	return v.Actor, v.Pending(), v.Person.TOTPEnabledAt != nil
}

// Enrolment is an account an operator opens for someone (people.Enrolment).
type Enrolment = people.Enrolment

// validEnrolment checks and normalises an enrolment into a profile.
func validEnrolment(e Enrolment) (Profile, error) {
	p := Profile{GivenNameAR: e.GivenNameAR, FamilyNameAR: e.FamilyNameAR, GivenNameLatin: e.GivenNameLatin,
		FamilyNameLatin: e.FamilyNameLatin, Email: NormalizeEmail(e.Email), Lang: e.Lang}
	var err error
	for _, f := range []struct {
		name string
		v    *string
	}{{"given_name_ar", &p.GivenNameAR}, {"family_name_ar", &p.FamilyNameAR},
		{"given_name_latin", &p.GivenNameLatin}, {"family_name_latin", &p.FamilyNameLatin}} {
		if *f.v, err = cleanName(f.name, *f.v, true); err != nil {
			return p, err
		}
	}
	if !hasScript(p.GivenNameAR+p.FamilyNameAR, unicode.Arabic) {
		return p, errs.E(errs.Invalid, "identity.error.name_arabic").OnField("given_name_ar")
	}
	if !hasScript(p.GivenNameLatin+p.FamilyNameLatin, unicode.Latin) {
		return p, errs.E(errs.Invalid, "identity.error.name_latin").OnField("given_name_latin")
	}
	if !ValidEmail(p.Email) {
		return p, errs.E(errs.Invalid, "identity.error.email").OnField("email")
	}
	if strings.TrimSpace(e.CIN) != "" {
		if p.CIN = NormalizeCIN(e.CIN); !ValidCIN(p.CIN) {
			return p, errs.E(errs.Invalid, "identity.error.cin").OnField("cin")
		}
	}
	if strings.TrimSpace(e.Phone) != "" {
		if p.Phone = NormalizePhone(e.Phone); p.Phone == "" || !MobilePhone(p.Phone) {
			return p, errs.E(errs.Invalid, "identity.error.phone").OnField("phone")
		}
	}
	switch p.Lang {
	case "ar", "fr", "en":
	default:
		p.Lang = "ar"
	}
	return p, nil
}

// Enrolled is the outcome of an enrolment (people.Enrolled).
type Enrolled = people.Enrolled

// EnrolLinkTTL is how long the password-setting link of an enrolment works.
const EnrolLinkTTL = 72 * time.Hour

// enrol opens the account in tx, or finds it by e-mail. An existing account
// whose e-mail was never verified is refused: whoever signed up with the
// address may not be the person the operator means.
// EnrolIn is enrol in the caller's transaction tx, for the staff
// capability's EnrolStaff (the account and its role in one transaction);
// actor names the operator in the audit records.
func (s *Service) EnrolIn(ctx context.Context, tx *db.Tx, actor string, e Enrolment) (Enrolled, error) {
	return s.enrol(ctx, tx, actor, e, s.now())
}

func (s *Service) enrol(ctx context.Context, tx *db.Tx, actor string, e Enrolment, now time.Time) (Enrolled, error) {
	var res Enrolled
	c, err := s.store.credentialsByEmail(ctx, tx, e.Email)
	switch {
	case err == nil:
		if !c.Verified {
			return res, errs.E(errs.Conflict, "admin.error.unverified_account").OnField("email")
		}
		res.PersonID = c.ID
		if c.PasswordHash != "" {
			return res, nil
		}
	case errs.Is(err, errs.NotFound):
		p, err := validEnrolment(e)
		if err != nil {
			return res, err
		}
		if res.PersonID, err = s.store.CreatePerson(ctx, tx, p, "", now); err != nil {
			return res, err
		}
		res.Created = true
		phone := any(nil)
		if p.Phone != "" {
			phone = now
		}
		if _, err := tx.ExecContext(ctx, `UPDATE persons SET email_verified_at = $1, phone_verified_at = $2 WHERE id = $3`,
			now, phone, res.PersonID); err != nil {
			return res, fmt.Errorf("identity: enrol: %w", err)
		}
		p.CIN, p.Phone = "", "" // the audit record's digest covers what identifies the account, not more
		if _, err := audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "identity.enrolled",
			ObjectType: "person", ObjectID: strconv.FormatInt(res.PersonID, 10), Change: p, At: now}); err != nil {
			return res, err
		}
	default:
		return res, err
	}
	token, hash := newToken()
	p, err := s.store.Person(ctx, tx, res.PersonID)
	if err != nil {
		return res, err
	}
	if err := s.store.createCode(ctx, tx, res.PersonID, PurposeReset, EmailKey(p.Email), hash, now, EnrolLinkTTL); err != nil {
		return res, err
	}
	res.ResetToken, res.ResetURL = token, s.cfg.BaseURL+"/reset/new?token="+token
	if !res.Created {
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "identity.password_link",
			ObjectType: "person", ObjectID: strconv.FormatInt(res.PersonID, 10), Change: "enrolment", At: now})
	}
	return res, err
}

// Enrol opens an account on an operator's word (see Enrolment), or finds
// the existing one, and returns a link for the person to choose a password
// when the account has none. Use ResetPassword with the token to set it.
// The operator must be allowed to manage accounts (authz.ManageStaff: the
// server's operator, or an administrator with the second factor); label
// names it in the audit records, e.g. "demo".
func (s *Service) Enrol(ctx context.Context, op authz.Actor, label string, e Enrolment) (Enrolled, error) {
	if err := authz.Check(op, authz.ManageStaff, authz.Resource{}); err != nil {
		return Enrolled{}, err
	}
	actor := label
	var res Enrolled
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		var err error
		res, err = s.enrol(ctx, tx, actor, e, s.now())
		return err
	})
	return res, err
}

// StaffEnrolment is the outcome of EnrolStaff.

// EnableTOTPSecret turns the second factor on with a given secret instead
// of a random one, sealed like BeginTOTP seals its own. It exists for the
// demonstration accounts, whose shared secret is published (docs/DEMO.md)
// so that testers can add it to an authenticator app; real accounts enrol
// through BeginTOTP and ConfirmTOTP. It changes nothing when the factor is
// on with that secret already. The operator must be allowed to manage
// accounts, and not for their own.
func (s *Service) EnableTOTPSecret(ctx context.Context, op authz.Actor, personID int64, secret string) error {
	if err := authz.Check(op, authz.ManageStaff, authz.Resource{Involved: authz.Involved{Persons: []int64{personID}}}); err != nil {
		return err
	}
	secret = strings.ToUpper(strings.ReplaceAll(secret, " ", ""))
	if b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret); err != nil || len(b) < 16 {
		return errs.E(errs.Invalid, "identity.error.code_invalid").Cause(fmt.Errorf("identity: TOTP secret must be base32 of 16 bytes or more"))
	}
	defer s.Forget(personID)
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		c, err := s.store.credentialsByID(ctx, tx, personID)
		if err != nil {
			return err
		}
		if c.TOTPEnabled {
			have, err := s.box.Open(c.TOTPSecret, totpAAD(personID))
			if err != nil {
				return fmt.Errorf("identity: open TOTP secret: %w", err)
			}
			if string(have) == secret {
				return nil
			}
			return errs.E(errs.Conflict, "identity.error.mfa_enabled")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE persons SET totp_secret = $1, totp_enabled_at = $2, totp_last_step = 0,
				updated_at = $2, version = version + 1 WHERE id = $3`,
			s.box.Seal([]byte(secret), totpAAD(personID)), now, personID); err != nil {
			return fmt.Errorf("identity: enable TOTP: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE person_id = $1`, personID); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: personActor(personID), Action: "identity.mfa_enabled",
			ObjectType: "person", ObjectID: strconv.FormatInt(personID, 10), Change: "totp (given secret)", At: now})
		return err
	})
}

// WindowPresidents lists the presidents deciding a window's files (the
// role's grant names the window).
func (s *Store) WindowPresidents(ctx context.Context, q db.Querier, window string) ([]Person, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT g.person_id FROM staff_grants g JOIN persons p ON p.id = g.person_id
		WHERE g.revoked_at IS NULL AND p.disabled_at IS NULL AND g.role = 'president' AND g.window_code = $1
		ORDER BY g.person_id`, window)
	if err != nil {
		return nil, fmt.Errorf("identity: window presidents: %w", err)
	}
	return s.personsOf(ctx, q, rows)
}

// WindowStaff lists the people answerable for a window's work: its agents,
// and their supervisors — the administrators of the organisations those
// agents work in. Disabled accounts are left out.
func (s *Store) WindowStaff(ctx context.Context, q db.Querier, window string) ([]Person, error) {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT g.person_id FROM staff_grants g JOIN persons p ON p.id = g.person_id
		WHERE g.revoked_at IS NULL AND p.disabled_at IS NULL AND (
			(g.role = 'window_agent' AND g.window_code = $1) OR
			(g.role = 'admin' AND g.organisation_code IN (SELECT organisation_code FROM staff_grants
				WHERE role = 'window_agent' AND window_code = $1 AND revoked_at IS NULL)))
		ORDER BY g.person_id`, window)
	if err != nil {
		return nil, fmt.Errorf("identity: window staff: %w", err)
	}
	return s.personsOf(ctx, q, rows)
}

// personsOf reads rows of person IDs, closes them, and gives the persons.
func (s *Store) personsOf(ctx context.Context, q db.Querier, rows *sql.Rows) ([]Person, error) {
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("identity: persons: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Person, 0, len(ids))
	for _, id := range ids {
		p, err := s.Person(ctx, q, id)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// orgKinds are the kinds of organisation that hold each committee body's
// seat (the permit catalogue's bodies; organisations.kind).
var orgKinds = map[string][]string{
	"commune": {"commune"}, "arrondissement": {"arrondissement"}, "prefecture": {"prefecture"},
	"urban_agency": {"urban_agency"}, "civil_protection": {"civil_protection"}, "distributor": {"utility", "electricity"},
	"telecom": {"telecom"}, "land_registry": {"land_registry"},
}

// SeatHolder is the organisation that holds committee body's seat for a
// file in arrondissement (the arrondissement's own for "arrondissement";
// for "prefecture" the one of the arrondissement's prefecture, named
// after it as the default organisations are, "prefecture-<code>"; else
// the first registered of the body's kind, by code), with its committee
// members by name; errs.NotFound when none is registered.
func (s *Store) SeatHolder(ctx context.Context, q db.Querier, body, arrondissement string) (people.Organisation, error) {
	kinds := orgKinds[body]
	if len(kinds) == 0 {
		return people.Organisation{}, errs.E(errs.NotFound, "")
	}
	var o people.Organisation
	args := []any{arrondissement}
	in := make([]string, len(kinds))
	for i, k := range kinds {
		args = append(args, k)
		in[i] = "$" + strconv.Itoa(i+2)
	}
	err := q.QueryRowContext(ctx, `SELECT code, name_ar, name_fr, name_en FROM organisations
		WHERE kind IN (`+strings.Join(in, ", ")+`) AND (kind <> 'arrondissement' OR arrondissement_code = $1)
		ORDER BY CASE WHEN kind = 'prefecture' AND code LIKE '%-' || (SELECT prefecture_code FROM arrondissements
			WHERE code = $1) THEN 0 ELSE 1 END, code LIMIT 1`, args...).Scan(&o.Code, &o.Name.AR, &o.Name.FR, &o.Name.EN)
	if errors.Is(err, sql.ErrNoRows) {
		return o, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return o, fmt.Errorf("identity: seat holder: %w", err)
	}
	return o, s.addMembers(ctx, q, &o)
}

// Organisation is a registered organisation with its committee members
// by name; errs.NotFound when there is none with that code.
func (s *Store) Organisation(ctx context.Context, q db.Querier, code string) (people.Organisation, error) {
	var o people.Organisation
	err := q.QueryRowContext(ctx, `SELECT code, name_ar, name_fr, name_en FROM organisations WHERE code = $1`, code).
		Scan(&o.Code, &o.Name.AR, &o.Name.FR, &o.Name.EN)
	if errors.Is(err, sql.ErrNoRows) {
		return o, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return o, fmt.Errorf("identity: organisation: %w", err)
	}
	return o, s.addMembers(ctx, q, &o)
}

// addMembers reads o's committee members (role committee_member, not
// revoked, accounts not disabled), by person.
func (s *Store) addMembers(ctx context.Context, q db.Querier, o *people.Organisation) error {
	rows, err := q.QueryContext(ctx, `SELECT DISTINCT g.person_id FROM staff_grants g JOIN persons p ON p.id = g.person_id
		WHERE g.organisation_code = $1 AND g.role = 'committee_member' AND g.revoked_at IS NULL AND p.disabled_at IS NULL
		ORDER BY g.person_id`, o.Code)
	if err != nil {
		return fmt.Errorf("identity: seat holder: %w", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("identity: seat holder: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, id := range ids {
		p, err := s.Person(ctx, q, id)
		if err != nil {
			return err
		}
		o.Members = append(o.Members, p)
	}
	return nil
}
