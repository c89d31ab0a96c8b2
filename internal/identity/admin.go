package identity

// The back office's use cases: organisations, staff accounts and their
// grants, the verification of professionals. Each change is one transaction
// with its audit record. admin_web.go serves them to administrators; the
// command line (madina admin) and the demonstration data call them too.

import (
	"context"
	"database/sql"
	_ "embed"
	"encoding/base32"
	"encoding/json"
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
// e.g. "cli:admin" or "demo").
type Operator struct {
	Person int64
	Label  string
}

func (o Operator) actor() string {
	if o.Person != 0 {
		return personActor(o.Person)
	}
	if o.Label == "" {
		return "system"
	}
	return o.Label
}

func (o Operator) by() any {
	if o.Person == 0 {
		return nil
	}
	return o.Person
}

//go:embed admin_organisations.json
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
		return d, fmt.Errorf("identity: default organisations: %w", err)
	}
	for _, f := range []string{d.ArrondissementName.AR, d.ArrondissementName.FR, d.ArrondissementName.EN} {
		if !strings.Contains(f, "{name}") {
			return d, fmt.Errorf("identity: default organisations: arrondissement_name %q lacks {name}", f)
		}
	}
	if d.PrefecturePrefix == "" || !orgCodeRE.MatchString(strings.TrimSuffix(d.PrefecturePrefix, "-")) {
		return d, fmt.Errorf("identity: default organisations: bad prefecture_prefix %q", d.PrefecturePrefix)
	}
	seen := map[string]bool{}
	for _, o := range d.Organisations {
		org := Organisation{Code: o.Code, Kind: o.Kind, Name: o.Name}
		if err := org.validate(); err != nil || org.Code != o.Code || o.Kind == OrgArrondissement || seen[o.Code] {
			return d, fmt.Errorf("identity: default organisation %q is invalid or repeated: %v", o.Code, err)
		}
		seen[o.Code] = true
	}
	return d, nil
}

// missingOrganisations returns the default organisations not there yet:
// the fixed bodies, one per arrondissement and one per prefecture of
// arrondissements of the reference. An organisation an administrator
// renamed stays as renamed; a default whose code an administrator already
// used for something else is left out.
func (s *Store) missingOrganisations(ctx context.Context, q db.Querier, d orgDefaults) ([]Organisation, error) {
	var out []Organisation
	for _, o := range d.Organisations {
		var n int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM organisations WHERE code = $1`, o.Code).Scan(&n); err != nil {
			return nil, fmt.Errorf("identity: organisations: %w", err)
		}
		if n == 0 {
			out = append(out, Organisation{Code: o.Code, Kind: o.Kind, Name: o.Name})
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT a.code, a.name_ar, a.name_fr, a.name_en FROM arrondissements a
		WHERE NOT EXISTS (SELECT 1 FROM organisations o WHERE o.arrondissement_code = a.code OR o.code = a.code)
		ORDER BY a.position`)
	if err != nil {
		return nil, fmt.Errorf("identity: arrondissements: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var code string
		var n Names
		if err := rows.Scan(&code, &n.AR, &n.FR, &n.EN); err != nil {
			return nil, err
		}
		f := d.ArrondissementName
		out = append(out, Organisation{Code: code, Kind: OrgArrondissement, Arrondissement: code, Name: Names{
			AR: strings.ReplaceAll(f.AR, "{name}", n.AR), FR: strings.ReplaceAll(f.FR, "{name}", n.FR),
			EN: strings.ReplaceAll(f.EN, "{name}", n.EN)}})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	prows, err := q.QueryContext(ctx, `SELECT p.code, p.name_ar, p.name_fr, p.name_en FROM prefectures p
		WHERE NOT EXISTS (SELECT 1 FROM organisations o WHERE o.code = CAST($1 AS TEXT) || p.code) ORDER BY p.position`, d.PrefecturePrefix)
	if err != nil {
		return nil, fmt.Errorf("identity: prefectures: %w", err)
	}
	defer prows.Close()
	for prows.Next() {
		var code string
		var n Names
		if err := prows.Scan(&code, &n.AR, &n.FR, &n.EN); err != nil {
			return nil, err
		}
		out = append(out, Organisation{Code: d.PrefecturePrefix + code, Kind: OrgPrefecture, Name: n})
	}
	return out, prows.Err()
}

func (s *Store) insertOrganisation(ctx context.Context, tx *db.Tx, o Organisation, now time.Time) error {
	var arr any
	if o.Arrondissement != "" {
		arr = o.Arrondissement
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO organisations (code, kind, arrondissement_code, name_ar, name_fr, name_en, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, o.Code, o.Kind, arr, o.Name.AR, o.Name.FR, o.Name.EN, now)
	if db.IsUniqueViolation(err) {
		if o.Kind == OrgArrondissement {
			var n int
			_ = tx.QueryRowContext(ctx, `SELECT count(*) FROM organisations WHERE code = $1`, o.Code).Scan(&n)
			if n == 0 {
				return errs.E(errs.Conflict, "admin.error.org_arrondissement_taken").OnField("arrondissement").Cause(err)
			}
		}
		return errs.E(errs.Conflict, "admin.error.org_code_taken").OnField("code").Cause(err)
	}
	if err != nil {
		return fmt.Errorf("identity: insert organisation %s: %w", o.Code, err)
	}
	return nil
}

// LoadOrganisations adds the default organisations that are missing (see
// admin_organisations.json) and returns how many it added. Running it again
// changes nothing; it reads only when nothing is missing, so it is cheap to
// call before any use of the organisations.
func (s *Store) LoadOrganisations(ctx context.Context, actor string, now time.Time) (int, error) {
	d, err := parseOrgDefaults(defaultOrgsJSON)
	if err != nil {
		return 0, err
	}
	if missing, err := s.missingOrganisations(ctx, s.db, d); err != nil || len(missing) == 0 {
		return 0, err
	}
	var added []string
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		added = nil
		missing, err := s.missingOrganisations(ctx, tx, d)
		if err != nil || len(missing) == 0 {
			return err
		}
		for _, o := range missing {
			if err := s.insertOrganisation(ctx, tx, o, now); err != nil {
				return err
			}
			added = append(added, o.Code)
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: actor, Action: "identity.organisations_loaded",
			ObjectType: "organisation", Change: added, At: now})
		return err
	})
	return len(added), err
}

// LoadOrganisations adds the missing default organisations (Store.LoadOrganisations).
func (s *Service) LoadOrganisations(ctx context.Context, actor string) (int, error) {
	return s.store.LoadOrganisations(ctx, actor, s.now())
}

const orgColumns = `o.code, o.kind, COALESCE(o.arrondissement_code, ''), o.name_ar, o.name_fr, o.name_en, o.created_at`

func scanOrganisation(row interface{ Scan(...any) error }) (Organisation, error) {
	var o Organisation
	err := row.Scan(&o.Code, &o.Kind, &o.Arrondissement, &o.Name.AR, &o.Name.FR, &o.Name.EN, &o.CreatedAt)
	return o, err
}

// Organisations lists the organisations: the commune, the arrondissements
// in the reference's order, then the other bodies kind by kind.
func (s *Service) Organisations(ctx context.Context) ([]Organisation, error) {
	order := "CASE o.kind"
	for i, k := range OrgKinds {
		order += " WHEN '" + k + "' THEN " + strconv.Itoa(i)
	}
	order += " END"
	rows, err := s.db.QueryContext(ctx, `SELECT `+orgColumns+` FROM organisations o
		LEFT JOIN arrondissements a ON a.code = o.arrondissement_code
		ORDER BY `+order+`, COALESCE(a.position, 0), o.code`)
	if err != nil {
		return nil, fmt.Errorf("identity: organisations: %w", err)
	}
	defer rows.Close()
	var out []Organisation
	for rows.Next() {
		o, err := scanOrganisation(rows)
		if err != nil {
			return nil, fmt.Errorf("identity: organisations: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// Organisation returns one organisation; an unknown code is NotFound.
func (s *Service) Organisation(ctx context.Context, code string) (Organisation, error) {
	return s.store.organisation(ctx, s.db, code)
}

func (s *Store) organisation(ctx context.Context, q db.Querier, code string) (Organisation, error) {
	o, err := scanOrganisation(q.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organisations o WHERE o.code = $1`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return o, errs.E(errs.NotFound, "admin.error.org_unknown")
	}
	if err != nil {
		return o, fmt.Errorf("identity: organisation: %w", err)
	}
	return o, nil
}

// CreateOrganisation adds an organisation.
func (s *Service) CreateOrganisation(ctx context.Context, op Operator, o Organisation) (Organisation, error) {
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
		if _, err := tx.ExecContext(ctx, `UPDATE organisations SET name_ar = $1, name_fr = $2, name_en = $3 WHERE code = $4`,
			n.AR, n.FR, n.EN, code); err != nil {
			return fmt.Errorf("identity: rename organisation: %w", err)
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

// place reads one arrondissement or window by code.
func (s *Store) place(ctx context.Context, q db.Querier, table, code string) (Place, error) {
	var p Place
	var query string
	switch table {
	case "arrondissements":
		query = `SELECT code, '', code FROM arrondissements WHERE code = $1`
	case "windows":
		query = `SELECT code, kind, COALESCE(arrondissement_code, '') FROM windows WHERE code = $1`
	default:
		return p, fmt.Errorf("identity: no place table %q", table)
	}
	err := q.QueryRowContext(ctx, query, code).Scan(&p.Code, &p.Kind, &p.Arrondissement)
	if errors.Is(err, sql.ErrNoRows) {
		return p, errs.E(errs.NotFound, "")
	}
	return p, err
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
	if (g.Role == authz.WindowAgent) != (win != nil) {
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
// already held is returned (existed true) rather than refused.
func (s *Service) grant(ctx context.Context, tx *db.Tx, op Operator, personID int64, g GrantSpec, lenient bool, now time.Time) (sg StaffGrant, existed bool, err error) {
	g.Org, g.Arrondissement, g.Window = strings.TrimSpace(g.Org), strings.TrimSpace(g.Arrondissement), strings.TrimSpace(g.Window)
	p, err := s.store.Person(ctx, tx, personID)
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
	sg = StaffGrant{PersonID: personID, GrantSpec: g, GrantedBy: op.Person, GrantedAt: now}
	var id int64
	err = tx.QueryRowContext(ctx, `SELECT id FROM staff_grants WHERE person_id = $1 AND role = $2 AND organisation_code = $3
		AND COALESCE(arrondissement_code, '') = $4 AND COALESCE(window_code, '') = $5 AND revoked_at IS NULL`,
		personID, string(g.Role), g.Org, g.Arrondissement, g.Window).Scan(&id)
	switch {
	case err == nil && lenient:
		sg.ID = id
		return sg, true, nil
	case err == nil:
		return sg, false, errs.E(errs.Conflict, "admin.error.grant_exists").OnField("role")
	case !errors.Is(err, sql.ErrNoRows):
		return sg, false, fmt.Errorf("identity: find grant: %w", err)
	}
	err = tx.QueryRowContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, arrondissement_code, window_code, granted_by, granted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		personID, g.Org, string(g.Role), nullString(g.Arrondissement), nullString(g.Window), op.by(), now).Scan(&sg.ID)
	if db.IsUniqueViolation(err) {
		return sg, false, errs.E(errs.Conflict, "admin.error.grant_exists").OnField("role").Cause(err)
	}
	if err != nil {
		return sg, false, fmt.Errorf("identity: grant: %w", err)
	}
	_, err = audit.Append(ctx, tx, audit.Entry{Actor: op.actor(), Action: "identity.role_granted",
		ObjectType: "person", ObjectID: strconv.FormatInt(personID, 10), Change: sg, At: now})
	return sg, false, err
}

// Grant gives a person a role. The person's e-mail must be verified; the
// same grant held twice is a conflict.
func (s *Service) Grant(ctx context.Context, op Operator, personID int64, g GrantSpec) (StaffGrant, error) {
	defer s.Forget(personID) // the grant counts from the next request
	var sg StaffGrant
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		var err error
		sg, _, err = s.grant(ctx, tx, op, personID, g, false, s.now())
		return err
	})
	return sg, err
}

// RevokeGrant ends a grant. The last administrator's grant cannot be
// revoked: nobody could give it back but the command line.
func (s *Service) RevokeGrant(ctx context.Context, op Operator, grantID int64) (StaffGrant, error) {
	var sg StaffGrant
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		var role string
		var by sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT id, person_id, role, organisation_code, COALESCE(arrondissement_code, ''),
				COALESCE(window_code, ''), granted_by, granted_at
			FROM staff_grants WHERE id = $1 AND revoked_at IS NULL`, grantID).
			Scan(&sg.ID, &sg.PersonID, &role, &sg.Org, &sg.Arrondissement, &sg.Window, &by, &sg.GrantedAt)
		if errors.Is(err, sql.ErrNoRows) {
			return errs.E(errs.NotFound, "admin.error.grant_unknown")
		}
		if err != nil {
			return fmt.Errorf("identity: revoke grant: %w", err)
		}
		sg.Role, sg.GrantedBy = authz.Role(role), by.Int64
		if sg.Role == authz.Admin {
			var admins int
			if err := tx.QueryRowContext(ctx, `SELECT count(DISTINCT g.person_id) FROM staff_grants g JOIN persons p ON p.id = g.person_id
				WHERE g.role = 'admin' AND g.revoked_at IS NULL AND p.disabled_at IS NULL AND g.person_id <> $1`, sg.PersonID).Scan(&admins); err != nil {
				return fmt.Errorf("identity: count administrators: %w", err)
			}
			if admins == 0 {
				return errs.E(errs.Conflict, "admin.error.last_admin")
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE staff_grants SET revoked_at = $1 WHERE id = $2`, now, grantID); err != nil {
			return fmt.Errorf("identity: revoke grant: %w", err)
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: op.actor(), Action: "identity.role_revoked",
			ObjectType: "person", ObjectID: strconv.FormatInt(sg.PersonID, 10), Change: sg, At: now})
		return err
	})
	if err == nil {
		s.Forget(sg.PersonID) // the role ends with the next request
	}
	return sg, err
}

// StaffMember is a person with the grants they hold.
type StaffMember struct {
	Person Person
	Grants []StaffGrant
}

// Staff lists everyone holding a grant, by name, with their grants.
func (s *Service) Staff(ctx context.Context) ([]StaffMember, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+personColumns+` FROM persons
		WHERE disabled_at IS NULL AND id IN (SELECT person_id FROM staff_grants WHERE revoked_at IS NULL)
		ORDER BY family_name_latin, given_name_latin, id`)
	if err != nil {
		return nil, fmt.Errorf("identity: staff: %w", err)
	}
	var out []StaffMember
	at := map[int64]int{}
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("identity: staff: %w", err)
		}
		at[p.ID] = len(out)
		out = append(out, StaffMember{Person: p})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	grows, err := s.db.QueryContext(ctx, `SELECT id, person_id, role, organisation_code, COALESCE(arrondissement_code, ''),
			COALESCE(window_code, ''), COALESCE(granted_by, 0), granted_at
		FROM staff_grants WHERE revoked_at IS NULL ORDER BY person_id, id`)
	if err != nil {
		return nil, fmt.Errorf("identity: staff grants: %w", err)
	}
	defer grows.Close()
	for grows.Next() {
		var g StaffGrant
		var role string
		if err := grows.Scan(&g.ID, &g.PersonID, &role, &g.Org, &g.Arrondissement, &g.Window, &g.GrantedBy, &g.GrantedAt); err != nil {
			return nil, fmt.Errorf("identity: staff grants: %w", err)
		}
		g.Role = authz.Role(role)
		if i, ok := at[g.PersonID]; ok {
			out[i].Grants = append(out[i].Grants, g)
		}
	}
	return out, grows.Err()
}

// PersonByEmail finds an account by e-mail address; none is NotFound.
func (s *Service) PersonByEmail(ctx context.Context, email string) (Person, error) {
	c, err := s.store.credentialsByEmail(ctx, s.db, email)
	if err != nil {
		return Person{}, err
	}
	return s.store.Person(ctx, s.db, c.ID)
}

// Enrolment is an account an operator opens for someone: a staff member
// (no CIN needed) or, for the demonstration, a citizen. What the operator
// enters, the operator vouches for: the e-mail address, and the phone
// number when given, count as verified.
type Enrolment struct {
	Email                           string
	GivenNameAR, FamilyNameAR       string
	GivenNameLatin, FamilyNameLatin string
	CIN                             string // optional
	Phone                           string // optional
	Lang                            string // ar (default), fr or en
}

// validate checks and normalises an enrolment into a profile.
func (e Enrolment) validate() (Profile, error) {
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

// Enrolled is the outcome of an enrolment.
type Enrolled struct {
	PersonID int64
	Created  bool // false: the account existed already
	// ResetToken is a one-time link's token for the person to choose a
	// password, and ResetURL the link; both empty when the account has a
	// password already. Give the link to the person only.
	ResetToken string
	ResetURL   string
}

// EnrolLinkTTL is how long the password-setting link of an enrolment works.
const EnrolLinkTTL = 72 * time.Hour

// enrol opens the account in tx, or finds it by e-mail. An existing account
// whose e-mail was never verified is refused: whoever signed up with the
// address may not be the person the operator means.
func (s *Service) enrol(ctx context.Context, tx *db.Tx, op Operator, e Enrolment, now time.Time) (Enrolled, error) {
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
		p, err := e.validate()
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
		if _, err := audit.Append(ctx, tx, audit.Entry{Actor: op.actor(), Action: "identity.enrolled",
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
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: op.actor(), Action: "identity.password_link",
			ObjectType: "person", ObjectID: strconv.FormatInt(res.PersonID, 10), Change: "enrolment", At: now})
	}
	return res, err
}

// Enrol opens an account on an operator's word (see Enrolment), or finds
// the existing one, and returns a link for the person to choose a password
// when the account has none. Use ResetPassword with the token to set it.
func (s *Service) Enrol(ctx context.Context, op Operator, e Enrolment) (Enrolled, error) {
	var res Enrolled
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		var err error
		res, err = s.enrol(ctx, tx, op, e, s.now())
		return err
	})
	return res, err
}

// StaffEnrolment is the outcome of EnrolStaff.
type StaffEnrolment struct {
	Enrolled
	Grant          StaffGrant
	AlreadyGranted bool // the person held this grant already: nothing changed
}

// EnrolStaff opens a staff account (or finds the existing one) and gives
// it a role, in one transaction: nothing is created if the grant is wrong.
// Running it again with the same arguments changes nothing.
func (s *Service) EnrolStaff(ctx context.Context, op Operator, e Enrolment, g GrantSpec) (StaffEnrolment, error) {
	var res StaffEnrolment
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		var err error
		if res.Enrolled, err = s.enrol(ctx, tx, op, e, now); err != nil {
			return err
		}
		res.Grant, res.AlreadyGranted, err = s.grant(ctx, tx, op, res.PersonID, g, true, now)
		return err
	})
	if err == nil {
		s.Forget(res.PersonID)
	}
	return res, err
}

// EnableTOTPSecret turns the second factor on with a given secret instead
// of a random one, sealed like BeginTOTP seals its own. It exists for the
// demonstration accounts, whose shared secret is published (docs/DEMO.md)
// so that testers can add it to an authenticator app; real accounts enrol
// through BeginTOTP and ConfirmTOTP. It changes nothing when the factor is
// on with that secret already.
func (s *Service) EnableTOTPSecret(ctx context.Context, personID int64, secret string) error {
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

// Declaration is a professional registration waiting for verification.
type Declaration struct {
	Person       Person
	Profession   string
	Registration string
	DeclaredAt   time.Time
}

// PendingProfessionals lists the declarations not verified yet, oldest
// first.
func (s *Service) PendingProfessionals(ctx context.Context) ([]Declaration, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT p.id, p.email, p.phone, COALESCE(p.cin, ''), p.given_name_ar, p.family_name_ar,
			p.given_name_latin, p.family_name_latin, p.lang, f.profession, f.registration_number, f.created_at
		FROM professionals f JOIN persons p ON p.id = f.person_id
		WHERE f.verified_at IS NULL AND p.disabled_at IS NULL ORDER BY f.created_at, f.person_id`)
	if err != nil {
		return nil, fmt.Errorf("identity: pending professionals: %w", err)
	}
	defer rows.Close()
	var out []Declaration
	for rows.Next() {
		var d Declaration
		p := &d.Person
		if err := rows.Scan(&p.ID, &p.Email, &p.Phone, &p.CIN, &p.GivenNameAR, &p.FamilyNameAR, &p.GivenNameLatin,
			&p.FamilyNameLatin, &p.Lang, &d.Profession, &d.Registration, &d.DeclaredAt); err != nil {
			return nil, fmt.Errorf("identity: pending professionals: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// pending reads a declaration awaiting verification in tx.
func (s *Service) pending(ctx context.Context, tx *db.Tx, op Operator, personID int64) (Declaration, error) {
	var d Declaration
	err := tx.QueryRowContext(ctx, `SELECT profession, registration_number, created_at FROM professionals
		WHERE person_id = $1 AND verified_at IS NULL`, personID).Scan(&d.Profession, &d.Registration, &d.DeclaredAt)
	if errors.Is(err, sql.ErrNoRows) {
		return d, errs.E(errs.NotFound, "admin.error.declaration_unknown")
	}
	if err != nil {
		return d, fmt.Errorf("identity: declaration: %w", err)
	}
	if op.Person == personID {
		return d, errs.E(errs.Forbidden, "admin.error.own_declaration")
	}
	if d.Person, err = s.store.Person(ctx, tx, personID); err != nil {
		return d, err
	}
	return d, nil
}

// professionalNotice tells the person the outcome, in the inbox and by
// e-mail.
func (s *Service) professionalNotice(ctx context.Context, tx *db.Tx, template string, d Declaration, reason string) error {
	p := d.Person
	return s.notify.Send(ctx, tx, notify.Message{Template: template,
		Data: map[string]any{"Name": p.DisplayName(p.Lang), "Profession": d.Profession, "Registration": d.Registration,
			"Reason": reason, "URL": s.cfg.BaseURL + "/me"},
		To:       notify.Recipient{UserID: personKey(p.ID), Email: p.Email, Lang: p.Lang},
		Channels: []notify.Channel{notify.Inbox, notify.Email}})
}

// VerifyProfessional confirms a professional's declaration: from now on
// they act as architect, engineer or surveyor under mandates. Only a
// signed-in administrator verifies (the schema records who), never their
// own declaration.
func (s *Service) VerifyProfessional(ctx context.Context, op Operator, personID int64) error {
	if op.Person == 0 {
		return errs.E(errs.Forbidden, "").Cause(errors.New("identity: a professional is verified by an administrator, not by a command"))
	}
	defer s.Forget(personID)
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		d, err := s.pending(ctx, tx, op, personID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE professionals SET verified_at = $1, verified_by = $2
			WHERE person_id = $3 AND verified_at IS NULL`, now, op.Person, personID)
		if err != nil {
			return fmt.Errorf("identity: verify professional: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.NotFound, "admin.error.declaration_unknown")
		}
		if err := s.professionalNotice(ctx, tx, "identity.professional_verified", d, ""); err != nil {
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
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return errs.E(errs.Invalid, "admin.error.reason_required").OnField("reason")
	case utf8.RuneCountInString(reason) > maxReason:
		return errs.E(errs.Invalid, "admin.error.reason_long").With("max", maxReason).OnField("reason")
	case !utf8.ValidString(reason) || strings.ContainsRune(reason, 0):
		return errs.E(errs.Invalid, "admin.error.reason_required").OnField("reason")
	}
	defer s.Forget(personID)
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		d, err := s.pending(ctx, tx, op, personID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM professionals WHERE person_id = $1 AND verified_at IS NULL`, personID)
		if err != nil {
			return fmt.Errorf("identity: reject professional: %w", err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.NotFound, "admin.error.declaration_unknown")
		}
		if err := s.professionalNotice(ctx, tx, "identity.professional_rejected", d, reason); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: op.actor(), Action: "identity.professional_rejected",
			ObjectType: "person", ObjectID: strconv.FormatInt(personID, 10),
			Change: map[string]string{"profession": d.Profession, "registration": d.Registration, "reason": reason}, At: now})
		return err
	})
}

// AdminCounts are the back office's headline numbers.
type AdminCounts struct {
	Staff, Organisations, PendingProfessionals int
}

// Counts returns the back office's headline numbers.
func (s *Service) Counts(ctx context.Context) (AdminCounts, error) {
	var c AdminCounts
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT count(DISTINCT person_id) FROM staff_grants WHERE revoked_at IS NULL),
		(SELECT count(*) FROM organisations),
		(SELECT count(*) FROM professionals WHERE verified_at IS NULL)`).Scan(&c.Staff, &c.Organisations, &c.PendingProfessionals)
	if err != nil {
		return c, fmt.Errorf("identity: counts: %w", err)
	}
	return c, nil
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
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("identity: window staff: %w", err)
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
