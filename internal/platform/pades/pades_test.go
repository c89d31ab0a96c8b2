package pades_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/boombuler/barcode/qr"

	"madina/internal/platform/cms"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/pades"
	"madina/internal/platform/pdf"
	"madina/internal/platform/pki"
	"madina/internal/platform/textnorm"
)

var keyTypes = []pki.KeyType{pki.ECDSAP256, pki.RSA3072}

func sign(t testing.TB, f fixture, doc []byte, s pades.Signer, opts pades.Options) []byte {
	t.Helper()
	if opts.Stamper == nil {
		opts.Stamper = f.tsa
	}
	out, err := pades.Sign(context.Background(), doc, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(out, doc) {
		t.Fatal("the signed file does not start with the original bytes")
	}
	return out
}

func crls(t testing.TB, f fixture) [][]byte {
	t.Helper()
	return f.validation(t).CRLs
}

// checkReport asserts that Verify finds n signatures, each covering its
// revision, intact, not followed by changes, trusted, time-stamped, and
// without the signing-time attribute.
func checkReport(t *testing.T, rep *pades.Report, n int, names ...string) {
	t.Helper()
	if len(rep.Signatures) != n {
		t.Fatalf("Verify found %d signatures, want %d", len(rep.Signatures), n)
	}
	for i, s := range rep.Signatures {
		if !s.Valid() {
			t.Errorf("signature %d not valid: %+v", i+1, s)
		}
		if s.TimeStamp.IsZero() || s.HasSigningTime || s.SubFilter != pades.SubFilter {
			t.Errorf("signature %d: time stamp %v, signing-time %v, subfilter %s", i+1, s.TimeStamp, s.HasSigningTime, s.SubFilter)
		}
		if s.Revision != i+1 {
			t.Errorf("signature %d ends revision %d", i+1, s.Revision)
		}
		if i < len(names) && s.Signer.Subject.CommonName != names[i] {
			t.Errorf("signature %d by %q, want %q", i+1, s.Signer.Subject.CommonName, names[i])
		}
		if i < len(names) && s.Subject != "CN="+names[i]+", SERIALNUMBER=IDCMA-BE123456, O=Commune de Casablanca, T=Membre de la commission, C=MA" {
			t.Errorf("signature %d: subject %q", i+1, s.Subject)
		}
	}
}

// TestPdfsigTrustsOneAndThreeSigners: poppler's pdfsig, with Madina's root
// in an NSS database made by certutil, reports one signature, then three
// successive ones (each an incremental update over the last), valid and
// trusted; qpdf --check finds the files well formed; Verify agrees. One
// byte changed in the signed content makes pdfsig and Verify report every
// signature invalid.
func TestPdfsigTrustsOneAndThreeSigners(t *testing.T) {
	f := newFixture(t)
	nss := nssDB(t, f.ca.Root())
	needTool(t, "qpdf", "qpdf")
	doc := document(t, 0)
	for _, kt := range keyTypes {
		t.Run(string(kt), func(t *testing.T) {
			names := []string{"Karim El Idrissi", "Salma Benjelloun", "رئيس المجلس"}
			signed := doc
			for i, name := range names {
				s := f.signer(t, kt, name)
				signed = sign(t, f, signed, s, pades.Options{Reason: "Procès-verbal", Location: "Casablanca", Name: name})
				out := pdfsig(t, nss, signed)
				valid, trusted, total := pdfsigCount(out)
				if total != i+1 || valid != i+1 || trusted != i+1 {
					t.Fatalf("after signer %d pdfsig counts %d signatures, %d valid, %d trusted:\n%s", i+1, total, valid, trusted, out)
				}
				if i == 0 && !strings.Contains(out, "Total document signed") {
					t.Errorf("pdfsig does not say the whole document is signed:\n%s", out)
				}
				p := write(t, t.TempDir(), "signed.pdf", signed)
				if out, code := run(t, "qpdf", "--check", p); code != 0 || !strings.Contains(out, "No syntax or stream encoding errors") {
					t.Fatalf("qpdf --check after signer %d: exit %d\n%s", i+1, code, out)
				}
				rep, err := pades.Verify(signed, f.trust, pades.VerifyOptions{CRLs: crls(t, f)})
				if err != nil {
					t.Fatal(err)
				}
				checkReport(t, rep, i+1, names[:i+1]...)
				if rep.Revisions != i+2 {
					t.Errorf("%d revisions, want %d", rep.Revisions, i+2)
				}
			}

			// One byte of the original content changed: inside the first
			// page's compressed content stream.
			tampered := bytes.Clone(signed)
			at := bytes.Index(tampered, []byte("stream\n")) + 20
			tampered[at] ^= 0x01
			out := pdfsig(t, nss, tampered)
			valid, _, total := pdfsigCount(out)
			if total != 3 || valid != 0 || strings.Count(out, "Digest Mismatch") != 3 {
				t.Errorf("pdfsig on a changed byte: %d signatures, %d valid:\n%s", total, valid, out)
			}
			rep, err := pades.Verify(tampered, f.trust, pades.VerifyOptions{CRLs: crls(t, f)})
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range rep.Signatures {
				if s.Intact || s.Valid() || !errors.Is(s.IntactErr, cms.ErrDigest) {
					t.Errorf("signature %d of the changed file: intact %v, error %v", i+1, s.Intact, s.IntactErr)
				}
			}
		})
	}
}

var (
	byteRangeRE = regexp.MustCompile(`/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]`)
	contentsRE  = regexp.MustCompile(`/Contents\s*<([0-9A-Fa-f]+)>`)
)

// extracted is one signature taken out of a file by byte offsets alone.
type extracted struct {
	cms     []byte // DER, without the zero padding
	content []byte // the bytes the ByteRange covers
}

func extract(t testing.TB, data []byte) []extracted {
	t.Helper()
	var out []extracted
	for _, m := range byteRangeRE.FindAllSubmatch(data, -1) {
		var n [4]int
		for i := range n {
			n[i], _ = strconv.Atoi(string(m[i+1]))
		}
		gap := data[n[1]:n[2]]
		if gap[0] != '<' || gap[len(gap)-1] != '>' {
			t.Fatal("the ByteRange gap is not a hexadecimal string")
		}
		raw, err := hex.DecodeString(string(gap[1 : len(gap)-1]))
		if err != nil {
			t.Fatal(err)
		}
		var v asn1.RawValue
		if _, err := asn1.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		content := append(bytes.Clone(data[:n[1]]), data[n[2]:n[2]+n[3]]...)
		out = append(out, extracted{cms: v.FullBytes, content: content})
	}
	return out
}

// TestOpenSSLVerifiesTheSignatureAndItsTimeStamp: for ECDSA P-256 and RSA
// 3072 signers, the CMS taken from /Contents verifies with `openssl cms
// -verify` over the ByteRange bytes with only the root, and not over those
// bytes with one changed; OpenSSL's own dump shows signing-certificate-v2
// and the time-stamp token and no signing-time; `openssl ts -verify`
// accepts the token for the hash of the signature value.
func TestOpenSSLVerifiesTheSignatureAndItsTimeStamp(t *testing.T) {
	needOpenSSL(t)
	f := newFixture(t)
	dir := t.TempDir()
	root := write(t, dir, "root.pem", pemCerts(f.ca.Root()))
	tsaCert := write(t, dir, "tsa.pem", pemCerts(f.tsa.Certificate()))
	doc := document(t, 0)
	for _, kt := range keyTypes {
		t.Run(string(kt), func(t *testing.T) {
			rec := &recorder{Stamper: f.tsa}
			signed := sign(t, f, doc, f.signer(t, kt, "Karim El Idrissi"), pades.Options{Stamper: rec})
			sigs := extract(t, signed)
			if len(sigs) != 1 {
				t.Fatalf("%d signatures in the file", len(sigs))
			}
			sig := write(t, dir, "sig.der", sigs[0].cms)
			content := write(t, dir, "content.bin", sigs[0].content)
			out := must(t, "openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sig, "-content", content, "-CAfile", root, "-out", os.DevNull)
			if !strings.Contains(out, "Verification successful") {
				t.Errorf("openssl cms -verify: %s", out)
			}
			bad := bytes.Clone(sigs[0].content)
			bad[len(bad)/2] ^= 1
			if out, code := run(t, "openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sig, "-content", write(t, dir, "bad.bin", bad), "-CAfile", root, "-out", os.DevNull); code == 0 {
				t.Errorf("openssl accepted changed content: %s", out)
			}
			dump := must(t, "openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", sig)
			for _, want := range []string{"id-smime-aa-signingCertificateV2", "id-smime-aa-timeStampToken", "messageDigest"} {
				if !strings.Contains(dump, want) {
					t.Errorf("the CMS lacks %s", want)
				}
			}
			// The signer's signed attributes (the time-stamp token, an
			// unsigned attribute, has its own signing-time).
			signedAttrs, _, _ := strings.Cut(dump, "unsignedAttrs:")
			_, signedAttrs, _ = strings.Cut(signedAttrs, "signedAttrs:")
			if !strings.Contains(signedAttrs, "messageDigest") || strings.Contains(signedAttrs, "signingTime") {
				t.Error("the CMS carries signing-time, which PAdES baseline forbids")
			}

			parsed, err := cms.Parse(sigs[0].cms)
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.tokens) != 1 || !bytes.Equal(parsed.TimeStampToken, rec.tokens[0]) {
				t.Fatal("the time-stamp token in the CMS is not the one the TSA made")
			}
			token := write(t, dir, "token.der", parsed.TimeStampToken)
			sum := sha256.Sum256(parsed.SignatureValue)
			out = must(t, "openssl", "ts", "-verify", "-digest", hex.EncodeToString(sum[:]), "-in", token, "-token_in", "-CAfile", root, "-untrusted", tsaCert)
			if !strings.Contains(out, "Verification: OK") {
				t.Errorf("openssl ts -verify: %s", out)
			}
			other := sha256.Sum256([]byte("another signature"))
			if out, code := run(t, "openssl", "ts", "-verify", "-digest", hex.EncodeToString(other[:]), "-in", token, "-token_in", "-CAfile", root, "-untrusted", tsaCert); code == 0 {
				t.Errorf("openssl ts accepted the token for another digest: %s", out)
			}
		})
	}
}

// dssStreams returns the streams listed under key in the document's DSS,
// each taken out by qpdf (--show-object --raw-stream-data).
func dssStreams(t *testing.T, data []byte, key string) [][]byte {
	t.Helper()
	r, err := pdf.NewReader(data)
	if err != nil {
		t.Fatal(err)
	}
	cat := r.Get(r.Root()).(pdf.Dict)
	dss, ok := r.Get(cat["DSS"]).(pdf.Dict)
	if !ok {
		t.Fatal("no /DSS in the catalogue")
	}
	p := write(t, t.TempDir(), "doc.pdf", data)
	var out [][]byte
	for _, x := range r.Get(dss[pdf.Name(key)]).([]any) {
		ref := x.(pdf.Ref)
		b := must(t, "qpdf", "--show-object="+strconv.FormatInt(ref.Num(), 10), "--raw-stream-data", p)
		out = append(out, []byte(b))
	}
	return out
}

func toPEM(typ string, ders [][]byte) []byte {
	var b bytes.Buffer
	for _, d := range ders {
		pem.Encode(&b, &pem.Block{Type: typ, Bytes: d})
	}
	return b.Bytes()
}

// TestBLTIsSelfSufficient: two time-stamped signatures, then a DSS with the
// certificates (signers, issuing CA, root, TSA) and both CRLs. Each CMS
// taken from the file verifies with `openssl cms -verify -nointern
// -crl_check_all` using only the root and what qpdf takes out of the DSS
// (the signer's certificate included: the CMS's own are not used), and
// each time-stamp token with `openssl ts -verify -crl_check_all` likewise;
// no network, no other file. Without the DSS's CRLs the same check fails.
// pdfsig still finds both signatures valid and Verify validates them with
// no CRL given. A signer revoked before signing is reported revoked.
func TestBLTIsSelfSufficient(t *testing.T) {
	needOpenSSL(t)
	needTool(t, "qpdf", "qpdf")
	f := newFixture(t)
	nss := nssDB(t, f.ca.Root())
	for _, kt := range keyTypes {
		t.Run(string(kt), func(t *testing.T) {
			s1, s2 := f.signer(t, kt, "Karim El Idrissi"), f.signer(t, kt, "Salma Benjelloun")
			signed := sign(t, f, document(t, 0), s1, pades.Options{})
			signed = sign(t, f, signed, s2, pades.Options{})
			before := signed
			// What the signatures carry is what the DSS needs: the
			// signers', the CA's and the TSA's certificates.
			carried, err := pades.Certificates(signed)
			if err != nil {
				t.Fatal(err)
			}
			want := f.validation(t, s1, s2).Certs
			if len(carried) != len(want) {
				t.Errorf("Certificates: %d, want %d", len(carried), len(want))
			}
			for _, c := range want {
				if !slices.ContainsFunc(carried, c.Equal) {
					t.Errorf("Certificates lacks %s", c.Subject)
				}
			}
			lt, err := pades.AddDSS(context.Background(), signed, pades.ValidationData{Certs: carried, CRLs: crls(t, f)})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(lt, before) {
				t.Fatal("AddDSS changed signed bytes")
			}
			if valid, trusted, total := pdfsigCount(pdfsig(t, nss, lt)); total != 2 || valid != 2 || trusted != 2 {
				t.Errorf("pdfsig after the DSS: %d signatures, %d valid, %d trusted", total, valid, trusted)
			}
			p := write(t, t.TempDir(), "lt.pdf", lt)
			if out, code := run(t, "qpdf", "--check", p); code != 0 {
				t.Fatalf("qpdf --check: %s", out)
			}
			rep, err := pades.Verify(lt, f.trust, pades.VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, rep, 2, "Karim El Idrissi", "Salma Benjelloun")
			if !rep.DSS || rep.DSSCerts != 5 || rep.DSSCRLs != 2 {
				t.Errorf("DSS %v with %d certificates and %d CRLs", rep.DSS, rep.DSSCerts, rep.DSSCRLs)
			}
			// The same without the DSS: revocation cannot be checked.
			rep, _ = pades.Verify(before, f.trust, pades.VerifyOptions{})
			if rep.Signatures[0].RevocationChecked || rep.Signatures[0].Valid() {
				t.Error("without a DSS or CRLs, revocation counts as checked")
			}
			// AddDSS again adds nothing twice.
			again, err := pades.AddDSS(context.Background(), lt, f.validation(t, s1))
			if err != nil {
				t.Fatal(err)
			}
			if rep, _ := pades.Verify(again, f.trust, pades.VerifyOptions{}); rep.DSSCerts != 5 || rep.DSSCRLs != 2 || !rep.Valid() {
				t.Errorf("a second AddDSS: %d certificates, %d CRLs, valid %v", rep.DSSCerts, rep.DSSCRLs, rep.Valid())
			}

			dir := t.TempDir()
			root := write(t, dir, "root.pem", pemCerts(f.ca.Root()))
			certs := write(t, dir, "dss-certs.pem", toPEM("CERTIFICATE", dssStreams(t, lt, "Certs")))
			crlPEM := toPEM("X509 CRL", dssStreams(t, lt, "CRLs"))
			rootAndCRLs := write(t, dir, "root-crls.pem", append(pemCerts(f.ca.Root()), crlPEM...))
			sigs := extract(t, lt)
			if len(sigs) != 2 {
				t.Fatalf("%d signatures", len(sigs))
			}
			for i, sg := range sigs {
				sig := write(t, dir, fmt.Sprintf("sig%d.der", i), sg.cms)
				content := write(t, dir, fmt.Sprintf("content%d.bin", i), sg.content)
				args := []string{"cms", "-verify", "-binary", "-inform", "DER", "-in", sig, "-content", content,
					"-certfile", certs, "-nointern", "-crl_check_all", "-out", os.DevNull}
				// OpenSSL reads CRLs from the -CAfile.
				out := must(t, "openssl", append(args, "-CAfile", rootAndCRLs)...)
				if !strings.Contains(out, "Verification successful") {
					t.Errorf("signature %d: %s", i+1, out)
				}
				if out, code := run(t, "openssl", append(args, "-CAfile", root)...); code == 0 || !strings.Contains(out, "unable to get certificate CRL") {
					t.Errorf("signature %d verified with -crl_check_all and no CRL: %s", i+1, out)
				}
				parsed, err := cms.Parse(sg.cms)
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256(parsed.SignatureValue)
				token := write(t, dir, fmt.Sprintf("token%d.der", i), parsed.TimeStampToken)
				out = must(t, "openssl", "ts", "-verify", "-digest", hex.EncodeToString(sum[:]), "-in", token, "-token_in",
					"-CAfile", rootAndCRLs, "-untrusted", certs, "-crl_check_all")
				if !strings.Contains(out, "Verification: OK") {
					t.Errorf("time stamp %d: %s", i+1, out)
				}
			}

			// A signer revoked before signing.
			s3 := f.signer(t, kt, "Ancien membre")
			if err := f.ca.Revoke(context.Background(), pki.SerialHex(s3.Cert.SerialNumber), 1); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1100 * time.Millisecond) // the signing time after the revocation's second
			revoked := sign(t, f, lt, s3, pades.Options{})
			revoked, err = pades.AddDSS(context.Background(), revoked, f.validation(t, s3))
			if err != nil {
				t.Fatal(err)
			}
			rep, err = pades.Verify(revoked, f.trust, pades.VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			last := rep.Signatures[2]
			if !last.Revoked || last.Valid() || !rep.Signatures[0].Valid() || !rep.Signatures[1].Valid() {
				t.Errorf("revoked signer: revoked %v valid %v; earlier valid %v %v", last.Revoked, last.Valid(), rep.Signatures[0].Valid(), rep.Signatures[1].Valid())
			}
		})
	}
}

// TestArabicAndFrenchTextSurviveSigning: after three signatures and a DSS,
// pdftotext extracts the same text as from the unsigned file, Arabic and
// French included, and pdftoppm renders the first page to the same pixels.
func TestArabicAndFrenchTextSurviveSigning(t *testing.T) {
	needTool(t, "pdftotext", "poppler-utils")
	f := newFixture(t)
	doc := document(t, 0)
	signed := doc
	for _, name := range []string{"A", "B", "C"} {
		signed = sign(t, f, signed, f.signer(t, pki.ECDSAP256, name), pades.Options{})
	}
	signed, err := pades.AddDSS(context.Background(), signed, f.validation(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	orig, sp := write(t, dir, "orig.pdf", doc), write(t, dir, "signed.pdf", signed)
	text := must(t, "pdftotext", "-layout", sp, "-")
	if text != must(t, "pdftotext", "-layout", orig, "-") {
		t.Error("pdftotext extracts other text after signing")
	}
	if !strings.Contains(text, textFR) {
		t.Errorf("pdftotext lacks %q:\n%s", textFR, text)
	}
	// pdftotext gives the Arabic words in logical order, the number
	// (a left-to-right run) apart.
	for _, want := range []string{"قرار الترخيص رقم", "2026/118"} {
		if !strings.Contains(textnorm.Fold(text), textnorm.Fold(want)) {
			t.Errorf("pdftotext lacks %q:\n%s", want, text)
		}
	}
	must(t, "pdftoppm", "-r", "60", "-f", "1", "-l", "1", orig, filepath.Join(dir, "orig"))
	must(t, "pdftoppm", "-r", "60", "-f", "1", "-l", "1", sp, filepath.Join(dir, "signed"))
	a, _ := os.ReadFile(filepath.Join(dir, "orig-1.ppm"))
	b, _ := os.ReadFile(filepath.Join(dir, "signed-1.ppm"))
	if len(a) < 1000 || !bytes.Equal(a, b) {
		t.Errorf("the first page renders differently after signing (%d and %d bytes)", len(a), len(b))
	}
}

// TestOtherWritersFiles: files qpdf rewrote with object streams and a
// cross-reference stream, with a classic table, and linearized (two
// cross-reference sections in the original), and one pdftocairo wrote
// anew (cairo's PDF writer), are signed twice each; pdfsig trusts both signatures, qpdf --check is clean
// and Verify agrees.
func TestOtherWritersFiles(t *testing.T) {
	needTool(t, "qpdf", "qpdf")
	f := newFixture(t)
	nss := nssDB(t, f.ca.Root())
	dir := t.TempDir()
	in := write(t, dir, "in.pdf", document(t, 0))
	for _, mode := range []string{"generate", "disable", "linearize", "cairo", "wrong-size"} {
		t.Run(mode, func(t *testing.T) {
			outPath := filepath.Join(dir, mode+".pdf")
			switch mode {
			case "wrong-size":
				// A trailer whose /Size is too small: new objects must
				// not take the numbers of existing ones.
				doc := document(t, 0)
				m := regexp.MustCompile(`/Size \d+`).FindIndex(doc)
				copy(doc[m[0]:m[1]], "/Size 3"+strings.Repeat(" ", m[1]-m[0]-7))
				write(t, dir, mode+".pdf", doc)
			case "linearize":
				must(t, "qpdf", "--linearize", in, outPath)
			case "cairo":
				// Another writer altogether: poppler's cairo backend.
				must(t, needTool(t, "pdftocairo", "poppler-utils"), "-pdf", in, outPath)
			default:
				must(t, "qpdf", "--object-streams="+mode, in, outPath)
			}
			doc, _ := os.ReadFile(outPath)
			if mode == "generate" && !bytes.Contains(doc, []byte("/ObjStm")) {
				t.Fatal("qpdf wrote no object stream")
			}
			signed := sign(t, f, doc, f.signer(t, pki.ECDSAP256, "Karim El Idrissi"), pades.Options{})
			signed = sign(t, f, signed, f.signer(t, pki.RSA3072, "Salma Benjelloun"), pades.Options{})
			if valid, trusted, total := pdfsigCount(pdfsig(t, nss, signed)); total != 2 || valid != 2 || trusted != 2 {
				t.Errorf("pdfsig: %d signatures, %d valid, %d trusted", total, valid, trusted)
			}
			if out, code := run(t, "qpdf", "--check", write(t, dir, mode+"-signed.pdf", signed)); code != 0 {
				t.Errorf("qpdf --check: %s", out)
			}
			rep, err := pades.Verify(signed, f.trust, pades.VerifyOptions{CRLs: crls(t, f)})
			if err != nil {
				t.Fatal(err)
			}
			checkReport(t, rep, 2)
		})
	}
}

// TestChangedAfterSigning: an incremental update that replaces a page's
// content after the signature leaves the signed bytes intact but Verify
// reports the change; pdfsig says the signature does not cover the whole
// document.
func TestChangedAfterSigning(t *testing.T) {
	f := newFixture(t)
	signed := sign(t, f, document(t, 0), f.signer(t, pki.ECDSAP256, "Karim El Idrissi"), pades.Options{})
	r, err := pdf.NewReader(signed)
	if err != nil {
		t.Fatal(err)
	}
	pages, _ := r.Pages(10)
	page := r.Get(pages[0]).(pdf.Dict)
	size := r.Trailer()["Size"].(int64)
	changed := pdf.Dict{}
	for k, v := range page {
		changed[k] = v
	}
	changed["Contents"] = pdf.MakeRef(size)
	forged := r.AppendUpdate(map[int64][]byte{
		pages[0].Num(): pdf.Encode(changed),
		size:           pdf.EncodeStream(pdf.Dict{}, []byte("BT /F1 40 Tf 100 400 Td (FORGED) Tj ET")),
	}, size+1)
	rep, err := pades.Verify(forged, f.trust, pades.VerifyOptions{CRLs: crls(t, f)})
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Signatures[0]
	if !s.Intact || !s.Covers || !s.ChangedAfter || s.Valid() || len(s.Changes) != 1 {
		t.Errorf("forged page: intact %v covers %v changed %v (%v) valid %v", s.Intact, s.Covers, s.ChangedAfter, s.Changes, s.Valid())
	}
	nss := nssDB(t, f.ca.Root())
	if out := pdfsig(t, nss, forged); strings.Contains(out, "Total document signed") {
		t.Errorf("pdfsig says the changed document is wholly signed:\n%s", out)
	}
}

// TestBadInputs: an encrypted PDF, a truncated one and garbage are refused
// by Sign and Verify with typed errors of kind Invalid; an unsigned PDF is
// ErrUnsigned for Verify; a signature whose /Contents is no CMS is
// reported, not a crash.
func TestBadInputs(t *testing.T) {
	needTool(t, "qpdf", "qpdf")
	f := newFixture(t)
	s := f.signer(t, pki.ECDSAP256, "Karim El Idrissi")
	doc := document(t, 0)
	dir := t.TempDir()
	encPath := filepath.Join(dir, "enc.pdf")
	must(t, "qpdf", "--encrypt", "user", "owner", "256", "--", write(t, dir, "in.pdf", doc), encPath)
	encrypted, _ := os.ReadFile(encPath)
	ownerOnly := filepath.Join(dir, "owner.pdf")
	must(t, "qpdf", "--encrypt", "", "owner", "256", "--print=none", "--", write(t, dir, "in2.pdf", doc), ownerOnly)
	restricted, _ := os.ReadFile(ownerOnly)
	signed := sign(t, f, doc, s, pades.Options{})

	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"encrypted", encrypted, pades.ErrEncrypted},
		{"owner password only", restricted, pades.ErrEncrypted},
		{"truncated", signed[:len(signed)-300], pades.ErrCorrupt},
		{"garbage", []byte("not a PDF at all"), pades.ErrCorrupt},
		{"empty", nil, pades.ErrCorrupt},
	}
	for _, c := range cases {
		_, err := pades.Sign(context.Background(), c.data, s, pades.Options{})
		if !errors.Is(err, c.want) || !errs.Is(err, errs.Invalid) {
			t.Errorf("Sign %s: %v, want %v", c.name, err, c.want)
		}
		_, err = pades.Verify(c.data, f.trust, pades.VerifyOptions{})
		if !errors.Is(err, c.want) || !errs.Is(err, errs.Invalid) {
			t.Errorf("Verify %s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := pades.Verify(doc, f.trust, pades.VerifyOptions{}); !errors.Is(err, pades.ErrUnsigned) || errs.As(err).Key != "error.pades.unsigned" {
		t.Errorf("Verify unsigned: %v", err)
	}
	// /Contents overwritten with zeros of the same length.
	broken := bytes.Clone(signed)
	m := contentsRE.FindSubmatchIndex(broken[len(doc):])
	copy(broken[len(doc)+m[2]:len(doc)+m[3]], bytes.Repeat([]byte("0"), m[3]-m[2]))
	rep, err := pades.Verify(broken, f.trust, pades.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sg := rep.Signatures[0]; sg.Intact || sg.Valid() || !errors.Is(sg.IntactErr, cms.ErrMalformed) {
		t.Errorf("zeroed /Contents: intact %v, %v", sg.Intact, sg.IntactErr)
	}
	// A key that is not the certificate's.
	other := f.signer(t, pki.ECDSAP256, "Autre")
	if _, err := pades.Sign(context.Background(), doc, pades.Signer{Key: other.Key, Cert: s.Cert}, pades.Options{}); err == nil {
		t.Error("signed with a key that is not the certificate's")
	}
	// An untrusted root: not trusted.
	foreign, err := pki.NewTrust([]*x509.Certificate{newFixture(t).ca.Root()})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = pades.Verify(signed, foreign, pades.VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sg := rep.Signatures[0]; sg.Trusted || sg.Valid() || sg.TrustErr == nil {
		t.Errorf("foreign root: trusted %v", sg.Trusted)
	}
}

// TestVisibleSignature: a signature block with Arabic and French text and
// a QR code to the verification address, on the first page, then a second
// (invisible) signature, then a third with the default block (last page,
// bottom right). pdfsig trusts all, qpdf --check is clean; the
// page renders with the block (pixels in its area change, not elsewhere);
// flattened by qpdf, the block's text comes out of pdftotext in both
// languages.
func TestVisibleSignature(t *testing.T) {
	needTool(t, "qpdf", "qpdf")
	f := newFixture(t)
	nss := nssDB(t, f.ca.Root())
	doc := document(t, 0)
	s := f.signer(t, pki.ECDSAP256, "Karim El Idrissi")
	signed := sign(t, f, doc, s, pades.Options{Time: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC), Visible: &pades.Appearance{
		Page: 1, X: 300, Y: 40, W: 260, H: 72, URL: "https://madina.example.ma/verify?d=CASA-2026-000118",
	}})
	signed = sign(t, f, signed, f.signer(t, pki.RSA3072, "Salma Benjelloun"), pades.Options{})
	// A third block, all defaults: last page, bottom right, the signer's
	// name and the time, no QR code.
	third := sign(t, f, signed, f.signer(t, pki.ECDSAP256, "سلمى بنجلون"), pades.Options{Visible: &pades.Appearance{}})
	if valid, trusted, total := pdfsigCount(pdfsig(t, nss, third)); total != 3 || valid != 3 || trusted != 3 {
		t.Errorf("pdfsig, third signature: %d signatures, %d valid, %d trusted", total, valid, trusted)
	}
	if valid, trusted, total := pdfsigCount(pdfsig(t, nss, signed)); total != 2 || valid != 2 || trusted != 2 {
		t.Errorf("pdfsig: %d signatures, %d valid, %d trusted", total, valid, trusted)
	}
	dir := t.TempDir()
	orig, sp := write(t, dir, "orig.pdf", doc), write(t, dir, "signed.pdf", signed)
	if out, code := run(t, "qpdf", "--check", sp); code != 0 {
		t.Fatalf("qpdf --check: %s", out)
	}
	rep, err := pades.Verify(signed, f.trust, pades.VerifyOptions{CRLs: crls(t, f)})
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, rep, 2)

	// 72 dpi: one pixel a point. The block is at x 300…560, y 40…112 from
	// the bottom of an 842-point page.
	must(t, "pdftoppm", "-r", "72", "-gray", "-f", "1", "-l", "1", orig, filepath.Join(dir, "orig"))
	must(t, "pdftoppm", "-r", "72", "-gray", "-f", "1", "-l", "1", sp, filepath.Join(dir, "signed"))
	a, w, h := readPGM(t, filepath.Join(dir, "orig-1.pgm"))
	b, _, _ := readPGM(t, filepath.Join(dir, "signed-1.pgm"))
	inside, outside, dark := 0, 0, 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			in := x >= 298 && x <= 562 && y >= h-114 && y <= h-38
			if a[y*w+x] != b[y*w+x] {
				if in {
					inside++
				} else {
					outside++
				}
			}
			// The QR code: the block's left 72 points.
			if x >= 304 && x <= 368 && y >= h-108 && y <= h-44 && b[y*w+x] < 64 {
				dark++
			}
		}
	}
	if inside < 500 || outside != 0 || dark < 1000 {
		t.Errorf("rendering: %d pixels changed in the block, %d outside, %d dark in the QR code", inside, outside, dark)
	}

	// The QR code drawn is the address's: rendered at 4 pixels a point,
	// the centre of every module is dark exactly where the code has one.
	const url = "https://madina.example.ma/verify?d=CASA-2026-000118"
	code, err := qr.Encode(url, qr.M, qr.Auto)
	if err != nil {
		t.Fatal(err)
	}
	must(t, "pdftoppm", "-r", "288", "-gray", "-f", "1", "-l", "1", "-x", "1200", "-y", "2900", "-W", "320", "-H", "320", sp, filepath.Join(dir, "qr"))
	px, qw, _ := readPGM(t, filepath.Join(dir, "qr-1.pgm"))
	n := code.Bounds().Dx()
	m := 64.0 / float64(n+4)
	top := 841.89 - 112 // the block's top, from the page's top
	wrong := 0
	for j := 0; j < n; j++ {
		for i := 0; i < n; i++ {
			x := int((300+4+(2+float64(i)+0.5)*m)*4) - 1200
			y := int((top+4+(2+float64(j)+0.5)*m)*4) - 2900
			r, _, _, _ := code.At(i, j).RGBA()
			if (px[y*qw+x] < 128) != (r < 0x8000) {
				wrong++
			}
		}
	}
	if wrong != 0 {
		t.Errorf("%d of %d QR modules differ from the code of %s", wrong, n*n, url)
	}

	// The default block on the last page: 260 × 72 at 36 points from the
	// right and bottom edges of the 595 × 842 page.
	tp := write(t, dir, "third.pdf", third)
	must(t, "pdftoppm", "-r", "72", "-gray", "-f", "2", "-l", "2", sp, filepath.Join(dir, "two"))
	must(t, "pdftoppm", "-r", "72", "-gray", "-f", "2", "-l", "2", tp, filepath.Join(dir, "three"))
	a, w, h = readPGM(t, filepath.Join(dir, "two-2.pgm"))
	b, _, _ = readPGM(t, filepath.Join(dir, "three-2.pgm"))
	inside, outside = 0, 0
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if a[y*w+x] != b[y*w+x] {
				if x >= 297 && x <= 561 && y >= h-110 && y <= h-34 {
					inside++
				} else {
					outside++
				}
			}
		}
	}
	if inside < 300 || outside != 0 {
		t.Errorf("default block: %d pixels changed in the bottom-right box, %d outside", inside, outside)
	}

	flat := filepath.Join(dir, "flat.pdf")
	must(t, "qpdf", "--flatten-annotations=all", sp, flat)
	text := textnorm.Fold(must(t, "pdftotext", "-layout", flat, "-"))
	// (Arabic words one by one: poppler orders the words of a flattened
	// form's mixed line visually.)
	for _, want := range []string{"Signé électroniquement par Karim El Idrissi", "Le 02/03/2026 à 09:30 UTC", "وقّعه", "إلكترونيًا"} {
		if !strings.Contains(text, textnorm.Fold(want)) {
			t.Errorf("the flattened block lacks %q:\n%s", want, text)
		}
	}
}

// readPGM reads a binary grey map as pdftoppm -gray writes it.
func readPGM(t *testing.T, path string) ([]byte, int, int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var w, h, maxv int
	if _, err := fmt.Sscanf(string(b), "P5\n%d %d\n%d\n", &w, &h, &maxv); err != nil {
		t.Fatal(err)
	}
	end := 0
	for lines := 0; lines < 3; end++ {
		if b[end] == '\n' {
			lines++
		}
	}
	px := b[end:]
	if len(px) != w*h {
		t.Fatalf("PGM %dx%d with %d bytes", w, h, len(px))
	}
	return px, w, h
}

// TestDamagedFilesDoNotPanic: Verify, Certificates, Sign and AddDSS on a
// signed file with bytes changed at random places (structure, /ByteRange,
// /Contents, cross-reference) or cut anywhere return a result or an error,
// never a panic. (FuzzVerify goes on from here with go test -fuzz.)
func TestDamagedFilesDoNotPanic(t *testing.T) {
	f := newFixture(t)
	s := f.signer(t, pki.ECDSAP256, "Karim El Idrissi")
	doc := document(t, 0)
	signed := sign(t, f, doc, s, pades.Options{})
	signed = sign(t, f, signed, s, pades.Options{})
	rng := mathrand.New(mathrand.NewPCG(1, 2))
	update := signed[len(doc):] // where the signatures' structures are
	for i := range 400 {
		bad := bytes.Clone(signed)
		switch i % 4 {
		case 0: // anywhere in the updates
			k := len(doc) + rng.IntN(len(update))
			bad[k] = byte(rng.IntN(256))
		case 1: // a digit or delimiter in the updates
			k := len(doc) + rng.IntN(len(update))
			bad[k] = "0123456789<>[]/ R"[rng.IntN(17)]
		case 2: // cut
			bad = bad[:rng.IntN(len(bad))]
		case 3: // several bytes anywhere
			for range 5 {
				bad[rng.IntN(len(bad))] ^= byte(1 + rng.IntN(255))
			}
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("case %d: panic %v", i, p)
				}
			}()
			pades.Verify(bad, f.trust, pades.VerifyOptions{})
			pades.Certificates(bad)
			if i%20 == 0 {
				pades.Sign(context.Background(), bad, s, pades.Options{})
				pades.AddDSS(context.Background(), bad, pades.ValidationData{Certs: []*x509.Certificate{s.Cert}})
			}
		}()
	}
}

// FuzzVerify: go test -run '^$' -fuzz FuzzVerify ./internal/platform/pades/
func FuzzVerify(f *testing.F) {
	fx := newFixture(f)
	s := fx.signer(f, pki.ECDSAP256, "Karim El Idrissi")
	signed := sign(f, fx, document(f, 0), s, pades.Options{})
	f.Add(signed)
	f.Fuzz(func(t *testing.T, data []byte) {
		pades.Verify(data, fx.trust, pades.VerifyOptions{})
		pades.Certificates(data)
	})
}

// TestMessagesInThreeLanguages: every key this package's errors use has a
// text in Arabic, French and English (with package pdf's catalogue, whose
// keys for encrypted and damaged files it reuses).
func TestMessagesInThreeLanguages(t *testing.T) {
	c, err := i18n.Load(pades.Messages, pdf.Messages)
	if err != nil {
		t.Fatal(err)
	}
	if probs := c.Check(); len(probs) > 0 {
		t.Fatal(probs)
	}
	for _, key := range []string{"error.pades.unsigned", "error.pades.signature", "error.pdf.encrypted", "error.pdf.corrupt"} {
		for _, l := range []i18n.Lang{i18n.AR, i18n.FR, i18n.EN} {
			if !c.Has(l, key) {
				t.Errorf("%s has no %s text", key, l)
			}
		}
	}
}

// TestBaselineB: without a Stamper the signature is B-B: pdfsig trusts
// it, Verify finds no time stamp and checks the chain at the claimed /M
// (a claimed time before the certificate's validity is not trusted).
func TestBaselineB(t *testing.T) {
	f := newFixture(t)
	nss := nssDB(t, f.ca.Root())
	signer := f.signer(t, pki.RSA3072, "Karim El Idrissi")
	claimed := signer.Cert.NotBefore.Add(2 * time.Minute).Truncate(time.Second)
	signed, err := pades.Sign(context.Background(), document(t, 0), signer, pades.Options{Time: claimed})
	if err != nil {
		t.Fatal(err)
	}
	if valid, trusted, total := pdfsigCount(pdfsig(t, nss, signed)); total != 1 || valid != 1 || trusted != 1 {
		t.Errorf("pdfsig: %d signatures, %d valid, %d trusted", total, valid, trusted)
	}
	rep, err := pades.Verify(signed, f.trust, pades.VerifyOptions{CRLs: crls(t, f)})
	if err != nil {
		t.Fatal(err)
	}
	s := rep.Signatures[0]
	if !s.Valid() || !s.TimeStamp.IsZero() || !s.Claimed.Equal(claimed) || !s.At.Equal(claimed) {
		t.Errorf("B-B: valid %v, time stamp %v, claimed %v, checked at %v", s.Valid(), s.TimeStamp, s.Claimed, s.At)
	}
	// Claimed before the certificate existed: not trusted.
	early, err := pades.Sign(context.Background(), document(t, 0), signer, pades.Options{Time: signer.Cert.NotBefore.Add(-time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	rep, err = pades.Verify(early, f.trust, pades.VerifyOptions{CRLs: crls(t, f)})
	if err != nil {
		t.Fatal(err)
	}
	if s := rep.Signatures[0]; s.Trusted || s.Valid() {
		t.Errorf("a claimed time before the certificate: trusted %v", s.Trusted)
	}
}
