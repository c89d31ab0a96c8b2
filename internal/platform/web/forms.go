package web

import (
	"net/http"
	"net/url"
	"strconv"

	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
)

// Forms: how a page says what went wrong, and asks before an
// irreversible action (docs/ARCHITECTURE.md, "Forms").
//
// A form page keeps its submitted form at .Data.Form (a web.Form) and
// starts its content with {{template "form-errors" .}}: the error summary,
// red, linking to each field at fault. Its handler answers a failed post
// with one line,
//
//	return h.Web.RenderForm(w, r, "permit/x", web.Msg("permit.x.title"), data, form, err)
//
// which puts every mistake of err (its Field and Faults, errs.Fields) on
// its field, prefixes the page title with "Error:", answers with the
// error's status, and returns the errors that are not the person's own
// (a failure, a refusal) for the one error path.

// Failed reports whether the form has any error to show.
func (f Form) Failed() bool { return len(f.Errors) > 0 || f.Error != "" }

// WithError returns a copy of f carrying err's messages, translated in the
// request's language: err's Field and each of its Faults on their field,
// a message without a field above the form. The error summary lists them
// in f.Order — a handler whose checks do not run in the form's order sets
// it to the form's fields — then in the error's order. ok is false when err is not the person's mistake
// (no errs.Error, or an internal one): the caller returns err.
func (rd *Renderer) WithError(r *http.Request, f Form, err error) (_ Form, ok bool) {
	e := errs.As(err)
	if e == nil || e.Kind == errs.Internal {
		return f, false
	}
	lang := i18n.FromContext(r.Context())
	msg := func(field, key string, params map[string]any) string {
		// A message for this field ("identity.error.required.email": "Enter
		// your e-mail address") says which one, also in the summary.
		if key != "" && field != "" && rd.cat.Has(lang, key+"."+field) {
			return rd.cat.TMap(lang, key+"."+field, params)
		}
		if key != "" && rd.cat.Has(lang, key) {
			return rd.cat.TMap(lang, key, params)
		}
		return rd.cat.T(lang, "error."+string(e.Kind)+".message")
	}
	errors := make(map[string]string, len(f.Errors)+1+len(e.Faults))
	for k, v := range f.Errors {
		errors[k] = v
	}
	order := append([]string(nil), f.Order...)
	known := map[string]bool{}
	for _, k := range order {
		known[k] = true
	}
	put := func(field, text string) {
		if _, dup := errors[field]; dup {
			return
		}
		errors[field] = text
		if !known[field] {
			known[field] = true
			order = append(order, field)
		}
	}
	if e.Field != "" {
		put(e.Field, msg(e.Field, e.Key, e.Params))
	} else {
		f.Error = msg("", e.Key, e.Params)
	}
	for _, ft := range e.Faults {
		put(ft.Field, msg(ft.Field, ft.Key, ft.Params))
	}
	f.Errors, f.Order = errors, order
	return f, true
}

// RenderForm renders form page name again after a failed post: err's
// mistakes on their fields (WithError), data["Form"] set to the form, the
// status of err's kind (with Retry-After when the error says when). It
// returns err itself when err is not the person's mistake, and nil when it
// answered.
func (rd *Renderer) RenderForm(w http.ResponseWriter, r *http.Request, name string, title Message, data map[string]any, f Form, err error) error {
	f, ok := rd.WithError(r, f, err)
	if !ok {
		return err
	}
	if data == nil {
		data = map[string]any{}
	}
	data["Form"] = f
	e := errs.As(err)
	if e.Kind == errs.TooMany {
		if s, ok := e.Params["retry"].(int); ok {
			w.Header().Set("Retry-After", strconv.Itoa(s))
		}
	}
	rd.Render(w, r, httpx.Status(e.Kind), name, title, data)
	return nil
}

// failer is page data that can say its form failed.
type failer interface{ Failed() bool }

// failed reports whether a page's data carries a form with errors: its
// title then starts with "Error:" (component.error.page_title), the first
// thing a screen reader reads.
func failed(data any) bool {
	switch d := data.(type) {
	case map[string]any:
		if f, ok := d["Form"].(failer); ok {
			return f.Failed()
		}
	case failer:
		return d.Failed()
	}
	return false
}

// Confirm is a confirmation page: what an irreversible action will do,
// asked before it is done (GET shows it, the button POSTs). Render it with
// RenderConfirm; every text is a message key translated at rendering.
type Confirm struct {
	// Title is the question, the page's <h1> ("Revoke this mandate?").
	Title Message
	// Text says what will happen, plainly ("Ahmed can no longer file for
	// you from today.").
	Text Message
	// Facts are optional rows naming what the action is about
	// (summary-list: the mandate's professional, its scope).
	Facts []Fact
	// Warning is shown in red before the button; default
	// component.confirm.warning ("You cannot undo this.").
	Warning Message
	// Action is the address the button posts to; Hidden are its other
	// fields (the anti-forgery token is added).
	Action string
	Hidden map[string]string
	// HiddenValues are hidden fields sent with several values (the
	// documents a send-back asks for).
	HiddenValues url.Values
	// Inputs are fields the person fills in to confirm (a password, a
	// code), drawn by the "field" partial.
	Inputs []Input
	// Button is the action's verb ("Revoke the mandate"); the button is
	// red (.button.warning).
	Button Message
	// Back is the page "Cancel" returns to.
	Back string
	// Form is the submitted form after a failed post (its errors show in
	// the error summary).
	Form Form
}

// Fact is one row of a confirmation's facts.
type Fact struct {
	Key   Message
	Value string
	// Href and Action, when set, are a link beside the value (the
	// document the action is about: "Read it").
	Href   string
	Action Message
}

// Input is a field a confirmation asks for. Type "textarea" is a text of
// several lines (a refusal's reasons), drawn by the "textarea" partial,
// Optional when it may stay empty, MaxLength its limit in characters.
type Input struct {
	Name, Type, Label, Autocomplete string
	Optional                        bool
	MaxLength                       int
}

// Failed reports whether the confirmation comes back with errors.
func (c Confirm) Failed() bool { return c.Form.Failed() }

// RenderConfirm renders a confirmation page with status 200, or, after a
// failed post (c.Form carries errors: use WithError), with the status of
// the error (RenderConfirmError does both). The page's title is c.Title,
// prefixed "Error:" when the form failed.
func (rd *Renderer) RenderConfirm(w http.ResponseWriter, r *http.Request, status int, c Confirm) {
	if c.Warning.Key == "" {
		c.Warning = Msg("component.confirm.warning")
	}
	rd.Render(w, r, status, "web/confirm", c.Title, c)
}

// RenderConfirmError renders confirmation c again after its post failed
// with err: err's mistakes on their fields (WithError) above the typed
// values of c.Form, with the status of err's kind — the confirmation's
// address stays in the address bar, without any token, so nothing typed
// is lost. It returns err when err is not the person's mistake.
func (rd *Renderer) RenderConfirmError(w http.ResponseWriter, r *http.Request, c Confirm, err error) error {
	f, ok := rd.WithError(r, c.Form, err)
	if !ok {
		return err
	}
	c.Form = f
	rd.RenderConfirm(w, r, httpx.Status(errs.KindOf(err)), c)
	return nil
}

// Msg translates a Message, for templates: {{.Msg .Data.Title}}.
func (v *View) Msg(m Message) string { return v.T(m.Key, m.Params...) }

// ConfirmFacts are a confirmation's facts as summary-list rows.
func (v *View) ConfirmFacts(fs []Fact) []map[string]any {
	out := make([]map[string]any, len(fs))
	for i, f := range fs {
		out[i] = map[string]any{"Key": v.Msg(f.Key), "Value": f.Value}
		if f.Href != "" {
			out[i]["Href"], out[i]["Action"] = f.Href, v.Msg(f.Action)
		}
	}
	return out
}

// RenderSecondFactorNeeded answers the refusal err with 403 and the page
// that explains that the action needs a session that passed the second
// factor, and leads to the security page: for staff whose role would allow
// the action once they have (authz.AllowedWithSecondFactor). The refusal
// is logged as every refusal is.
func (rd *Renderer) RenderSecondFactorNeeded(w http.ResponseWriter, r *http.Request, err error) {
	rd.log.InfoContext(r.Context(), "request refused", "request_id", httpx.RequestID(r.Context()),
		"path", r.URL.Path, "kind", string(errs.Forbidden), "err", err.Error())
	rd.Render(w, r, http.StatusForbidden, "web/second_factor", Msg("second_factor.title"), nil)
}
