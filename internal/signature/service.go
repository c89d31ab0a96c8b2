package signature

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/people"
	"madina/internal/platform/blob"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/pki"
	"madina/internal/platform/ratelimit"
	"madina/internal/platform/secretbox"
	"madina/internal/platform/tsa"
)

// People is what the capability reads of the register of people: the
// name and CIN a certificate carries, and a professional's order number.
// Identity's store provides it (module.Need); signature never imports
// identity.
type People interface {
	Person(ctx context.Context, q db.Querier, id int64) (people.Person, error)
	Professional(ctx context.Context, q db.Querier, personID int64) (people.Professional, error)
}

// Deps are the service's collaborators.
type Deps struct {
	DB     *db.DB
	CA     *pki.CA
	Box    *secretbox.Box
	People People
	Log    *slog.Logger
	// Blobs keeps the signed documents (optional: without it nothing is
	// signed); TSA is the built-in time-stamping authority (optional:
	// B-B without it), and Stamper, if set, an external one that
	// time-stamps the signatures instead (a tsa.Client).
	Blobs   blob.Store
	TSA     *tsa.Authority
	Stamper tsa.Stamper
	// Now is the clock (default time.Now).
	Now func() time.Time
	// PIN are the argon2id costs of the PIN-derived key (default
	// DefaultPINParams; tests take less).
	PIN PINParams
}

// Service is the signers' use cases: enrol (a key Madina generates and
// its CA certifies, or a provider's PKCS#12), unlock for one act with the
// PIN, change the PIN, revoke. Each asks the policy first, then the rules,
// then writes with its audit record in one transaction.
type Service struct {
	db     *db.DB
	store  *Store
	ca     *pki.CA
	people People
	seal   *sealer
	log    *slog.Logger
	now    func() time.Time
	// attempts bounds PIN attempts per signer in memory, before the
	// database's counter: 10 a minute.
	attempts *ratelimit.Limiter
	tsa      *tsa.Authority
	stamper  tsa.Stamper // what time-stamps signatures: Deps.Stamper, else the built-in TSA
	crlCache *crlCache   // the CRLs of an external TSA's certificates
	blobs    blob.Store
	sealMu   sync.Mutex // one seal made at a time on this node
}

// NewService builds the service.
func NewService(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	s := &Service{db: d.DB, store: &Store{DB: d.DB}, ca: d.CA, people: d.People, seal: newSealer(d.Box, d.PIN),
		log: d.Log, now: d.Now, attempts: ratelimit.New(10.0/60, 10, time.Hour), blobs: d.Blobs, tsa: d.TSA, stamper: d.Stamper,
		crlCache: &crlCache{byURL: map[string]cachedCRL{}, client: &http.Client{Timeout: 15 * time.Second}}}
	if s.stamper == nil && d.TSA != nil {
		s.stamper = d.TSA
	}
	return s
}

// Store is the capability's store.
func (s *Service) Store() *Store { return s.store }

// CA is the built-in certificate authority.
func (s *Service) CA() *pki.CA { return s.ca }

func keyAAD(person int64, serial string) string {
	return "signature:key:" + strconv.FormatInt(person, 10) + ":" + serial
}

func label(a authz.Actor) string { return authz.ActorLabel(a, authz.Resource{}) }

// Status is a person's signing key as their page shows it.
type Status struct {
	// May: the policy lets them hold a key; Refusal is why not.
	May     bool
	Refusal error
	// Key is their current key (revoked ones are in History); nil if none.
	Key     *Key
	State   State
	History []Key
}

// Mine is the actor's own key and history.
func (s *Service) Mine(ctx context.Context, a authz.Actor) (Status, error) {
	own := authz.Resource{OwnerPerson: a.Person}
	if err := authz.Check(a, authz.ReadSigner, own); err != nil {
		return Status{}, err
	}
	st := Status{Refusal: authz.Check(a, authz.EnrolSigner, own)}
	st.May = st.Refusal == nil
	hist, err := s.store.History(ctx, s.db, a.Person)
	if err != nil {
		return st, err
	}
	for i := range hist {
		if hist[i].RevokedAt == nil {
			k := hist[i]
			st.Key, st.State = &k, k.StateAt(s.now())
			continue
		}
		st.History = append(st.History, hist[i])
	}
	return st, nil
}

// Identity is what a certificate Madina issues says of its holder: their
// name (Latin letters, else Arabic), their CIN (or, for an architect, the
// order's number; for staff without a CIN on record, their Madina account
// number), who they sign for and in what capacity.
func (s *Service) Identity(ctx context.Context, a authz.Actor) (pki.Identity, error) {
	p, err := s.people.Person(ctx, s.db, a.Person)
	if err != nil {
		return pki.Identity{}, err
	}
	id := pki.Identity{Name: strings.TrimSpace(p.GivenNameLatin + " " + p.FamilyNameLatin), Country: "MA"}
	if id.Name == "" {
		id.Name = strings.TrimSpace(p.GivenNameAR + " " + p.FamilyNameAR)
	}
	if p.EmailVerifiedAt != nil {
		id.Email = p.Email
	}
	if a.Staff() {
		g := a.Grants[0]
		fr, _, err := s.store.orgName(ctx, s.db, g.Org)
		if err != nil {
			return id, err
		}
		id.Organisation = fr
		if id.Organisation == "" {
			id.Organisation = g.Org
		}
		id.Title = roleTitles[g.Role]
		if p.CIN != "" {
			id.SerialNumber = pki.CINSerial(p.CIN)
		} else {
			id.SerialNumber = pki.OrderSerial("MADINA", strconv.FormatInt(p.ID, 10))
		}
		return id, nil
	}
	pro, err := s.people.Professional(ctx, s.db, a.Person)
	if err != nil {
		return id, err
	}
	id.Organisation = "Conseil National de l'Ordre des Architectes"
	id.Title = "Architecte"
	// The order's number, with the order's prefix once (the register may
	// hold "1187" or "CNOA-1187").
	reg := strings.TrimSpace(pro.RegistrationNumber)
	if strings.HasPrefix(strings.ToUpper(reg), "CNOA-") {
		reg = reg[len("CNOA-"):]
	}
	id.SerialNumber = pki.OrderSerial("CNOA", reg)
	return id, nil
}

// roleTitles are the capacities written into staff certificates (the
// subject's title, in French as on the city's acts).
var roleTitles = map[authz.Role]string{
	authz.Admin:            "Administrateur",
	authz.WindowAgent:      "Agent du guichet unique",
	authz.CommitteeMember:  "Membre de commission",
	authz.ComplaintOfficer: "Chargé des réclamations",
	authz.FacilityManager:  "Gestionnaire d'équipements",
	authz.Dispatcher:       "Régulateur",
	authz.Editor:           "Éditeur",
	authz.Moderator:        "Modérateur",
	authz.Auditor:          "Auditeur",
	authz.President:        "Président",
}

// Enrol makes the actor a signing key (ECDSA P-256), has the CA certify
// it with their identity, and stores it sealed under pin.
func (s *Service) Enrol(ctx context.Context, a authz.Actor, pin, confirm string) (Key, error) {
	pin, confirm = NormPIN(pin), NormPIN(confirm)
	if err := authz.Check(a, authz.EnrolSigner, authz.Resource{OwnerPerson: a.Person}); err != nil {
		return Key{}, err
	}
	if err := CheckPIN(pin, confirm, "pin"); err != nil {
		return Key{}, err
	}
	if err := s.noCurrent(ctx, a.Person); err != nil {
		return Key{}, err
	}
	id, err := s.Identity(ctx, a)
	if err != nil {
		return Key{}, err
	}
	key, err := pki.GenerateKey(pki.ECDSAP256)
	if err != nil {
		return Key{}, err
	}
	cert, err := s.ca.Issue(ctx, key.Public(), id)
	if err != nil {
		return Key{}, err
	}
	k, err := s.store1(ctx, a, Issued, key, cert, s.ca.Chain(), pin)
	if err != nil {
		// The certificate exists at the CA but no key row holds it (two
		// enrolments at once, a failed write): revoke it, so that no
		// certificate is valid whose key nobody can use.
		if rerr := s.ca.Revoke(context.WithoutCancel(ctx), pki.SerialHex(cert.SerialNumber), pki.ReasonSuperseded); rerr != nil {
			s.log.Error("signature: revoke an unused certificate", "serial", pki.SerialHex(cert.SerialNumber), "err", rerr.Error())
		}
		return Key{}, err
	}
	return k, nil
}

func (s *Service) noCurrent(ctx context.Context, person int64) error {
	_, err := s.store.Current(ctx, s.db, person)
	switch {
	case err == nil:
		return errs.E(errs.Conflict, "signature.error.has_key")
	case errs.Is(err, errs.NotFound):
		return nil
	}
	return err
}

// store1 seals key under pin and stores it with its audit record.
func (s *Service) store1(ctx context.Context, a authz.Actor, kind Kind, key crypto.Signer, cert *x509.Certificate, chain []*x509.Certificate, pin string) (Key, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return Key{}, fmt.Errorf("signature: %w", err)
	}
	serial := pki.SerialHex(cert.SerialNumber)
	sealed, salt := s.seal.seal(der, pin, keyAAD(a.Person, serial))
	k := Key{Person: a.Person, Kind: kind, Serial: serial, Subject: cert.Subject.String(), Issuer: cert.Issuer.String(),
		Cert: cert, Chain: chain, SealedKey: sealed, PINSalt: salt, NotBefore: cert.NotBefore, NotAfter: cert.NotAfter,
		CreatedAt: s.now()}
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		id, err := s.store.add(ctx, tx, k)
		if err != nil {
			return err
		}
		k.ID = id
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: label(a), Action: "signature.enrolled", ObjectType: "signer_key",
			ObjectID: strconv.FormatInt(id, 10), Change: map[string]any{"kind": kind, "serial": serial, "issuer": k.Issuer,
				"subject": k.Subject, "not_after": k.NotAfter.UTC()}})
		return err
	})
	return k, err
}

// Import stores the actor's own provider certificate and key from a
// PKCS#12 file, sealed under pin. The certificate must name them (their
// CIN, their order number, or their name as the common name).
func (s *Service) Import(ctx context.Context, a authz.Actor, p12 []byte, password, pin, confirm string) (Key, error) {
	pin, confirm = NormPIN(pin), NormPIN(confirm)
	if err := authz.Check(a, authz.EnrolSigner, authz.Resource{OwnerPerson: a.Person}); err != nil {
		return Key{}, err
	}
	switch {
	case len(p12) == 0:
		return Key{}, errs.E(errs.Invalid, "signature.error.p12_empty").OnField("file")
	case len(p12) > pki.MaxPKCS12Size:
		return Key{}, errs.E(errs.TooLarge, "signature.error.p12_too_large").With("max", pki.MaxPKCS12Size>>10).OnField("file")
	}
	if err := CheckPIN(pin, confirm, "pin"); err != nil {
		return Key{}, err
	}
	if err := s.noCurrent(ctx, a.Person); err != nil {
		return Key{}, err
	}
	im, err := pki.ImportPKCS12(p12, password, s.now())
	if err != nil {
		return Key{}, importError(err)
	}
	if err := s.namesActor(ctx, a, im.Cert); err != nil {
		return Key{}, err
	}
	return s.store1(ctx, a, Imported, im.Key, im.Cert, im.Chain, pin)
}

func importError(err error) error {
	key := "signature.error.p12_unreadable"
	switch {
	case errors.Is(err, pki.ErrExpired):
		key = "signature.error.p12_expired"
	case errors.Is(err, pki.ErrNotYetValid):
		key = "signature.error.p12_not_yet_valid"
	case errors.Is(err, pki.ErrKeyMismatch):
		key = "signature.error.p12_mismatch"
	case errors.Is(err, pki.ErrNotForSigning):
		key = "signature.error.p12_not_for_signing"
	case errors.Is(err, pki.ErrKeyNotAccepted):
		key = "signature.error.p12_key_type"
	}
	return errs.E(errs.Invalid, key).OnField("file").Cause(err)
}

// namesActor checks that an imported certificate is the actor's: its
// subject's serialNumber holds their CIN or order number, or its common
// name is their name.
func (s *Service) namesActor(ctx context.Context, a authz.Actor, c *x509.Certificate) error {
	p, err := s.people.Person(ctx, s.db, a.Person)
	if err != nil {
		return err
	}
	fold := func(x string) string { return strings.ToUpper(strings.Join(strings.Fields(x), "")) }
	sn, cn := fold(c.Subject.SerialNumber), fold(c.Subject.CommonName)
	var ids []string
	if p.CIN != "" {
		ids = append(ids, fold(p.CIN))
	}
	if pro, err := s.people.Professional(ctx, s.db, a.Person); err == nil && pro.RegistrationNumber != "" {
		ids = append(ids, fold(pro.RegistrationNumber))
	}
	for _, id := range ids {
		if sn != "" && strings.HasSuffix(sn, id) {
			return nil
		}
	}
	for _, n := range []string{p.GivenNameLatin + p.FamilyNameLatin, p.FamilyNameLatin + p.GivenNameLatin,
		p.GivenNameAR + p.FamilyNameAR, p.FamilyNameAR + p.GivenNameAR} {
		if fold(n) != "" && fold(n) == cn {
			return nil
		}
	}
	return errs.E(errs.Invalid, "signature.error.p12_someone_else").OnField("file")
}

// Unlock opens the key of act.Signer (the actor's own: nobody else's)
// with pin for one act. A wrong PIN is counted in the database before it
// is tried, so however many attempts run at once, the fifth wrong one
// locks the key for good; each failure, the lock, and the act itself are
// audit records. Attempts are also rate-limited per signer.
func (s *Service) Unlock(ctx context.Context, a authz.Actor, pin string, act Act) (*Signer, error) {
	pin = NormPIN(pin)
	if act.Signer == 0 {
		act.Signer = a.Person
	}
	if err := authz.Check(a, authz.Sign, authz.Resource{OwnerPerson: act.Signer}); err != nil {
		return nil, err
	}
	if act.ObjectType == "" {
		return nil, errors.New("signature: an act names what it signs")
	}
	k, err := s.store.Current(ctx, s.db, a.Person)
	if err != nil {
		return nil, err
	}
	switch k.StateAt(s.now()) {
	case Locked:
		return nil, errs.E(errs.Forbidden, "signature.error.locked")
	case Expired:
		return nil, errs.E(errs.Forbidden, "signature.error.expired")
	}
	if k.Kind == Issued {
		// The CA's own record: a certificate revoked there signs nothing.
		st, err := s.ca.Status(ctx, k.Serial)
		if err != nil {
			return nil, err
		}
		if st.RevokedAt != nil {
			return nil, errs.E(errs.Forbidden, "signature.error.revoked")
		}
	}
	var key crypto.Signer
	err = s.open(ctx, a, k, pin, "pin", func(tx *db.Tx, opened crypto.Signer) error {
		key = opened
		_, err := audit.Append(ctx, tx, audit.Entry{Actor: label(a), Action: "signature.signed", ObjectType: act.ObjectType,
			ObjectID: act.ObjectID, Change: map[string]any{"key": k.ID, "serial": k.Serial, "purpose": act.Purpose, "digest": act.Digest}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Signer{Person: a.Person, KeyID: k.ID, Cert: k.Cert, Chain: k.Chain, key: key}, nil
}

// open tries pin on k, in one transaction: the rate limit, then the
// attempt counted (the row's lock, or SQLite's writer, held from there to
// the commit, so attempts on one key run one after the other), then the
// PIN. A right one resets the counter and runs then (the act's audit
// record, a new seal) in the same transaction; a wrong one is recorded
// with the count (and the lock, at the fifth) and the transaction
// commits before the refusal is answered, with the attempts left, on
// field. A fault that is not the signer's (the server key does not open
// the row) rolls the attempt back.
func (s *Service) open(ctx context.Context, a authz.Actor, k Key, pin, field string, then func(*db.Tx, crypto.Signer) error) error {
	if pin == "" {
		return errs.E(errs.Invalid, "signature.error.pin_required").OnField(field)
	}
	if ok, retry := s.attempts.Allow(strconv.FormatInt(a.Person, 10)); !ok {
		return errs.E(errs.TooMany, "signature.error.too_many").With("retry", int(retry.Seconds())+1)
	}
	var n int
	var wrong bool
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		wrong = false
		var err error
		if n, err = s.store.reserve(ctx, tx, k.ID, s.now()); err != nil {
			return err
		}
		der, err := s.seal.open(k.SealedKey, k.PINSalt, pin, keyAAD(k.Person, k.Serial))
		if errors.Is(err, errWrongPIN) {
			wrong = true
			ch := map[string]any{"key": k.ID, "serial": k.Serial, "attempt": n}
			if _, err := audit.Append(ctx, tx, audit.Entry{Actor: label(a), Action: "signature.pin_failed", ObjectType: "signer_key",
				ObjectID: strconv.FormatInt(k.ID, 10), Change: ch}); err != nil {
				return err
			}
			if n < MaxAttempts {
				return nil
			}
			_, err := audit.Append(ctx, tx, audit.Entry{Actor: label(a), Action: "signature.locked", ObjectType: "signer_key",
				ObjectID: strconv.FormatInt(k.ID, 10), Change: ch})
			return err
		}
		if err != nil {
			return fmt.Errorf("signature: open key %d: %w", k.ID, err)
		}
		parsed, err := x509.ParsePKCS8PrivateKey(der)
		if err != nil {
			return fmt.Errorf("signature: key %d: %w", k.ID, err)
		}
		key, ok := parsed.(crypto.Signer)
		if !ok {
			return fmt.Errorf("signature: key %d is not a signer", k.ID)
		}
		if err := s.store.succeeded(ctx, tx, k.ID, s.now()); err != nil {
			return err
		}
		return then(tx, key)
	})
	switch {
	case err != nil:
		return err
	case wrong && n >= MaxAttempts:
		return errs.E(errs.Forbidden, "signature.error.locked_now").OnField(field)
	case wrong:
		return errs.E(errs.Invalid, "signature.error.pin_wrong").With("count", MaxAttempts-n).OnField(field)
	}
	return nil
}

// ChangePIN seals the actor's key under a new PIN; the old one must be
// right (a wrong one counts like any other attempt).
func (s *Service) ChangePIN(ctx context.Context, a authz.Actor, old, pin, confirm string) error {
	old, pin, confirm = NormPIN(old), NormPIN(pin), NormPIN(confirm)
	if err := authz.Check(a, authz.Sign, authz.Resource{OwnerPerson: a.Person}); err != nil {
		return err
	}
	k, err := s.store.Current(ctx, s.db, a.Person)
	if err != nil {
		return err
	}
	if k.StateAt(s.now()) == Locked {
		return errs.E(errs.Forbidden, "signature.error.locked")
	}
	if err := CheckPIN(pin, confirm, "pin"); err != nil {
		return err
	}
	return s.open(ctx, a, k, old, "old_pin", func(tx *db.Tx, key crypto.Signer) error {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return err
		}
		sealed, salt := s.seal.seal(der, pin, keyAAD(k.Person, k.Serial))
		if err := s.store.reseal(ctx, tx, k.ID, sealed, salt); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: label(a), Action: "signature.pin_changed", ObjectType: "signer_key",
			ObjectID: strconv.FormatInt(k.ID, 10), Change: map[string]any{"key": k.ID, "serial": k.Serial}})
		return err
	})
}

// Reasons a signer or an administrator may give.
var Reasons = []int{pki.ReasonUnspecified, pki.ReasonKeyCompromise, pki.ReasonAffiliationChanged, pki.ReasonSuperseded,
	pki.ReasonCessationOfOperation, pki.ReasonPrivilegeWithdrawn}

// ReasonName is a reason's code name (messages, API).
func ReasonName(r int) string {
	switch r {
	case pki.ReasonKeyCompromise:
		return "key_compromise"
	case pki.ReasonAffiliationChanged:
		return "affiliation_changed"
	case pki.ReasonSuperseded:
		return "superseded"
	case pki.ReasonCessationOfOperation:
		return "cessation_of_operation"
	case pki.ReasonPrivilegeWithdrawn:
		return "privilege_withdrawn"
	}
	return "unspecified"
}

// ParseReason is ReasonName's inverse; errs.Invalid for another name.
func ParseReason(s string) (int, error) {
	for _, r := range Reasons {
		if ReasonName(r) == s {
			return r, nil
		}
	}
	return 0, errs.E(errs.Invalid, "signature.error.reason").OnField("reason")
}

// Revoke revokes key id: its holder (their own) or an administrator
// (anyone's but their own, officially). A certificate of Madina's CA is
// revoked there first, which publishes a new CRL; a provider's
// certificate is only made unusable here (its holder revokes it with the
// provider). Revoking a revoked key changes nothing.
func (s *Service) Revoke(ctx context.Context, a authz.Actor, id int64, reason int) (Key, error) {
	k, err := s.store.Key(ctx, s.db, id)
	if err != nil {
		return k, err
	}
	r := authz.Resource{OwnerPerson: k.Person}
	if err := checkKeyAccess(a, k); err != nil {
		return k, err
	}
	if !slices.Contains(Reasons, reason) {
		return k, errs.E(errs.Invalid, "signature.error.reason").OnField("reason")
	}
	if k.RevokedAt != nil {
		return k, nil
	}
	if k.Kind == Issued {
		if err := s.ca.Revoke(ctx, k.Serial, reason); err != nil {
			return k, err
		}
	}
	now := s.now()
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		done, err := s.store.revoke(ctx, tx, k.ID, a.Person, reason, now)
		if err != nil || !done {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: authz.ActorLabel(a, r), Action: "signature.revoked", ObjectType: "signer_key",
			ObjectID: strconv.FormatInt(k.ID, 10), Change: map[string]any{"key": k.ID, "serial": k.Serial, "person": k.Person,
				"reason": ReasonName(reason)}})
		return err
	})
	if err != nil {
		return k, err
	}
	return s.store.Key(ctx, s.db, id)
}

// MaxList bounds the administrators' list.
const MaxList = 500

// List is every signer's key, newest first, for an administrator.
func (s *Service) List(ctx context.Context, a authz.Actor) ([]Listed, error) {
	if err := authz.Check(a, authz.ManageSigners, authz.Resource{}); err != nil {
		return nil, err
	}
	return s.store.List(ctx, s.db, MaxList)
}

// Key is one key for an administrator (the confirmation page).
func (s *Service) Key(ctx context.Context, a authz.Actor, id int64) (Key, error) {
	k, err := s.store.Key(ctx, s.db, id)
	if err != nil {
		return k, err
	}
	return k, checkKeyAccess(a, k)
}

// checkKeyAccess asks the policy whether a may revoke k: its holder, or
// an administrator (officially); anyone else, an API token included
// (which holds no staff role), does not learn that it exists.
func checkKeyAccess(a authz.Actor, k Key) error {
	r := authz.Resource{OwnerPerson: k.Person}
	if k.Person == a.Person {
		return authz.Check(a, authz.RevokeSigner, r)
	}
	if !a.HasRole(authz.Admin) {
		return errs.E(errs.NotFound, "signature.error.key_unknown")
	}
	return authz.Check(a, authz.ManageSigners, r)
}
