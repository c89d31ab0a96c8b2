package staff

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/platform/csvx"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textnorm"
	"madina/internal/platform/web"
)

// auditPageSize is how many records the audit viewer shows at once.
const auditPageSize = 50

// auditExportMax bounds a CSV export of the audit log.
const auditExportMax = 20000

// auditRow is a record as the viewer shows it.
type auditRow struct {
	Seq                        int64
	At                         string
	ISO                        string // the instant in Casablanca, for the CSV
	Actor, ActorLabel          string
	Action, ActionCode         string
	Object, Digest, DigestHead string
}

// auditFilters are the viewer's filters as typed, from the address.
var auditFilters = []string{"from", "to", "actor", "object_type", "object_id"}

// auditDay reads a day typed as YYYY-MM-DD (Arabic-Indic digits welcome)
// as the start of that day in Casablanca.
func auditDay(s string) (time.Time, bool) {
	s = strings.TrimSpace(textnorm.Digits(s))
	if s == "" {
		return time.Time{}, true
	}
	t, err := time.ParseInLocation("2006-01-02", s, i18n.Casablanca)
	return t, err == nil
}

func (h *Handlers) adminAudit(w http.ResponseWriter, r *http.Request) error {
	v, err := h.adminAllowed(w, r, authz.ReadAudit)
	if v == nil {
		return err
	}
	ctx := r.Context()
	q := r.URL.Query()
	f := Form{Values: url.Values{}, Errors: map[string]string{}}
	for _, k := range auditFilters {
		f.Values.Set(k, strings.TrimSpace(q.Get(k)))
	}
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	filter := audit.Filter{ObjectType: f.Get("object_type"), ObjectID: f.Get("object_id"), BeforeSeq: max(before, 0),
		SealedOnly: q.Get("sealed") == "1", Limit: auditPageSize, ActingFor: true}
	status := http.StatusOK
	lang := i18n.FromContext(ctx)
	since, ok := auditDay(f.Get("from"))
	if !ok {
		f.Errors["from"] = h.Resp.Cat.T(lang, "admin.audit.bad_date")
	}
	until, ok2 := auditDay(f.Get("to"))
	if !ok2 {
		f.Errors["to"] = h.Resp.Cat.T(lang, "admin.audit.bad_date")
	}
	if ok && ok2 && !since.IsZero() && !until.IsZero() && until.Before(since) {
		f.Errors["to"] = h.Resp.Cat.T(lang, "admin.audit.bad_range")
	}
	filter.Since = since
	if !until.IsZero() {
		filter.Until = until.AddDate(0, 0, 1) // the whole day typed
	}
	if a := f.Get("actor"); a != "" {
		label, err := h.Service.AuditActor(ctx, v.op(), a)
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				return err
			}
			f.Errors["actor"] = h.message(r, err)
		}
		filter.Actor = label
	}
	csv := q.Get("format") == "csv"
	if len(f.Errors) > 0 {
		status, csv = http.StatusBadRequest, false
		filter = audit.Filter{Limit: auditPageSize} // the form says what is wrong; the log shows unfiltered
	}
	if csv {
		filter.Limit = 1000
	}
	page, err := h.Service.Audit(ctx, v.op(), filter)
	if err != nil {
		ff, st, ok := h.adminForm(r, f, err)
		if !ok || errs.Is(err, errs.Forbidden) || errs.Is(err, errs.NotFound) || errs.Is(err, errs.Unauthenticated) {
			return err
		}
		for k, m := range f.Errors {
			ff.Errors[k] = m
		}
		f, status, csv = ff, st, false
	}
	records := page.Records
	if csv {
		// The whole selection, a thousand at a time down the chain.
		for len(records) < auditExportMax && len(page.Records) == filter.Limit {
			// After a full page of records not sealed yet (seq 0), on from
			// the sealed chain's head.
			filter.BeforeSeq, filter.SealedOnly = records[len(records)-1].Seq, true
			if page, err = h.Service.Audit(ctx, v.op(), filter); err != nil {
				return err
			}
			records = append(records, page.Records...)
		}
	}
	names, err := h.Service.ActorNames(ctx, v.op(), records, string(lang))
	if err != nil {
		return err
	}
	rows := make([]auditRow, 0, len(records))
	for _, rec := range records {
		row := auditRow{Seq: rec.Seq, At: i18n.FormatDateTime(lang, rec.At), ISO: rec.At.In(i18n.Casablanca).Format("2006-01-02 15:04:05"),
			Actor: names[rec.Actor], ActorLabel: rec.Actor, ActionCode: rec.Action, Action: rec.Action, Digest: rec.ChangeDigest}
		if row.Actor == "" {
			row.Actor = rec.Actor
		}
		if key := "admin.audit.action." + rec.Action; h.Resp.Cat.Has(lang, key) {
			row.Action = h.Resp.Cat.T(lang, key)
		}
		row.Object = rec.ObjectType
		if rec.ObjectID != "" {
			row.Object += ":" + rec.ObjectID
		}
		if len(rec.ChangeDigest) > 12 {
			row.DigestHead = rec.ChangeDigest[:12]
		}
		rows = append(rows, row)
	}
	if csv {
		httpx.Private(r)
		t := func(k string) string { return h.Resp.Cat.T(lang, k) }
		out := [][]string{{"#", t("admin.audit.at"), t("admin.audit.actor"), t("admin.audit.csv.actor_label"), t("admin.audit.action"),
			t("admin.audit.csv.action_code"), t("admin.audit.object"), t("admin.audit.digest")}}
		for _, row := range rows {
			seq := ""
			if row.Seq > 0 {
				seq = strconv.FormatInt(row.Seq, 10)
			}
			out = append(out, []string{seq, row.ISO, row.Actor, row.ActorLabel, row.Action, row.ActionCode, row.Object, row.Digest})
		}
		return csvx.Write(w, "madina-audit.csv", out)
	}
	keep := url.Values{}
	for _, k := range auditFilters {
		if val := f.Get(k); val != "" && status == http.StatusOK {
			keep.Set(k, val)
		}
	}
	var older string
	if len(records) == auditPageSize {
		next := url.Values{}
		for k, vs := range keep {
			next[k] = vs
		}
		if last := records[len(records)-1].Seq; last > 0 {
			next.Set("before", strconv.FormatInt(last, 10))
		} else {
			// The page ended on a record not sealed yet (seq 0): the next
			// one starts at the sealed chain's head, not at this page again.
			next.Set("sealed", "1")
		}
		older = "/admin/audit?" + next.Encode()
	}
	export := url.Values{}
	for k, vs := range keep {
		export[k] = vs
	}
	export.Set("format", "csv")
	h.Web.Render(w, r, status, "staff/audit", web.Msg("admin.audit.title"), map[string]any{
		"Rows": rows, "Report": page.Report, "Form": f, "Older": older, "Export": "/admin/audit?" + export.Encode(),
		"Filtered": before > 0 || q.Get("sealed") != "" || len(keep) > 0 || status != http.StatusOK,
		"Errors":   f.ErrorList("from", "to", "actor", "object_type", "object_id")})
	return nil
}
