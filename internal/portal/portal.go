// Package portal is the Casablanca-City portal's front door: the home page
// that presents the city's services and says which are open online today.
package portal

import (
	"context"
	"embed"
	"net/http"

	"madina/internal/module"
	"madina/internal/platform/httpx"
	"madina/internal/platform/web"
)

//go:embed templates/*.html
var templates embed.FS

// Pages are this capability's page templates.
var Pages = web.Pages{Prefix: "portal", FS: templates}

// Messages are this capability's texts.
//
//go:embed messages/*.json
var Messages embed.FS

// Service is a service the city offers on the platform. Href is empty
// while nothing of it is online yet; InfoOnly marks a service whose
// information is online but not yet the service itself.
type Service struct {
	Key      string // portal.service.KEY.title / .text
	Href     string
	InfoOnly bool
}

// Services lists the city's services in the order of the home page. Each
// capability gets its link here when it opens.
var Services = []Service{
	{Key: "urban_permits", Href: "/procedures?family=urban", InfoOnly: true},
	{Key: "economic_permits", Href: "/procedures?family=economic", InfoOnly: true},
	{Key: "booking"},
	{Key: "complaints"},
	{Key: "map"},
	{Key: "arrondissements", Href: "/arrondissements"},
	{Key: "apps"},
	{Key: "opendata"},
}

// Handlers serve the portal pages.
type Handlers struct {
	Web *web.Renderer
}

// Routes registers the home page.
func (h *Handlers) Routes(rt *httpx.Router) {
	rt.HandleFunc("GET /{$}", h.home)
}

func (h *Handlers) home(w http.ResponseWriter, r *http.Request) {
	h.Web.RenderStatic(w, r, "portal/home", web.Msg("portal.home.title"), Services)
}

// Module is the portal's front door as the application lists it.
var Module = module.Module{
	Name:     "portal",
	Messages: Messages,
	Pages:    &Pages,
	Nav:      []web.NavItem{{Key: "nav.home", Href: "/", Rank: 10}},
	Start: func(ctx context.Context, env *module.Env) (module.Parts, error) {
		return module.Parts{Routes: (&Handlers{Web: env.Web}).Routes}, nil
	},
}
