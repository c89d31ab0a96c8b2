// Package portal is the Casablanca-City portal's front door: the home page
// that presents the city's services and says which work online today, and
// the public pages every page's footer links to (contact, help,
// accessibility, terms of use, privacy notice).
package portal

import (
	"context"
	"embed"
	"log/slog"
	"net/http"
	"slices"
	"sync"

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

// Service states on the home page.
const (
	Online = "online" // people can use it end to end today
	Info   = "info"   // its information is online, not yet the service
	Soon   = "soon"   // nothing of it is online yet
)

// Service is a service the city offers, as the home page lists it.
type Service struct {
	Key string // portal.service.KEY.title / .text
	// Href is where its pages are, when it has some.
	Href string
	// Family is the permit family a permit service files, asked of the
	// Filing capability.
	Family string
	// Always marks a service the portal itself depends on (the
	// arrondissements: the district reference every capability imports).
	Always bool
}

// Services lists the city's services in the order of the home page. A new
// capability adds its line here, and its state comes from what it says it
// serves.
var Services = []Service{
	{Key: "urban_permits", Href: "/procedures?family=urban", Family: "urban"},
	{Key: "economic_permits", Href: "/procedures?family=economic", Family: "economic"},
	{Key: "booking"},
	{Key: "complaints"},
	{Key: "map"},
	{Key: "arrondissements", Href: "/arrondissements", Always: true},
	{Key: "apps"},
	{Key: "opendata"},
}

// Filing is what the home page asks the permit capability: which families
// of permit can be filed online today. Permit's service provides it.
type Filing interface {
	FilingFamilies() []string
}

// ServiceView is a service with its state today.
type ServiceView struct {
	Service
	State string
}

// Home is the home page's data.
type Home struct {
	Services []ServiceView
	// Track is true when files can be followed by number and code
	// (/track): the permit capability is there.
	Track bool
}

// States derives each service's state from what the running capabilities
// offer: a permit family is online when filing finds kinds of it, a
// service with pages only is "info", one with nothing is "soon". filing is
// nil when no capability files permits.
func States(services []Service, filing Filing) Home {
	var fams []string
	if filing != nil {
		fams = filing.FilingFamilies()
	}
	h := Home{Services: make([]ServiceView, 0, len(services)), Track: filing != nil}
	for _, s := range services {
		v := ServiceView{Service: s, State: Soon}
		switch {
		case s.Always, s.Family != "" && slices.Contains(fams, s.Family):
			v.State = Online
		case s.Family != "" && filing == nil:
			v.Href = "" // the procedure pages come with the permit capability
		case s.Href != "":
			v.State = Info
		}
		h.Services = append(h.Services, v)
	}
	return h
}

// Handlers serve the portal pages.
type Handlers struct {
	Web *web.Renderer
	// Filing finds the capability that files permits; nil or an error:
	// none (the services say "soon").
	Filing func() (Filing, error)
	Log    *slog.Logger

	once sync.Once
	home Home
}

// Routes registers the home page and the public information pages.
func (h *Handlers) Routes(rt *httpx.Router) {
	rt.HandleFunc("GET /{$}", h.homePage)
	h.infoRoutes(rt)
}

// states is the home page's data, derived once: capabilities do not come
// and go while the process runs.
func (h *Handlers) states() Home {
	h.once.Do(func() {
		var f Filing
		if h.Filing != nil {
			var err error
			if f, err = h.Filing(); err != nil && h.Log != nil {
				h.Log.Info("portal: no capability files permits", "err", err.Error())
			}
		}
		h.home = States(Services, f)
	})
	return h.home
}

func (h *Handlers) homePage(w http.ResponseWriter, r *http.Request) {
	h.Web.RenderStatic(w, r, "portal/home", web.Msg("portal.home.title"), h.states())
}

// Module is the portal's front door as the application lists it.
var Module = module.Module{
	Name:     "portal",
	Messages: Messages,
	Pages:    &Pages,
	// No "Home" entry: the site's name in the header leads home, and the
	// header's one line has room for a capability more.
	Start: func(ctx context.Context, env *module.Env) (module.Parts, error) {
		// The portal starts first: it looks for the permit capability on
		// the first request, once every capability has started.
		h := &Handlers{Web: env.Web, Log: env.Log, Filing: func() (Filing, error) { return module.Need[Filing](env) }}
		return module.Parts{Routes: h.Routes}, nil
	},
}
