package signature

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textin"
	"madina/internal/platform/web"
)

// verifyPath is the public page where anyone checks a signed PDF. The
// QR code of a document Madina signs points to verifyPath+"?h=" + the
// SHA-256 of the document before signing (the registry of issued
// documents names it PathVerify); "?ref=REFERENCE" is accepted too.
const verifyPath = "/verify"

// PathVerifyAPI is the same check for programs (JSON).
const PathVerifyAPI = "/api/v1/verify"

// Rate of verifications per client address: a burst of VerifyBurst, then
// one every 1/VerifyRate seconds (a verification of a 50 MB file costs
// a few hundred milliseconds of CPU).
const (
	VerifyRate  = 0.2
	VerifyBurst = 20
)

// verifySlots bounds the verifications held in memory at once (each
// holds at most MaxVerifySize bytes): the per-address limit does not
// bound many addresses together.
var verifySlots = make(chan struct{}, 8)

// slot waits for a verification slot, or the request's end.
func slot(r *http.Request) (release func(), err error) {
	select {
	case verifySlots <- struct{}{}:
		return func() { <-verifySlots }, nil
	case <-r.Context().Done():
		return nil, errs.E(errs.Incomplete, "error.body.incomplete").Cause(r.Context().Err())
	}
}

// verifyBodyLimit is the body a verification may send: the PDF and the
// multipart form around it.
const verifyBodyLimit = MaxVerifySize + 1<<20

// VerifyRoutes registers the public verification page and its API.
func (h *Handlers) VerifyRoutes(rt *httpx.Router) {
	rt.HandleErr("GET "+verifyPath, h.verifyForm)
	rt.HandleLargeErr("POST "+verifyPath, verifyBodyLimit, h.verifyPost)
	rt.HandleLargeErr("POST "+PathVerifyAPI, verifyBodyLimit, h.verifyAPI)
}

func (h *Handlers) verifyData(r *http.Request) map[string]any {
	d := map[string]any{"MaxMB": MaxVerifySize >> 20, "Form": Form{}}
	// The code a signed document's QR code carries: the record of the
	// document Madina issued, to compare with the file about to be sent.
	if src := strings.ToLower(r.URL.Query().Get("h")); r.Method == http.MethodGet && isSHA256(src) {
		d["Source"] = true
		if h.Verifier != nil && h.Verifier.BySource != nil {
			m, err := h.Verifier.BySource(r.Context(), src)
			switch {
			case err == nil:
				lang := i18n.FromContext(r.Context())
				t := func(key string, params ...any) string { return h.Resp.Cat.T(lang, key, params...) }
				d["Issued"] = t("signature.verify.source.found", "kind", kindLabel(t, m.Kind), "reference", m.Reference,
					"date", i18n.FormatDate(lang, m.SignedAt), "signers", strings.Join(m.Signers, ", "))
			case errs.Is(err, errs.NotFound):
				d["NotIssued"] = true
			}
		}
	}
	// A reference, shown as the document to check.
	if ref, err := textin.Clean(r.URL.Query().Get("ref"), textin.Line); err == nil && ref != "" && len(ref) <= 64 && r.Method == http.MethodGet {
		d["Ref"] = ref
	}
	return d
}

func (h *Handlers) verifyForm(w http.ResponseWriter, r *http.Request) error {
	h.Web.Render(w, r, http.StatusOK, "signature/verify", web.Msg("signature.verify.title"), h.verifyData(r))
	return nil
}

// allowVerify applies the per-address rate limit of verifications.
func (h *Handlers) allowVerify(r *http.Request) error {
	if h.VerifyLimit == nil {
		return nil
	}
	if ok, retry := h.VerifyLimit.Allow(httpx.ClientIP(r)); !ok {
		return errs.E(errs.TooMany, "signature.verify.error.too_many").With("retry", int(retry.Seconds())+1)
	}
	return nil
}

func (h *Handlers) verifyPost(w http.ResponseWriter, r *http.Request) error {
	f := Form{Values: url.Values{}, Order: []string{"file"}}
	fail := func(err error) error {
		closeIfUnread(w, err)
		return h.Web.RenderForm(w, r, "signature/verify", web.Msg("signature.verify.title"), h.verifyData(r), f, err)
	}
	if err := h.allowVerify(r); err != nil {
		return fail(err)
	}
	release, err := slot(r)
	if err != nil {
		return err
	}
	defer release()
	data, err := readVerifyUpload(r)
	if err != nil {
		return fail(err)
	}
	v, err := h.Verifier.Verify(r.Context(), data)
	if err != nil {
		return fail(err)
	}
	h.Web.Render(w, r, http.StatusOK, "signature/verified", web.Msg("signature.verify.result_title"), map[string]any{"V": h.verifiedModel(r, v)})
	return nil
}

func (h *Handlers) verifyAPI(w http.ResponseWriter, r *http.Request) error {
	if err := h.allowVerify(r); err != nil {
		if s, ok := errs.As(err).Params["retry"].(int); ok {
			w.Header().Set("Retry-After", strconv.Itoa(s))
		}
		return err
	}
	release, err := slot(r)
	if err != nil {
		return err
	}
	defer release()
	data, err := readVerifyUpload(r)
	if err != nil {
		closeIfUnread(w, err)
		return err
	}
	v, err := h.Verifier.Verify(r.Context(), data)
	if err != nil {
		return err
	}
	h.Resp.JSON(w, r, http.StatusOK, v)
	return nil
}

// readVerifyUpload reads the PDF of a verification into memory, at most
// MaxVerifySize bytes: the body itself (application/pdf) or the form's
// "file" part (multipart/form-data). Nothing is written anywhere.
func readVerifyUpload(r *http.Request) ([]byte, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch strings.ToLower(mt) {
	case "application/pdf":
		return readPDF(r.Body, r.ContentLength)
	case "multipart/form-data":
	default:
		return nil, errs.E(errs.Unsupported, "signature.verify.error.content_type").OnField("file")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errs.E(errs.Invalid, "signature.verify.error.form").OnField("file").Cause(err)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, errs.E(errs.Invalid, "signature.verify.error.empty").OnField("file")
		}
		if err != nil {
			return nil, uploadError(err)
		}
		if part.FormName() == "file" {
			return readPDF(part, r.ContentLength)
		}
		if _, err := io.Copy(io.Discard, io.LimitReader(part, 64<<10)); err != nil {
			return nil, uploadError(err)
		}
		_ = part.Close()
	}
}

// readPDF reads at most MaxVerifySize+1 bytes; size, the body's
// declared length when known, sizes the buffer once.
// closeIfUnread closes the connection after answering a body that was
// not read to its end (too large, cut): rather than receive the rest
// that nobody will look at.
func closeIfUnread(w http.ResponseWriter, err error) {
	switch errs.KindOf(err) {
	case errs.TooLarge, errs.Incomplete, errs.TooMany:
		w.Header().Set("Connection", "close")
	}
}

func readPDF(rd io.Reader, size int64) ([]byte, error) {
	var buf bytes.Buffer
	if size > 0 && size <= verifyBodyLimit {
		buf.Grow(int(size) + bytes.MinRead)
	}
	_, err := buf.ReadFrom(io.LimitReader(rd, MaxVerifySize+1))
	if err != nil {
		return nil, uploadError(err)
	}
	if buf.Len() > MaxVerifySize {
		return nil, tooLarge(nil)
	}
	return buf.Bytes(), nil
}

func tooLarge(cause error) error {
	return errs.E(errs.TooLarge, "signature.verify.error.too_large").With("max", MaxVerifySize>>20).OnField("file").Cause(cause)
}

// uploadError names what went wrong reading the body: too large, cut
// (errs.Incomplete from the router's upload deadline), or unreadable.
func uploadError(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return tooLarge(err)
	case errs.As(err) != nil:
		return err
	}
	return errs.E(errs.Invalid, "signature.verify.error.form").OnField("file").Cause(err)
}

// verifiedPage is the result page's model, its texts already in the
// request's language.
type verifiedPage struct {
	Verdict    string
	Problems   []web.FieldError // the red summary's lines (invalid, revoked)
	Signatures []verifiedRow
	Facts      []fact // the document's: fingerprint, Madina's record
}

// fact is a summary-list row.
type fact struct{ Key, Value, Href, Action string }

type verifiedRow struct {
	N, Verdict, Tag string
	Rows            []fact
}

var verdictTag = map[string]string{VerdictValid: "green", VerdictUntrusted: "yellow", VerdictRevoked: "red", VerdictInvalid: "red"}

func (h *Handlers) verifiedModel(r *http.Request, v *Verification) verifiedPage {
	lang := i18n.FromContext(r.Context())
	t := func(key string, params ...any) string { return h.Resp.Cat.T(lang, key, params...) }
	p := verifiedPage{Verdict: v.Verdict}
	for i, s := range v.Signatures {
		n := strconv.Itoa(i + 1)
		row := verifiedRow{N: n, Verdict: s.Verdict, Tag: verdictTag[s.Verdict]}
		add := func(key, value string) {
			if value != "" {
				row.Rows = append(row.Rows, fact{Key: t(key), Value: value})
			}
		}
		add("signature.verify.field.signer", s.Signer.Name)
		add("signature.verify.field.identity", s.Signer.Identity)
		add("signature.verify.field.organisation", s.Signer.Organisation)
		add("signature.verify.field.capacity", s.Signer.Title)
		switch {
		case s.TimeStamped:
			add("signature.verify.field.time", t("signature.verify.time.stamped", "time", i18n.FormatDateTime(lang, s.Time)))
		case !s.Time.IsZero():
			add("signature.verify.field.time", t("signature.verify.time.claimed", "time", i18n.FormatDateTime(lang, s.Time)))
		default:
			add("signature.verify.field.time", t("signature.verify.time.none"))
		}
		if s.Intact {
			add("signature.verify.field.integrity", t("signature.verify.integrity.ok"))
		} else {
			add("signature.verify.field.integrity", t("signature.verify.integrity.broken"))
		}
		if s.ChangedAfter {
			add("signature.verify.field.changes", t("signature.verify.changes.yes"))
		} else {
			add("signature.verify.field.changes", t("signature.verify.changes.no"))
		}
		switch {
		case s.Revoked:
			add("signature.verify.field.certificate", t("signature.verify.certificate.revoked", "time", i18n.FormatDateTime(lang, *s.RevokedAt)))
		case !s.Trusted:
			add("signature.verify.field.certificate", t("signature.verify.certificate.untrusted"))
		case !s.RevocationChecked:
			add("signature.verify.field.certificate", t("signature.verify.certificate.unchecked"))
		default:
			add("signature.verify.field.certificate", t("signature.verify.certificate.ok"))
		}
		switch s.Verdict {
		case VerdictInvalid:
			if !s.Intact {
				p.Problems = append(p.Problems, web.FieldError{Text: t("signature.verify.problem.broken", "n", n, "name", s.Signer.Name)})
			} else {
				p.Problems = append(p.Problems, web.FieldError{Text: t("signature.verify.problem.changed", "n", n, "name", s.Signer.Name)})
			}
		case VerdictRevoked:
			p.Problems = append(p.Problems, web.FieldError{Text: t("signature.verify.problem.revoked", "n", n, "name", s.Signer.Name)})
		}
		p.Signatures = append(p.Signatures, row)
	}
	if v.Issued != nil {
		p.Facts = append(p.Facts, fact{Key: t("signature.verify.field.issued"),
			Value: t("signature.verify.issued.yes", "kind", kindLabel(t, v.Issued.Kind), "reference", v.Issued.Reference, "date", i18n.FormatDate(lang, v.Issued.SignedAt))})
	} else {
		p.Facts = append(p.Facts, fact{Key: t("signature.verify.field.issued"), Value: t("signature.verify.issued.no")})
	}
	p.Facts = append(p.Facts, fact{Key: t("signature.verify.field.sha256"), Value: v.SHA256})
	return p
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// kindLabel names a kind of issued document (receipt, decision); an
// unknown kind is left out rather than shown as a key.
func kindLabel(t func(string, ...any) string, kind string) string {
	switch kind {
	case KindReceipt, KindDecision:
		return t("signature.verify.kind." + kind)
	}
	return ""
}
