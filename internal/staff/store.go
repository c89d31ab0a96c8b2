package staff

// The staff capability's SQL, for both engines. Staff own organisations,
// staff_grants and the verification columns of professionals. They read
// identity's persons table directly, never write it (accounts are opened
// through identity's EnrolIn): a read-only join kept for the lists' speed
// (staff by name, declarations with their person), said so in
// docs/ARCHITECTURE.md.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
)

// Store is the staff capability's SQL.
type Store struct{ db *db.DB }

// NewStore returns the store on d.
func NewStore(d *db.DB) *Store { return &Store{db: d} }

// Person is an account as the back office shows it (identity's persons
// row, read only).
type Person struct {
	ID                              int64
	Email, Phone, CIN               string
	GivenNameAR, FamilyNameAR       string
	GivenNameLatin, FamilyNameLatin string
	Lang                            string
	EmailVerifiedAt, TOTPEnabledAt  *time.Time
}

// DisplayName is the person's name for a notice in lang: Arabic letters
// for Arabic, Latin letters otherwise, whichever there is.
func (p Person) DisplayName(lang string) string {
	ar := strings.TrimSpace(p.GivenNameAR + " " + p.FamilyNameAR)
	latin := strings.TrimSpace(p.GivenNameLatin + " " + p.FamilyNameLatin)
	if lang == "ar" && ar != "" || latin == "" {
		return ar
	}
	return latin
}

const personColumns = `p.id, p.email, p.phone, COALESCE(p.cin, ''), p.given_name_ar, p.family_name_ar,
	p.given_name_latin, p.family_name_latin, p.lang, p.email_verified_at, p.totp_enabled_at`

func scanPerson(row interface{ Scan(...any) error }, extra ...any) (Person, error) {
	var p Person
	var ev, te sql.NullTime
	err := row.Scan(append([]any{&p.ID, &p.Email, &p.Phone, &p.CIN, &p.GivenNameAR, &p.FamilyNameAR,
		&p.GivenNameLatin, &p.FamilyNameLatin, &p.Lang, &ev, &te}, extra...)...)
	if ev.Valid {
		p.EmailVerifiedAt = &ev.Time
	}
	if te.Valid {
		p.TOTPEnabledAt = &te.Time
	}
	return p, err
}

// person reads an account that is not disabled; none is NotFound.
func (s *Store) person(ctx context.Context, q db.Querier, id int64) (Person, error) {
	p, err := scanPerson(q.QueryRowContext(ctx, `SELECT `+personColumns+` FROM persons p WHERE p.id = $1 AND p.disabled_at IS NULL`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return p, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return p, fmt.Errorf("staff: person: %w", err)
	}
	return p, nil
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
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
			return nil, fmt.Errorf("staff: organisations: %w", err)
		}
		if n == 0 {
			out = append(out, Organisation{Code: o.Code, Kind: o.Kind, Name: o.Name})
		}
	}
	rows, err := q.QueryContext(ctx, `SELECT a.code, a.name_ar, a.name_fr, a.name_en FROM arrondissements a
		WHERE NOT EXISTS (SELECT 1 FROM organisations o WHERE o.arrondissement_code = a.code OR o.code = a.code)
		ORDER BY a.position`)
	if err != nil {
		return nil, fmt.Errorf("staff: arrondissements: %w", err)
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
		return nil, fmt.Errorf("staff: prefectures: %w", err)
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
		return fmt.Errorf("staff: insert organisation %s: %w", o.Code, err)
	}
	return nil
}

// LoadOrganisations adds the default organisations that are missing (see
// admin_organisations.json) and returns how many it added. Running it again
// changes nothing; it reads only when nothing is missing, so it is cheap to
const orgColumns = `o.code, o.kind, COALESCE(o.arrondissement_code, ''), o.name_ar, o.name_fr, o.name_en, o.created_at`

func scanOrganisation(row interface{ Scan(...any) error }) (Organisation, error) {
	var o Organisation
	err := row.Scan(&o.Code, &o.Kind, &o.Arrondissement, &o.Name.AR, &o.Name.FR, &o.Name.EN, &o.CreatedAt)
	return o, err
}

// Organisations lists the organisations: the commune, the arrondissements
// organisations lists every organisation in the back office's order.
func (s *Store) organisations(ctx context.Context) ([]Organisation, error) {
	order := "CASE o.kind"
	for i, k := range OrgKinds {
		order += " WHEN '" + k + "' THEN " + strconv.Itoa(i)
	}
	order += " END"
	rows, err := s.db.QueryContext(ctx, `SELECT `+orgColumns+` FROM organisations o
		LEFT JOIN arrondissements a ON a.code = o.arrondissement_code
		ORDER BY `+order+`, COALESCE(a.position, 0), o.code`)
	if err != nil {
		return nil, fmt.Errorf("staff: organisations: %w", err)
	}
	defer rows.Close()
	var out []Organisation
	for rows.Next() {
		o, err := scanOrganisation(rows)
		if err != nil {
			return nil, fmt.Errorf("staff: organisations: %w", err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func (s *Store) organisation(ctx context.Context, q db.Querier, code string) (Organisation, error) {
	o, err := scanOrganisation(q.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organisations o WHERE o.code = $1`, code))
	if errors.Is(err, sql.ErrNoRows) {
		return o, errs.E(errs.NotFound, "admin.error.org_unknown")
	}
	if err != nil {
		return o, fmt.Errorf("staff: organisation: %w", err)
	}
	return o, nil
}

func (s *Store) renameOrganisation(ctx context.Context, tx *db.Tx, code string, n Names) error {
	if _, err := tx.ExecContext(ctx, `UPDATE organisations SET name_ar = $1, name_fr = $2, name_en = $3 WHERE code = $4`,
		n.AR, n.FR, n.EN, code); err != nil {
		return fmt.Errorf("staff: rename organisation: %w", err)
	}
	return nil
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
		return p, fmt.Errorf("staff: no place table %q", table)
	}
	err := q.QueryRowContext(ctx, query, code).Scan(&p.Code, &p.Kind, &p.Arrondissement)
	if errors.Is(err, sql.ErrNoRows) {
		return p, errs.E(errs.NotFound, "")
	}
	return p, err
}

// heldGrant returns the id of the same grant held now; none is NotFound.
func (s *Store) heldGrant(ctx context.Context, tx *db.Tx, personID int64, g GrantSpec) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM staff_grants WHERE person_id = $1 AND role = $2 AND organisation_code = $3
		AND COALESCE(arrondissement_code, '') = $4 AND COALESCE(window_code, '') = $5 AND revoked_at IS NULL`,
		personID, string(g.Role), g.Org, g.Arrondissement, g.Window).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, errs.E(errs.NotFound, "")
	}
	if err != nil {
		return 0, fmt.Errorf("staff: find grant: %w", err)
	}
	return id, nil
}

// insertGrant records sg, granted by (nil: the system operator).
func (s *Store) insertGrant(ctx context.Context, tx *db.Tx, sg StaffGrant, by any) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO staff_grants (person_id, organisation_code, role, arrondissement_code, window_code, granted_by, granted_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		sg.PersonID, sg.Org, string(sg.Role), nullString(sg.Arrondissement), nullString(sg.Window), by, sg.GrantedAt).Scan(&id)
	if db.IsUniqueViolation(err) {
		return 0, errs.E(errs.Conflict, "admin.error.grant_exists").OnField("role").Cause(err)
	}
	if err != nil {
		return 0, fmt.Errorf("staff: grant: %w", err)
	}
	return id, nil
}

// activeGrant reads a grant not revoked; none is NotFound.
func (s *Store) activeGrant(ctx context.Context, tx *db.Tx, id int64) (StaffGrant, error) {
	var sg StaffGrant
	var role string
	var by sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT id, person_id, role, organisation_code, COALESCE(arrondissement_code, ''),
			COALESCE(window_code, ''), granted_by, granted_at
		FROM staff_grants WHERE id = $1 AND revoked_at IS NULL`, id).
		Scan(&sg.ID, &sg.PersonID, &role, &sg.Org, &sg.Arrondissement, &sg.Window, &by, &sg.GrantedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return sg, errs.E(errs.NotFound, "admin.error.grant_unknown")
	}
	if err != nil {
		return sg, fmt.Errorf("staff: revoke grant: %w", err)
	}
	sg.Role, sg.GrantedBy = authz.Role(role), by.Int64
	return sg, nil
}

// otherAdmins counts the administrators able to act besides the person.
func (s *Store) otherAdmins(ctx context.Context, tx *db.Tx, personID int64) (int, error) {
	var admins int
	if err := tx.QueryRowContext(ctx, `SELECT count(DISTINCT g.person_id) FROM staff_grants g JOIN persons p ON p.id = g.person_id
		WHERE g.role = 'admin' AND g.revoked_at IS NULL AND p.disabled_at IS NULL AND g.person_id <> $1`, personID).Scan(&admins); err != nil {
		return 0, fmt.Errorf("staff: count administrators: %w", err)
	}
	return admins, nil
}

func (s *Store) revokeGrant(ctx context.Context, tx *db.Tx, id int64, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE staff_grants SET revoked_at = $1 WHERE id = $2`, now, id); err != nil {
		return fmt.Errorf("staff: revoke grant: %w", err)
	}
	return nil
}

// staff lists everyone holding a grant, by name, with their grants.
func (s *Store) staff(ctx context.Context) ([]StaffMember, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+personColumns+` FROM persons p
		WHERE p.disabled_at IS NULL AND p.id IN (SELECT person_id FROM staff_grants WHERE revoked_at IS NULL)
		ORDER BY p.family_name_latin, p.given_name_latin, p.id`)
	if err != nil {
		return nil, fmt.Errorf("staff: staff: %w", err)
	}
	var out []StaffMember
	at := map[int64]int{}
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("staff: staff: %w", err)
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
		return nil, fmt.Errorf("staff: staff grants: %w", err)
	}
	defer grows.Close()
	for grows.Next() {
		var g StaffGrant
		var role string
		if err := grows.Scan(&g.ID, &g.PersonID, &role, &g.Org, &g.Arrondissement, &g.Window, &g.GrantedBy, &g.GrantedAt); err != nil {
			return nil, fmt.Errorf("staff: staff grants: %w", err)
		}
		g.Role = authz.Role(role)
		if i, ok := at[g.PersonID]; ok {
			out[i].Grants = append(out[i].Grants, g)
		}
	}
	return out, grows.Err()
}

// pendingProfessionals lists the declarations not verified yet, oldest
// first.
func (s *Store) pendingProfessionals(ctx context.Context) ([]Declaration, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+personColumns+`, f.profession, f.registration_number, f.created_at
		FROM professionals f JOIN persons p ON p.id = f.person_id
		WHERE f.verified_at IS NULL AND p.disabled_at IS NULL ORDER BY f.created_at, f.person_id`)
	if err != nil {
		return nil, fmt.Errorf("staff: pending professionals: %w", err)
	}
	defer rows.Close()
	var out []Declaration
	for rows.Next() {
		var d Declaration
		if d.Person, err = scanPerson(rows, &d.Profession, &d.Registration, &d.DeclaredAt); err != nil {
			return nil, fmt.Errorf("staff: pending professionals: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// declaration reads a declaration awaiting verification, with its person.
func (s *Store) declaration(ctx context.Context, tx *db.Tx, personID int64) (Declaration, error) {
	var d Declaration
	err := tx.QueryRowContext(ctx, `SELECT profession, registration_number, created_at FROM professionals
		WHERE person_id = $1 AND verified_at IS NULL`, personID).Scan(&d.Profession, &d.Registration, &d.DeclaredAt)
	if errors.Is(err, sql.ErrNoRows) {
		return d, errs.E(errs.NotFound, "admin.error.declaration_unknown")
	}
	if err != nil {
		return d, fmt.Errorf("staff: declaration: %w", err)
	}
	if d.Person, err = s.person(ctx, tx, personID); err != nil {
		return d, err
	}
	return d, nil
}

func (s *Store) verifyProfessional(ctx context.Context, tx *db.Tx, personID, by int64, now time.Time) error {
	res, err := tx.ExecContext(ctx, `UPDATE professionals SET verified_at = $1, verified_by = $2
		WHERE person_id = $3 AND verified_at IS NULL`, now, by, personID)
	if err != nil {
		return fmt.Errorf("staff: verify professional: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.NotFound, "admin.error.declaration_unknown")
	}
	return nil
}

func (s *Store) deleteDeclaration(ctx context.Context, tx *db.Tx, personID int64) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM professionals WHERE person_id = $1 AND verified_at IS NULL`, personID)
	if err != nil {
		return fmt.Errorf("staff: reject professional: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return errs.E(errs.NotFound, "admin.error.declaration_unknown")
	}
	return nil
}

func (s *Store) counts(ctx context.Context) (Counts, error) {
	var c Counts
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT count(DISTINCT person_id) FROM staff_grants WHERE revoked_at IS NULL),
		(SELECT count(*) FROM organisations),
		(SELECT count(*) FROM professionals WHERE verified_at IS NULL)`).Scan(&c.Staff, &c.Organisations, &c.PendingProfessionals)
	if err != nil {
		return c, fmt.Errorf("staff: counts: %w", err)
	}
	return c, nil
}
