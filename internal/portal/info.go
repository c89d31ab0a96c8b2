package portal

import (
	"net/http"

	"madina/internal/platform/httpx"
	"madina/internal/platform/web"
)

// InfoPage is a public page of text the footer links to. Its texts are
// message keys portal.NAME.title and .intro, and for each section
// portal.NAME.SECTION.title, .p1 … .pN (paragraphs) and .i1 … .iN (a
// bulleted list), in messages/legal.{ar,fr,en}.json.
type InfoPage struct {
	Name     string
	Path     string
	Sections []InfoSection
}

// InfoSection is a titled part of an information page.
type InfoSection struct {
	Key   string
	Paras int
	Items int
	Links []InfoLink // after the paragraphs
}

// InfoLink is a link to another page, its text a message key.
type InfoLink struct {
	Href, Key string
}

// InfoPages are the pages the footer links to, in its order.
var InfoPages = []InfoPage{
	{Name: "contact", Path: "/contact", Sections: []InfoSection{
		{Key: "city", Paras: 2},
		{Key: "windows", Paras: 1, Links: []InfoLink{{"/arrondissements", "portal.contact.windows.link"}}},
		{Key: "files", Paras: 1, Links: []InfoLink{{"/track", "portal.track.link"}}},
		{Key: "data", Paras: 1, Links: []InfoLink{{"/privacy", "portal.privacy.title"}}},
	}},
	{Name: "help", Path: "/help", Sections: []InfoSection{
		{Key: "account", Paras: 1, Items: 3},
		{Key: "file", Paras: 1, Items: 4, Links: []InfoLink{{"/procedures", "portal.help.file.link"}}},
		{Key: "track", Paras: 1, Links: []InfoLink{{"/track", "portal.track.link"}}},
		{Key: "language", Paras: 1},
		{Key: "more", Paras: 1, Links: []InfoLink{{"/contact", "portal.contact.title"}}},
	}},
	{Name: "accessibility", Path: "/accessibility", Sections: []InfoSection{
		{Key: "status", Paras: 2},
		{Key: "done", Paras: 0, Items: 5},
		{Key: "limits", Paras: 1, Items: 3},
		{Key: "report", Paras: 2, Links: []InfoLink{{"/contact", "portal.contact.title"}}},
	}},
	{Name: "terms", Path: "/terms", Sections: []InfoSection{
		{Key: "object", Paras: 1},
		{Key: "account", Paras: 1, Items: 3},
		{Key: "filing", Paras: 2},
		{Key: "availability", Paras: 1},
		{Key: "data", Paras: 1, Links: []InfoLink{{"/privacy", "portal.privacy.title"}}},
		{Key: "law", Paras: 1},
	}},
	{Name: "privacy", Path: "/privacy", Sections: []InfoSection{
		{Key: "controller", Paras: 2},
		{Key: "what", Paras: 1, Items: 6},
		{Key: "why", Paras: 1, Items: 4},
		{Key: "who", Paras: 1},
		{Key: "how_long", Paras: 0, Items: 5},
		{Key: "rights", Paras: 1, Items: 3},
		{Key: "exercise", Paras: 2, Links: []InfoLink{{"/me/export", "portal.privacy.exercise.export"}, {"/me/preferences", "portal.privacy.exercise.preferences"}}},
		{Key: "security", Paras: 1},
		{Key: "cookies", Paras: 1},
	}},
}

// infoRoutes registers the information pages.
func (h *Handlers) infoRoutes(rt *httpx.Router) {
	for _, p := range InfoPages {
		rt.HandleFunc("GET "+p.Path, func(w http.ResponseWriter, r *http.Request) {
			h.Web.RenderStatic(w, r, "portal/info", web.Msg("portal."+p.Name+".title"), p)
		})
	}
}

// Seq counts from 1 to n, for the templates' paragraphs and items.
func (s InfoSection) Seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}
