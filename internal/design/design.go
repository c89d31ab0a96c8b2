// Package design serves the living style page, /design: every component
// of the design system (internal/platform/web/layout/components.html),
// rendered with the real stylesheet in the request's language, so that a
// developer picks parts instead of writing CSS and a reviewer sees them in
// Arabic, French and English. Staff only (authz.ReadDesign).
package design

import (
	"context"
	"embed"
	"net/http"
	"net/url"
	"time"

	"madina/internal/authz"
	"madina/internal/module"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

//go:embed templates/*.html
var templates embed.FS

// Pages are this capability's page templates.
var Pages = web.Pages{Prefix: "design", FS: templates}

// Messages are the style page's sample texts.
//
//go:embed messages/*.json
var Messages embed.FS

// Handlers serve the style page.
type Handlers struct {
	Web *web.Renderer
	Cat *i18n.Catalog
}

// Routes registers /design.
func (h *Handlers) Routes(rt *httpx.Router) {
	rt.HandleErr("GET /design", h.page)
}

// Data is what the style page shows besides its texts: a form with one
// error, to show a field in error and the error summary linking to it.
type Data struct {
	Form  web.Form
	Today time.Time
}

func (h *Handlers) page(w http.ResponseWriter, r *http.Request) error {
	c := authz.FromContext(r.Context())
	switch {
	case c.Pending:
		http.Redirect(w, r, "/signin/second-factor?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	case !c.SignedIn:
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return nil
	}
	if err := authz.Check(c.Actor, authz.ReadDesign, authz.Resource{}); err != nil {
		return err
	}
	lang := i18n.FromContext(r.Context())
	form := web.Form{
		Values: url.Values{"demo-name": {h.Cat.T(lang, "design.field.name.sample")}, "demo-email": {"fatima.benali@example"}},
		Errors: map[string]string{"demo-email": h.Cat.T(lang, "design.field.email.error")},
	}
	h.Web.Render(w, r, http.StatusOK, "design/design", web.Msg("design.title"), Data{Form: form, Today: time.Now()})
	return nil
}

// Module is the style page as the application lists it.
var Module = module.Module{
	Name:     "design",
	Messages: Messages,
	Pages:    &Pages,
	Start: func(ctx context.Context, env *module.Env) (module.Parts, error) {
		return module.Parts{Routes: (&Handlers{Web: env.Web, Cat: env.Cat}).Routes}, nil
	},
}
