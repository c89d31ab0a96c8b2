package staff

// The back office's use cases: organisations, staff accounts and their
// grants, the verification of professionals, the audit viewer. Each takes
// the Operator acting and asks the policy first (authz, with the person a
// decision is about as involved: nobody rules on themselves), then checks
// the rules, then changes the store, in one transaction with its audit
// record. web.go serves them to administrators; the command line (madina
// admin) and the demonstration data call them as the system operator.

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"madina/internal/people"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
)

// Organisation kinds, as the schema knows them.
const (
	OrgCommune          = "commune"
	OrgArrondissement   = "arrondissement"
	OrgPrefecture       = "prefecture"
	OrgUrbanAgency      = "urban_agency"
	OrgCivilProtection  = "civil_protection"
	OrgUtility          = "utility"
	OrgElectricity      = "electricity"
	OrgTelecom          = "telecom"
	OrgLandRegistry     = "land_registry"
	OrgOther            = "other"
	CommuneOrganisation = "commune" // the code of the commune itself
)

// OrgKinds lists the kinds in the order the back office shows them.
var OrgKinds = []string{OrgCommune, OrgArrondissement, OrgPrefecture, OrgUrbanAgency, OrgCivilProtection,
	OrgUtility, OrgElectricity, OrgTelecom, OrgLandRegistry, OrgOther}

// Names is a name in the three languages.
type Names = i18n.Text

const maxOrgName = 200

// clean trims each name and checks it is there, not too long and free of
// control characters.
func cleanNames(n *Names) error {
	for _, f := range []struct {
		field string
		v     *string
	}{{"name_ar", &n.AR}, {"name_fr", &n.FR}, {"name_en", &n.EN}} {
		*f.v = strings.Join(strings.Fields(*f.v), " ")
		switch {
		case *f.v == "":
			return errs.E(errs.Invalid, "identity.error.required").OnField(f.field)
		case utf8.RuneCountInString(*f.v) > maxOrgName:
			return errs.E(errs.Invalid, "identity.error.name_long").With("max", maxOrgName).OnField(f.field)
		case strings.IndexFunc(*f.v, unicode.IsControl) >= 0 || strings.ContainsAny(*f.v, "<>"):
			return errs.E(errs.Invalid, "identity.error.name_chars").OnField(f.field)
		}
	}
	return nil
}

// Organisation is a body staff belong to: the commune, an arrondissement, a
// partner administration or company.
type Organisation struct {
	Code           string
	Kind           string
	Arrondissement string // kind arrondissement: the one it is
	Name           Names
	CreatedAt      time.Time
}

var orgCodeRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// validate checks a new organisation; the arrondissement's existence is the
// store's to check.
func (o *Organisation) validate() error {
	o.Code = strings.ToLower(strings.TrimSpace(o.Code))
	if !orgCodeRE.MatchString(o.Code) || len(o.Code) > 64 {
		return errs.E(errs.Invalid, "admin.error.org_code").OnField("code")
	}
	if !slices.Contains(OrgKinds, o.Kind) {
		return errs.E(errs.Invalid, "admin.error.org_kind").OnField("kind")
	}
	o.Arrondissement = strings.TrimSpace(o.Arrondissement)
	if (o.Kind == OrgArrondissement) != (o.Arrondissement != "") {
		return errs.E(errs.Invalid, "admin.error.org_arrondissement").OnField("arrondissement")
	}
	return cleanNames(&o.Name)
}

// Operator is who performs an administrative act: a signed-in
// administrator, or a command run by whoever operates the server (Label,
// Operator is who performs an administrative act: the acting person's
// policy actor (from their session), or the server's operator through the
// command line (System), whose audit records carry Label.
type Operator struct {
	Actor authz.Actor
	Label string // the system operator's name in audit records, e.g. "cli:admin" or "demo"
}

// As is a signed-in person acting with the rights their actor carries.
func As(a authz.Actor) Operator { return Operator{Actor: a} }

// System is the server's operator acting through the command line, named
// label in the audit records ("system" when empty). The policy allows it
// to manage staff and organisations only (authz.Actor.System).
func System(label string) Operator {
	if label == "" {
		label = "system"
	}
	return Operator{Actor: authz.Actor{System: true}, Label: label}
}

func (o Operator) actor() string {
	if o.Actor.Person != 0 {
		return "person:" + strconv.FormatInt(o.Actor.Person, 10)
	}
	if o.Label == "" {
		return "system"
	}
	return o.Label
}

func (o Operator) by() any {
	if o.Actor.Person == 0 {
		return nil
	}
	return o.Actor.Person
}

// check asks the policy whether op may act; about, when not zero, is the
// person the decision is about, who may not be op (conflict of interest).
func (o Operator) check(act authz.Action, about int64) error {
	r := authz.Resource{}
	if about != 0 {
		r.Involved = r.Involved.AddPersons(about)
	}
	return authz.Check(o.Actor, act, r)
}

// Accounts is what staff asks of the identity capability: enrolling an
// account in staff's own transaction, finding one by e-mail, and forgetting
// what identity cached of a person whose roles changed.
type Accounts interface {
	EnrolIn(ctx context.Context, tx *db.Tx, actor string, e Enrolment) (Enrolled, error)
	AccountID(ctx context.Context, email string) (int64, error)
	Forget(personID int64)
}

// Enrolment is an account an operator opens for someone, and Enrolled its
// outcome: the kernel's types, which identity's service speaks too.
type (
	Enrolment = people.Enrolment
	Enrolled  = people.Enrolled
)

// EnrolLinkTTL is how long the password-setting link of an enrolment
// works (identity's rule, repeated for the command line's message).
const EnrolLinkTTL = 72 * time.Hour

// Deps are what the service is built on.
type Deps struct {
	DB       *db.DB
	Notify   notifier
	Accounts Accounts
	Places   Places
	Events   Publisher // where state changes are published (the job queue's outbox)
	BaseURL  string    // public URL, for links in notices
	Log      *slog.Logger
	Now      func() time.Time // [time.Now]
}

// notifier sends notices in the caller's transaction (notify.Service).
type notifier interface {
	Send(ctx context.Context, tx *db.Tx, m notify.Message) error
}

// Service is the back office.
type Service struct {
	db       *db.DB
	store    *Store
	notify   notifier
	accounts Accounts
	places   Places
	events   Publisher
	baseURL  string
	log      *slog.Logger
	clock    func() time.Time
}

// NewService builds the back office on d.
func NewService(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	return &Service{db: d.DB, store: NewStore(d.DB), notify: d.Notify, accounts: d.Accounts, places: d.Places, events: d.Events,
		baseURL: d.BaseURL, log: d.Log, clock: d.Now}
}

func (s *Service) now() time.Time { return s.clock().UTC() }

// Places gives the forms the territorial reference.
func (s *Service) Places() Places { return s.places }

//go:embed organisations.json
var defaultOrgsJSON []byte

// orgDefaults is the embedded default set: fixed bodies, and how to name
// the organisations made from the territorial reference.
type orgDefaults struct {
	ArrondissementName Names  `json:"arrondissement_name"`
	PrefecturePrefix   string `json:"prefecture_prefix"`
	Organisations      []struct {
		Code string `json:"code"`
		Kind string `json:"kind"`
		Name Names  `json:"name"`
	} `json:"organisations"`
}

func parseOrgDefaults(b []byte) (orgDefaults, error) {
	var d orgDefaults
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("staff: default organisations: %w", err)
	}
	for _, f := range []string{d.ArrondissementName.AR, d.ArrondissementName.FR, d.ArrondissementName.EN} {
		if !strings.Contains(f, "{name}") {
			return d, fmt.Errorf("staff: default organisations: arrondissement_name %q lacks {name}", f)
		}
	}
	if d.PrefecturePrefix == "" || !orgCodeRE.MatchString(strings.TrimSuffix(d.PrefecturePrefix, "-")) {
		return d, fmt.Errorf("staff: default organisations: bad prefecture_prefix %q", d.PrefecturePrefix)
	}
	seen := map[string]bool{}
	for _, o := range d.Organisations {
		org := Organisation{Code: o.Code, Kind: o.Kind, Name: o.Name}
		if err := org.validate(); err != nil || org.Code != o.Code || o.Kind == OrgArrondissement || seen[o.Code] {
			return d, fmt.Errorf("staff: default organisation %q is invalid or repeated: %v", o.Code, err)
		}
		seen[o.Code] = true
	}
	return d, nil
}

// missingOrganisations returns the default organisations not there yet:
// the fixed bodies, one per arrondissement and one per prefecture of
// arrondissements of the reference. An organisation an administrator
// renamed stays as renamed; a default whose code an administrator already
// LoadOrganisations adds the default organisations that are missing (see
// organisations.json) and returns how many it added. Running it again
// changes nothing; it reads only when nothing is missing, so it is cheap to
// call before any use of the organisations.
func (s *Service) LoadOrganisations(ctx context.Context, op Operator) (int, error) {
	if err := op.check(authz.ManageOrgs, 0); err != nil {
		return 0, err
	}
	d, err := parseOrgDefaults(defaultOrgsJSON)
	if err != nil {
		return 0, err
	}
	if missing, err := s.store.missingOrganisations(ctx, s.db, d); err != nil || len(missing) == 0 {
		return 0, err
	}
	var added []string
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		added = nil
		missing, err := s.store.missingOrganisations(ctx, tx, d)
		if err != nil || len(missing) == 0 {
			return err
		}
		for _, o := range missing {
			if err := s.store.insertOrganisation(ctx, tx, o, now); err != nil {
				return err
			}
			added = append(added, o.Code)
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: op.actor(), Action: "identity.organisations_loaded",
			ObjectType: "organisation", Change: added, At: now})
		return err
	})
	return len(added), err
}

// Organisations lists the organisations: the commune, the arrondissements
// in the reference's order, then the other bodies kind by kind. Those who
// manage staff or organisations read it.
func (s *Service) Organisations(ctx context.Context, op Operator) ([]Organisation, error) {
	if err := op.check(authz.ManageOrgs, 0); err != nil {
		if op.check(authz.ManageStaff, 0) != nil {
			return nil, err
		}
	}
	return s.store.organisations(ctx)
}

// Organisation returns one organisation; an unknown code is NotFound.
func (s *Service) Organisation(ctx context.Context, op Operator, code string) (Organisation, error) {
	if err := op.check(authz.ManageOrgs, 0); err != nil {
		return Organisation{}, err
	}
	return s.store.organisation(ctx, s.db, code)
}

// CreateOrganisation adds an organisation.
func (s *Service) CreateOrganisation(ctx context.Context, op Operator, o Organisation) (Organisation, error) {
	if err := op.check(authz.ManageOrgs, 0); err != nil {
		return o, err
	}
	if err := o.validate(); err != nil {
		return o, err
	}
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		if o.Arrondissement != "" {
			if _, err := s.store.place(ctx, tx, "arrondissements", o.Arrondissement); err != nil {
				return errs.E(errs.Invalid, "admin.error.arrondissement_unknown").OnField("arrondissement").Cause(err)
			}
		}
		if err := s.store.insertOrganisation(ctx, tx, o, now); err != nil {
			return err
		}
		o.CreatedAt = now
		_, err := audit.Append(ctx, tx, audit.Entry{Actor: op.actor(), Action: "identity.organisation_created",
			ObjectType: "organisation", ObjectID: o.Code, Change: o, At: now})
		return err
	})
	return o, err
}

// RenameOrganisation changes an organisation's names; its code and kind
// stay (grants refer to the code).
func (s *Service) RenameOrganisation(ctx context.Context, op Operator, code string, n Names) error {
	if err := op.check(authz.ManageOrgs, 0); err != nil {
		return err
	}
	if err := cleanNames(&n); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		old, err := s.store.organisation(ctx, tx, code)
		if err != nil {
			return err
		}
		if old.Name == n {
			return nil
		}
		if err := s.store.renameOrganisation(ctx, tx, code, n); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: op.actor(), Action: "identity.organisation_renamed",
			ObjectType: "organisation", ObjectID: code, Change: map[string]Names{"from": old.Name, "to": n}, At: now})
		return err
	})
}

// Place is an arrondissement or a single window of the territorial
// reference, as the back office's forms offer them.
type Place struct {
	Code           string
	Kind           string // windows: city or arrondissement
	Arrondissement string // windows of an arrondissement
	Name           Names
}

// Places lists the territorial reference for the back office's forms;
// the district capability provides it (wired in app).
type Places interface {
	Arrondissements(ctx context.Context) ([]Place, error)
	Windows(ctx context.Context) ([]Place, error) // the city's first
}

// GrantSpec is a role to give: in an organisation, limited to an
// arrondissement where it applies, at a window for window agents.
type GrantSpec struct {
	Role           authz.Role
	Org            string
	Arrondissement string
	Window         string
}

// StaffGrant is a role held.
type StaffGrant struct {
	ID        int64
	PersonID  int64
	GrantSpec // as stored: the arrondissement filled in from the organisation or window
	GrantedBy int64
	GrantedAt time.Time
}

// settle checks g against its organisation and window (nil when g names
// none) and fills in the arrondissement they imply:
//   - admin and auditor apply to the whole city (the policy does not scope
//     them): they are held in the commune, without an arrondissement;
//   - window agents, and only they, have a window; they belong to the
//     commune or to an arrondissement;
//   - an arrondissement's staff are limited to it, and its window agents sit
//     at its window;
//   - an arrondissement window's agent is limited to that arrondissement.
func (g *GrantSpec) settle(org Organisation, win *Place) error {
	if !slices.Contains(authz.Roles, g.Role) {
		return errs.E(errs.Invalid, "admin.error.role").OnField("role")
	}
	if g.Role == authz.Admin || g.Role == authz.Auditor {
		if org.Kind != OrgCommune || g.Arrondissement != "" {
			return errs.E(errs.Invalid, "admin.error.citywide_role").OnField("org")
		}
	}
	if org.Kind == OrgArrondissement {
		if g.Arrondissement != "" && g.Arrondissement != org.Arrondissement {
			return errs.E(errs.Invalid, "admin.error.scope_outside_org").OnField("arrondissement")
		}
		g.Arrondissement = org.Arrondissement
	}
	if (g.Role == authz.WindowAgent || g.Role == authz.President) != (win != nil) {
		if win == nil && g.Role == authz.President {
			return errs.E(errs.Invalid, "admin.error.window_required_president").OnField("window")
		}
		if win == nil {
			return errs.E(errs.Invalid, "admin.error.window_required").OnField("window")
		}
		return errs.E(errs.Invalid, "admin.error.window_only_agents").OnField("window")
	}
	if win == nil {
		return nil
	}
	if org.Kind != OrgCommune && org.Kind != OrgArrondissement {
		return errs.E(errs.Invalid, "admin.error.window_org").OnField("org")
	}
	switch {
	case win.Arrondissement == "" && g.Arrondissement != "":
		return errs.E(errs.Invalid, "admin.error.window_scope").OnField("window")
	case win.Arrondissement != "" && g.Arrondissement != "" && win.Arrondissement != g.Arrondissement:
		return errs.E(errs.Invalid, "admin.error.window_scope").OnField("window")
	}
	g.Arrondissement = win.Arrondissement
	return nil
}

// grant records g for the person in tx. With lenient, an identical grant
// grant records g for the person in tx. With lenient, an identical grant
// already held is returned (existed true) rather than refused.
func (s *Service) grant(ctx context.Context, tx *db.Tx, op Operator, personID int64, g GrantSpec, lenient bool, now time.Time) (sg StaffGrant, existed bool, err error) {
	g.Org, g.Arrondissement, g.Window = strings.TrimSpace(g.Org), strings.TrimSpace(g.Arrondissement), strings.TrimSpace(g.Window)
	p, err := s.store.person(ctx, tx, personID)
	if errs.Is(err, errs.NotFound) {
		return sg, false, errs.E(errs.Invalid, "admin.error.person_unknown").OnField("email")
	}
	if err != nil {
		return sg, false, err
	}
	if p.EmailVerifiedAt == nil {
		return sg, false, errs.E(errs.Conflict, "admin.error.unverified_account").OnField("email")
	}
	if g.Org == "" {
		return sg, false, errs.E(errs.Invalid, "identity.error.required").OnField("org")
	}
	org, err := s.store.organisation(ctx, tx, g.Org)
	if errs.Is(err, errs.NotFound) {
		return sg, false, errs.E(errs.Invalid, "admin.error.org_unknown").OnField("org")
	}
	if err != nil {
		return sg, false, err
	}
	if g.Arrondissement != "" {
		if _, err := s.store.place(ctx, tx, "arrondissements", g.Arrondissement); err != nil {
			return sg, false, errs.E(errs.Invalid, "admin.error.arrondissement_unknown").OnField("arrondissement").Cause(err)
		}
	}
	var win *Place
	if g.Window != "" {
		w, err := s.store.place(ctx, tx, "windows", g.Window)
		if err != nil {
			return sg, false, errs.E(errs.Invalid, "admin.error.window_unknown").OnField("window").Cause(err)
		}
		win = &w
	}
	if err := g.settle(org, win); err != nil {
		return sg, false, err
	}
	sg = StaffGrant{PersonID: personID, GrantSpec: g, GrantedBy: op.Actor.Person, GrantedAt: now}
	id, err := s.store.heldGrant(ctx, tx, personID, g)
	switch {
	case err == nil && lenient:
		sg.ID = id
		return sg, true, nil
	case err == nil:
		return sg, false, errs.E(errs.Conflict, "admin.error.grant_exists").OnField("role")
	case !errs.Is(err, errs.NotFound):
		return sg, false, err
	}
	if sg.ID, err = s.store.insertGrant(ctx, tx, sg, op.by()); err != nil {
		return sg, false, err
	}
	_, err = audit.Append(ctx, tx, audit.Entry{Actor: op.actor(), Action: "identity.role_granted",
		ObjectType: "person", ObjectID: strconv.FormatInt(personID, 10), Change: sg, At: now})
	return sg, false, err
}

// Grant gives a person a role. The person's e-mail must be verified; the
// same grant held twice is a conflict; nobody grants themselves a role
// (separation of duties: the policy's conflict of interest).
func (s *Service) Grant(ctx context.Context, op Operator, personID int64, g GrantSpec) (StaffGrant, error) {
	if err := op.check(authz.ManageStaff, personID); err != nil {
		return StaffGrant{}, err
	}
	defer s.accounts.Forget(personID) // the grant counts from the next request
	var sg StaffGrant
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		var err error
		sg, _, err = s.grant(ctx, tx, op, personID, g, false, s.now())
		return err
	})
	return sg, err
}

// GrantByEmail is Grant to the account with that e-mail address, as the
// back office's form names it; no such account is refused on the field.
func (s *Service) GrantByEmail(ctx context.Context, op Operator, email string, g GrantSpec) (StaffGrant, error) {
	if err := op.check(authz.ManageStaff, 0); err != nil {
		return StaffGrant{}, err
	}
	id, err := s.accounts.AccountID(ctx, email)
	if errs.Is(err, errs.NotFound) {
		return StaffGrant{}, errs.E(errs.Invalid, "admin.error.person_unknown").OnField("email")
	}
	if err != nil {
		return StaffGrant{}, err
	}
	return s.Grant(ctx, op, id, g)
}

// RevokeGrant ends a grant. The last administrator's grant cannot be
// revoked: nobody could give it back but the command line. An
// administrator may give up a role of their own (as before the policy
// moved into the service): only giving, not ending, is ruled on oneself.
func (s *Service) RevokeGrant(ctx context.Context, op Operator, grantID int64) (StaffGrant, error) {
	if err := op.check(authz.ManageStaff, 0); err != nil {
		return StaffGrant{}, err
	}
	var sg StaffGrant
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		var err error
		if sg, err = s.store.activeGrant(ctx, tx, grantID); err != nil {
			return err
		}
		if sg.Role == authz.Admin {
			admins, err := s.store.otherAdmins(ctx, tx, sg.PersonID)
			if err != nil {
				return err
			}
			if admins == 0 {
				return errs.E(errs.Conflict, "admin.error.last_admin")
			}
		}
		if err := s.store.revokeGrant(ctx, tx, grantID, now); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: op.actor(), Action: "identity.role_revoked",
			ObjectType: "person", ObjectID: strconv.FormatInt(sg.PersonID, 10), Change: sg, At: now})
		return err
	})
	if err == nil {
		s.accounts.Forget(sg.PersonID) // the role ends with the next request
	}
	return sg, err
}

// StaffMember is a person with the grants they hold.
type StaffMember struct {
	Person Person
	Grants []StaffGrant
}

// Staff lists everyone holding a grant, by name, with their grants.
func (s *Service) Staff(ctx context.Context, op Operator) ([]StaffMember, error) {
	if err := op.check(authz.ManageStaff, 0); err != nil {
		return nil, err
	}
	return s.store.staff(ctx)
}

// StaffEnrolment is the outcome of EnrolStaff.
type StaffEnrolment struct {
	Enrolled
	Grant          StaffGrant
	AlreadyGranted bool // the person held this grant already: nothing changed
}

// EnrolStaff opens a staff account through identity (or finds the
// existing one) and gives it a role, in one transaction: nothing is
// created if the grant is wrong or the policy refuses it. Running it again
// with the same arguments changes nothing.
func (s *Service) EnrolStaff(ctx context.Context, op Operator, e Enrolment, g GrantSpec) (StaffEnrolment, error) {
	if err := op.check(authz.ManageStaff, 0); err != nil {
		return StaffEnrolment{}, err
	}
	var res StaffEnrolment
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		var err error
		if res.Enrolled, err = s.accounts.EnrolIn(ctx, tx, op.actor(), e); err != nil {
			return err
		}
		// Nobody enrols themselves into a role.
		if err := op.check(authz.ManageStaff, res.PersonID); err != nil {
			return err
		}
		res.Grant, res.AlreadyGranted, err = s.grant(ctx, tx, op, res.PersonID, g, true, now)
		return err
	})
	if err == nil {
		s.accounts.Forget(res.PersonID)
	}
	return res, err
}

// Declaration is a professional registration waiting for verification.
type Declaration struct {
	Person       Person
	Profession   string
	Registration string
	DeclaredAt   time.Time
}

// PendingProfessionals lists the declarations not verified yet, oldest
// first.
func (s *Service) PendingProfessionals(ctx context.Context, op Operator) ([]Declaration, error) {
	if err := op.check(authz.VerifyProfessional, 0); err != nil {
		return nil, err
	}
	return s.store.pendingProfessionals(ctx)
}

// pending reads a declaration awaiting verification in tx.
func (s *Service) pending(ctx context.Context, tx *db.Tx, op Operator, personID int64) (Declaration, error) {
	d, err := s.store.declaration(ctx, tx, personID)
	if err != nil {
		return d, err
	}
	if op.Actor.Person == personID {
		return d, errs.E(errs.Forbidden, "admin.error.own_declaration")
	}
	return d, nil
}

// VerifyProfessional confirms a professional's declaration: from now on
// they act as architect, engineer or surveyor under mandates. Only a
// signed-in administrator verifies (the schema records who; the policy
// refuses the system operator), never their own declaration.
func (s *Service) VerifyProfessional(ctx context.Context, op Operator, personID int64) error {
	if err := op.check(authz.VerifyProfessional, personID); err != nil {
		return err
	}
	if op.Actor.Person == 0 {
		return errs.E(errs.Forbidden, "").Cause(errors.New("staff: a professional is verified by an administrator, not by a command"))
	}
	defer s.accounts.Forget(personID)
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		d, err := s.pending(ctx, tx, op, personID)
		if err != nil {
			return err
		}
		if err := s.store.verifyProfessional(ctx, tx, personID, op.Actor.Person, now); err != nil {
			return err
		}
		if err := s.professionalChanged(ctx, tx, d, "verified", ""); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: op.actor(), Action: "identity.professional_verified",
			ObjectType: "person", ObjectID: strconv.FormatInt(personID, 10),
			Change: map[string]string{"profession": d.Profession, "registration": d.Registration}, At: now})
		return err
	})
}

const maxReason = 1000

// RejectProfessional refuses a declaration: it is deleted, and the person
// is told why in the inbox and by e-mail; they may declare again.
func (s *Service) RejectProfessional(ctx context.Context, op Operator, personID int64, reason string) error {
	if err := op.check(authz.VerifyProfessional, personID); err != nil {
		return err
	}
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return errs.E(errs.Invalid, "admin.error.reason_required").OnField("reason")
	case utf8.RuneCountInString(reason) > maxReason:
		return errs.E(errs.Invalid, "admin.error.reason_long").With("max", maxReason).OnField("reason")
	case !utf8.ValidString(reason) || strings.ContainsRune(reason, 0):
		return errs.E(errs.Invalid, "admin.error.reason_required").OnField("reason")
	}
	defer s.accounts.Forget(personID)
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		d, err := s.pending(ctx, tx, op, personID)
		if err != nil {
			return err
		}
		if err := s.store.deleteDeclaration(ctx, tx, personID); err != nil {
			return err
		}
		if err := s.professionalChanged(ctx, tx, d, "rejected", reason); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: op.actor(), Action: "identity.professional_rejected",
			ObjectType: "person", ObjectID: strconv.FormatInt(personID, 10),
			Change: map[string]string{"profession": d.Profession, "registration": d.Registration, "reason": reason}, At: now})
		return err
	})
}

// Counts are the back office's headline numbers.
type Counts struct {
	Staff, Organisations, PendingProfessionals int
}

// Counts returns the back office's headline numbers.
func (s *Service) Counts(ctx context.Context, op Operator) (Counts, error) {
	if err := op.check(authz.ManageStaff, 0); err != nil {
		return Counts{}, err
	}
	return s.store.counts(ctx)
}

// AuditPage is a page of the audit log with the chain's check.
type AuditPage struct {
	Records []audit.Record
	Report  audit.Report
}

// Audit lists the audit records f selects, newest first, and checks the
// whole chain: the viewer is for a few auditors, and a break must show at
// once. A refused filter still returns the chain's report with the error.
func (s *Service) Audit(ctx context.Context, op Operator, f audit.Filter) (AuditPage, error) {
	if err := op.check(authz.ReadAudit, 0); err != nil {
		return AuditPage{}, err
	}
	var page AuditPage
	log := audit.New(s.db)
	records, ferr := log.List(ctx, f)
	if ferr != nil && errs.KindOf(ferr) == errs.Internal {
		return page, ferr
	}
	report, err := log.Verify(ctx)
	if err != nil {
		return page, err
	}
	page.Records, page.Report = records, report
	return page, ferr
}
