package signaturedemo_test

import (
	"context"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"madina/internal/apptest"
	"madina/internal/authz"
	"madina/internal/module"
	"madina/internal/platform/db"
	"madina/internal/signature"
	"madina/internal/signature/signaturedemo"
)

// The demonstration's signers get a certificate each, once; the PIN
// docs/DEMO.md publishes unlocks them.
func TestDemoSigners(t *testing.T) {
	a := apptest.Accounts(t, db.SQLite)
	ctx := context.Background()
	env := &module.Env{}
	env.Provide("identity", a.Identity)
	env.Provide("signature", a.Signature)
	var out strings.Builder
	if err := signaturedemo.Load(ctx, env, &out); err != nil {
		t.Fatal(err)
	}
	if want := len(signaturedemo.Signers()); want != 10 || !strings.Contains(out.String(), "10 demonstration signing certificates") {
		t.Fatalf("%d signers; said %q", want, out.String())
	}
	out.Reset()
	if err := signaturedemo.Load(ctx, env, io.Discard); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := a.DB.QueryRowContext(ctx, `SELECT COUNT(*) FROM signer_keys`).Scan(&n); err != nil || n != 10 {
		t.Fatalf("%d keys after two loads: %v", n, err)
	}
	arch := authz.Actor{Person: apptest.PersonID(t, a, "omar.berrada@example.ma"), EmailVerified: true,
		Profession: authz.Architect, ProfessionalVerified: true, Now: time.Now()}
	s, err := a.Signature.Unlock(ctx, arch, signaturedemo.DemoPIN, signature.Act{ObjectType: "test"})
	if err != nil || s.Cert.Subject.SerialNumber != "CNOA-1187" {
		t.Fatalf("the demo PIN: %v", err)
	}
	doc, err := os.ReadFile("../../../docs/DEMO.md")
	if err != nil || !strings.Contains(string(doc), "`"+signaturedemo.DemoPIN+"`") {
		t.Fatalf("docs/DEMO.md does not give the signing PIN %s", signaturedemo.DemoPIN)
	}
}
