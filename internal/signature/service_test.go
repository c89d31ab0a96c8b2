package signature

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	pkcs12 "software.sslmate.com/src/go-pkcs12"

	"madina/internal/authz"
	"madina/internal/identity"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/pki"
	"madina/internal/platform/secretbox"
)

var monday = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// cheap are argon2id costs for tests: the rules under test do not depend
// on the cost.
var cheap = PINParams{Memory: 1024, Time: 1}

type env struct {
	d                           *db.DB
	box                         *secretbox.Box
	ca                          *pki.CA
	s                           *Service
	architect, agent, admin     int64
	citizen, unverified, agent2 int64
}

func newBox(t testing.TB, fill byte) *secretbox.Box {
	b, err := secretbox.New(bytes.Repeat([]byte{fill}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{d: d, box: newBox(t, 7)}
	ca, err := pki.Open(ctx, pki.SQLStore{DB: d}, e.box, pki.Config{BaseURL: "https://madina.test"})
	if err != nil {
		t.Fatal(err)
	}
	e.ca = ca
	e.s = e.service()
	e.architect = e.person(t, "architect@example.ma", "BE100200")
	e.agent = e.person(t, "agent@example.ma", "")
	e.agent2 = e.person(t, "agent2@example.ma", "")
	e.admin = e.person(t, "admin@example.ma", "")
	e.citizen = e.person(t, "citizen@example.ma", "BK1")
	e.unverified = e.person(t, "new@example.ma", "BK2")
	if _, err := d.ExecContext(ctx, `INSERT INTO professionals (person_id, profession, registration_number, verified_at,
		verified_by, created_at) VALUES ($1, 'architect', '1187', $2, $3, $2)`, e.architect, monday, e.admin); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecContext(ctx, `INSERT INTO professionals (person_id, profession, registration_number, created_at)
		VALUES ($1, 'architect', '2311', $2)`, e.unverified, monday); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ExecContext(ctx, `INSERT INTO organisations (code, kind, name_ar, name_fr, name_en, created_at)
		VALUES ('commune', 'commune', 'جماعة الدار البيضاء', 'Commune de Casablanca', 'Casablanca commune', $1)`, monday); err != nil {
		t.Fatal(err)
	}
	return e
}

// service is a service on the same database, as after a restart.
func (e *env) service() *Service {
	return NewService(Deps{DB: e.d, CA: e.ca, Box: e.box, People: identity.NewStore(e.d), PIN: cheap})
}

func (e *env) person(t *testing.T, email, cin string) int64 {
	t.Helper()
	var id int64
	var c any
	if cin != "" {
		c = cin
	}
	err := e.d.Transact(context.Background(), func(tx *db.Tx) error {
		return tx.QueryRowContext(context.Background(), `INSERT INTO persons (email, email_key, email_verified_at, cin,
		given_name_ar, family_name_ar, given_name_latin, family_name_latin, lang, created_at, updated_at)
		VALUES ($1, $1, $2, $3, 'عمر', 'برادة', 'Omar', $4, 'fr', $2, $2) RETURNING id`, email, monday, c, strings.Split(email, "@")[0]).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *env) architectActor() authz.Actor {
	return authz.Actor{Person: e.architect, EmailVerified: true, Profession: authz.Architect, ProfessionalVerified: true, Now: monday}
}

func (e *env) staffActor(p int64, role authz.Role) authz.Actor {
	return authz.Actor{Person: p, EmailVerified: true, MFA: true, Now: monday,
		Grants: []authz.Grant{{Role: role, Org: "commune", Window: "city"}}}
}

func (e *env) count(t *testing.T, action string) int {
	t.Helper()
	var n int
	if err := e.d.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = $1`, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var act = Act{ObjectType: "test_document", ObjectID: "1", Purpose: "test"}

func wantKey(t *testing.T, err error, kind errs.Kind, key string) {
	t.Helper()
	e := errs.As(err)
	if e == nil || e.Kind != kind || e.Key != key {
		t.Fatalf("got %v, want %s %s", err, kind, key)
	}
}

// A verified architect and a window agent enrol: the CA certifies their
// identity; the key is stored sealed (neither the row nor the server key
// alone gives it); the right PIN unlocks a signer that signs once; every
// step is in the audit chain.
func TestEnrolUnlockSign(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		arch := e.architectActor()
		k, err := e.s.Enrol(ctx, arch, "482915", "482915")
		if err != nil {
			t.Fatal(err)
		}
		subj := k.Cert.Subject
		if subj.CommonName != "Omar architect" || subj.SerialNumber != "CNOA-1187" || subj.Organization[0] != "Conseil National de l'Ordre des Architectes" {
			t.Errorf("subject %s", subj)
		}
		agent, err := e.s.Enrol(ctx, e.staffActor(e.agent, authz.WindowAgent), "730184", "730184")
		if err != nil {
			t.Fatal(err)
		}
		if s := agent.Cert.Subject; s.Organization[0] != "Commune de Casablanca" || title(s) != "Agent du guichet unique" ||
			!strings.HasPrefix(s.SerialNumber, "MADINA-") {
			t.Errorf("agent's subject %s", s)
		}
		if _, err := x509.ParsePKCS8PrivateKey([]byte(k.SealedKey)); err == nil {
			t.Fatal("the stored key is in clear")
		}
		inner, err := e.box.Open(k.SealedKey, keyAAD(k.Person, k.Serial))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x509.ParsePKCS8PrivateKey(inner); err == nil {
			t.Fatal("the server key alone opens the signing key")
		}
		if _, err := newBox(t, 8).Open(k.SealedKey, keyAAD(k.Person, k.Serial)); err == nil {
			t.Fatal("another server key opens it")
		}
		if _, err := e.box.Open(k.SealedKey, keyAAD(e.agent, k.Serial)); err == nil {
			t.Fatal("the sealed key opens as another person's")
		}
		// Enrolling twice is refused.
		_, err = e.s.Enrol(ctx, arch, "482915", "482915")
		wantKey(t, err, errs.Conflict, "signature.error.has_key")

		sg, err := e.s.Unlock(ctx, arch, "482915", act)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := x509.ParseCertificate(sg.Cert.Raw); err != nil || len(sg.Chain) != 2 {
			t.Fatalf("chain of %d", len(sg.Chain))
		}
		digest := sha256.Sum256([]byte("the minutes"))
		sig, err := sg.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if !ecdsa.VerifyASN1(sg.Public().(*ecdsa.PublicKey), digest[:], sig) {
			t.Fatal("the signature does not verify with the certificate's key")
		}
		if _, err := sg.Sign(rand.Reader, digest[:], crypto.SHA256); err != ErrUsed {
			t.Fatalf("second signature: %v, want ErrUsed", err)
		}
		if _, err := sg.Cert.Verify(x509.VerifyOptions{Roots: pool(e.ca.Root()), Intermediates: pool(e.ca.Issuing()),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection}}); err != nil {
			t.Fatalf("chain: %v", err)
		}
		for action, want := range map[string]int{"signature.enrolled": 2, "signature.signed": 1, "signature.pin_failed": 0} {
			if n := e.count(t, action); n != want {
				t.Errorf("%s: %d audit records, want %d", action, n, want)
			}
		}
		// The PIN changes; the old one no longer opens the key.
		if err := e.s.ChangePIN(ctx, arch, "482915", "905172", "905172"); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.Unlock(ctx, arch, "482915", act)
		wantKey(t, err, errs.Invalid, "signature.error.pin_wrong")
		// Typed with Arabic-Indic digits, the same PIN.
		if _, err := e.s.Unlock(ctx, arch, "٩٠٥١٧٢", act); err != nil {
			t.Fatalf("new PIN in Arabic-Indic digits: %v", err)
		}
		cur, _ := e.s.store.Current(ctx, d, e.architect)
		if cur.Failed != 0 {
			t.Errorf("a right PIN left %d failures counted", cur.Failed)
		}
	})
}

func title(n pkix.Name) string {
	for _, a := range n.Names {
		if a.Type.String() == "2.5.4.12" {
			return a.Value.(string)
		}
	}
	return ""
}

func pool(cs ...*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	for _, c := range cs {
		p.AddCert(c)
	}
	return p
}

// Five wrong PINs lock the key: the count says how many are left, the
// fifth locks, the right PIN then opens nothing, a restarted service
// sees the lock, and every failure and the lock are audit records.
func TestWrongPINLocksAfterFive(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		arch := e.architectActor()
		if _, err := e.s.Enrol(ctx, arch, "482915", "482915"); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < MaxAttempts; i++ {
			_, err := e.s.Unlock(ctx, arch, "111112", act)
			wantKey(t, err, errs.Invalid, "signature.error.pin_wrong")
			if n := errs.As(err).Params["count"]; n != MaxAttempts-i {
				t.Errorf("attempt %d: %v left, want %d", i, n, MaxAttempts-i)
			}
		}
		_, err := e.s.Unlock(ctx, arch, "111112", act)
		wantKey(t, err, errs.Forbidden, "signature.error.locked_now")
		_, err = e.service().Unlock(ctx, arch, "482915", act)
		wantKey(t, err, errs.Forbidden, "signature.error.locked")
		err = e.service().ChangePIN(ctx, arch, "482915", "905172", "905172")
		wantKey(t, err, errs.Forbidden, "signature.error.locked")
		if n := e.count(t, "signature.pin_failed"); n != MaxAttempts {
			t.Errorf("%d failures recorded, want %d", n, MaxAttempts)
		}
		if n := e.count(t, "signature.locked"); n != 1 {
			t.Errorf("%d locks recorded, want 1", n)
		}
		if n := e.count(t, "signature.signed"); n != 0 {
			t.Errorf("a locked key signed")
		}
		st, err := e.s.Mine(ctx, arch)
		if err != nil || st.State != Locked || st.Key.AttemptsLeft() != 0 {
			t.Fatalf("state %s, %v", st.State, err)
		}
	})
}

// Many wrong PINs at once are each counted before they are tried: no
// more than five are ever tried, and the key ends locked.
func TestConcurrentWrongPINs(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		arch := e.architectActor()
		if _, err := e.s.Enrol(ctx, arch, "482915", "482915"); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, _ = e.service().Unlock(ctx, arch, "111112", act)
			}()
		}
		wg.Wait()
		cur, err := e.s.store.Current(ctx, d, e.architect)
		if err != nil {
			t.Fatal(err)
		}
		if cur.Failed != MaxAttempts || cur.LockedAt == nil {
			t.Fatalf("%d failures, locked %v", cur.Failed, cur.LockedAt)
		}
		if n := e.count(t, "signature.pin_failed"); n != MaxAttempts {
			t.Errorf("%d PINs tried, want %d", n, MaxAttempts)
		}
	})
}

// The policy: a citizen and an unverified architect cannot enrol; nobody
// signs with someone else's key; an administrator revokes another's
// certificate (a new CRL lists it) and a revoked certificate signs
// nothing; the holder can enrol again.
func TestPolicyAndRevocation(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		citizen := authz.Actor{Person: e.citizen, EmailVerified: true, Now: monday}
		_, err := e.s.Enrol(ctx, citizen, "482915", "482915")
		wantKey(t, err, errs.Forbidden, "error.authz.not_signer")
		unver := authz.Actor{Person: e.unverified, EmailVerified: true, Profession: authz.Architect, Now: monday}
		_, err = e.s.Enrol(ctx, unver, "482915", "482915")
		wantKey(t, err, errs.Forbidden, "error.authz.unverified_professional")

		arch := e.architectActor()
		k, err := e.s.Enrol(ctx, arch, "482915", "482915")
		if err != nil {
			t.Fatal(err)
		}
		agent := e.staffActor(e.agent, authz.WindowAgent)
		if _, err := e.s.Enrol(ctx, agent, "730184", "730184"); err != nil {
			t.Fatal(err)
		}
		// The agent knows the architect's PIN: still not theirs to use.
		_, err = e.s.Unlock(ctx, agent, "482915", Act{Signer: e.architect, ObjectType: "pdf"})
		wantKey(t, err, errs.Forbidden, "error.authz.sign_as_other")
		// Nor may the agent revoke it, nor see it listed.
		_, err = e.s.Revoke(ctx, agent, k.ID, pki.ReasonPrivilegeWithdrawn)
		wantKey(t, err, errs.NotFound, "signature.error.key_unknown")
		if _, err := e.s.List(ctx, agent); err == nil {
			t.Fatal("an agent lists the signers")
		}
		admin := e.staffActor(e.admin, authz.Admin)
		list, err := e.s.List(ctx, admin)
		if err != nil || len(list) != 2 || list[1].NameLatin != "Omar architect" {
			t.Fatalf("list %+v %v", list, err)
		}
		if _, err := e.s.Revoke(ctx, admin, k.ID, 2); err == nil {
			t.Fatal("an unknown reason was accepted")
		}
		rk, err := e.s.Revoke(ctx, admin, k.ID, pki.ReasonPrivilegeWithdrawn)
		if err != nil {
			t.Fatal(err)
		}
		if rk.RevokedAt == nil || rk.RevokedBy != e.admin || rk.StateAt(monday) != Revoked {
			t.Fatalf("revoked %+v", rk)
		}
		st, err := e.ca.Status(ctx, k.Serial)
		if err != nil || st.RevokedAt == nil || st.Reason == nil || *st.Reason != pki.ReasonPrivilegeWithdrawn {
			t.Fatalf("CA status %+v %v", st, err)
		}
		der, err := e.ca.CRL(ctx)
		if err != nil {
			t.Fatal(err)
		}
		crl, err := x509.ParseRevocationList(der)
		if err != nil {
			t.Fatal(err)
		}
		listed := false
		for _, r := range crl.RevokedCertificateEntries {
			listed = listed || pki.SerialHex(r.SerialNumber) == k.Serial
		}
		if !listed {
			t.Fatal("the CRL does not list the revoked certificate")
		}
		_, err = e.s.Unlock(ctx, arch, "482915", act)
		wantKey(t, err, errs.NotFound, "signature.error.no_key")
		if n := e.count(t, "signature.revoked"); n != 1 {
			t.Errorf("%d revocations recorded", n)
		}
		// Revoking again changes nothing; the holder enrols anew.
		if _, err := e.s.Revoke(ctx, arch, k.ID, pki.ReasonCessationOfOperation); err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, "signature.revoked"); n != 1 {
			t.Errorf("%d revocations recorded after a second one", n)
		}
		if _, err := e.s.Enrol(ctx, arch, "482915", "482915"); err != nil {
			t.Fatalf("enrol after revocation: %v", err)
		}
		// An administrator revokes their own from their page, not officially.
		if _, err := e.s.Enrol(ctx, admin, "730184", "730184"); err != nil {
			t.Fatal(err)
		}
		own, _ := e.s.store.Current(ctx, d, e.admin)
		if _, err := e.s.Revoke(ctx, admin, own.ID, pki.ReasonSuperseded); err != nil {
			t.Fatalf("own revocation: %v", err)
		}
	})
}

// A certificate revoked at the CA (by another node, by hand) signs
// nothing even while the key row is not marked.
func TestRevokedAtTheCACannotSign(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		arch := e.architectActor()
		k, err := e.s.Enrol(ctx, arch, "482915", "482915")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.ca.Revoke(ctx, k.Serial, pki.ReasonKeyCompromise); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.Unlock(ctx, arch, "482915", act)
		wantKey(t, err, errs.Forbidden, "signature.error.revoked")
	})
}

func TestPINRules(t *testing.T) {
	for pin, key := range map[string]string{"": "signature.error.pin_required", "12345": "signature.error.pin_format",
		"1234567890123": "signature.error.pin_format", "12a456": "signature.error.pin_format", "١٢٣٤٥٦": "signature.error.pin_weak",
		"000000": "signature.error.pin_weak", "123456": "signature.error.pin_weak", "987654": "signature.error.pin_weak"} {
		err := CheckPIN(NormPIN(pin), NormPIN(pin), "pin")
		if e := errs.As(err); e == nil || e.Key != key {
			t.Errorf("%q: %v, want %s", pin, err, key)
		}
	}
	wantKey(t, CheckPIN("482915", "482916", "pin"), errs.Invalid, "signature.error.pin_mismatch")
	if err := CheckPIN("482915", "482915", "pin"); err != nil {
		t.Error(err)
	}
}

// providerP12 is a provider's certificate for subject, valid from nb to
// na, signed by a throwaway CA, in a PKCS#12 file under password.
func providerP12(t *testing.T, subject pkix.Name, nb, na time.Time, password string) []byte {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caT := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Provider CA"}, NotBefore: nb.AddDate(-1, 0, 0),
		NotAfter: na.AddDate(1, 0, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caT, caT, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(77), Subject: subject, NotBefore: nb, NotAfter: na,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	p12, err := pkcs12.Modern2023.Encode(key, cert, []*x509.Certificate{caCert}, password)
	if err != nil {
		t.Fatal(err)
	}
	return p12
}

// A provider's PKCS#12 in the signer's name imports and signs; a wrong
// password, an expired certificate, an empty or huge file and someone
// else's certificate are refused with their own message, nothing stored.
func TestImportPKCS12(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		arch := e.architectActor()
		now := time.Now()
		mine := pkix.Name{CommonName: "OMAR ARCHITECT", SerialNumber: "IDCMA-BE100200", Country: []string{"MA"}}
		good := providerP12(t, mine, now.Add(-time.Hour), now.AddDate(1, 0, 0), "s3cret")
		cases := []struct {
			name     string
			p12      []byte
			password string
			kind     errs.Kind
			key      string
		}{
			{"wrong password", good, "guess", errs.Invalid, "signature.error.p12_unreadable"},
			{"expired", providerP12(t, mine, now.AddDate(-2, 0, 0), now.AddDate(0, 0, -1), "s3cret"), "s3cret", errs.Invalid, "signature.error.p12_expired"},
			{"empty", nil, "s3cret", errs.Invalid, "signature.error.p12_empty"},
			{"huge", bytes.Repeat([]byte{0x30}, pki.MaxPKCS12Size+1), "s3cret", errs.TooLarge, "signature.error.p12_too_large"},
			{"garbage", []byte("not a pkcs12 file"), "s3cret", errs.Invalid, "signature.error.p12_unreadable"},
			{"someone else", providerP12(t, pkix.Name{CommonName: "Someone Else", SerialNumber: "IDCMA-X999"}, now.Add(-time.Hour), now.AddDate(1, 0, 0), "s3cret"),
				"s3cret", errs.Invalid, "signature.error.p12_someone_else"},
		}
		for _, c := range cases {
			_, err := e.s.Import(ctx, arch, c.p12, c.password, "482915", "482915")
			if ee := errs.As(err); ee == nil || ee.Kind != c.kind || ee.Key != c.key || ee.Field != "file" {
				t.Errorf("%s: %v, want %s %s on the file", c.name, err, c.kind, c.key)
			}
		}
		if n := e.count(t, "signature.enrolled"); n != 0 {
			t.Fatalf("a refused import stored %d keys", n)
		}
		citizen := authz.Actor{Person: e.citizen, EmailVerified: true, Now: monday}
		_, err := e.s.Import(ctx, citizen, good, "s3cret", "482915", "482915")
		wantKey(t, err, errs.Forbidden, "error.authz.not_signer")

		k, err := e.s.Import(ctx, arch, good, "s3cret", "482915", "482915")
		if err != nil {
			t.Fatal(err)
		}
		if k.Kind != Imported || len(k.Chain) != 1 {
			t.Fatalf("kind %s, chain %d", k.Kind, len(k.Chain))
		}
		sg, err := e.s.Unlock(ctx, arch, "482915", act)
		if err != nil {
			t.Fatal(err)
		}
		digest := sha256.Sum256([]byte("plan"))
		sig, err := sg.Sign(rand.Reader, digest[:], crypto.SHA256)
		if err != nil || !ecdsa.VerifyASN1(sg.Public().(*ecdsa.PublicKey), digest[:], sig) {
			t.Fatalf("imported key signs: %v", err)
		}
		// Revoked here (the provider's CRL is the provider's): unusable.
		if _, err := e.s.Revoke(ctx, arch, k.ID, pki.ReasonCessationOfOperation); err != nil {
			t.Fatal(err)
		}
		_, err = e.s.Unlock(ctx, arch, "482915", act)
		wantKey(t, err, errs.NotFound, "signature.error.no_key")
	})
}
