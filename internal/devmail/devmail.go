// Package devmail is the development outbox: with serve --dev-outbox
// (make run sets it), every e-mail and SMS that no SMTP server or SMS
// gateway sends is kept by notify in memory, and this page shows it in
// full, links clickable, to a browser on the same machine — so that a
// developer can verify a new account, reset a password or read a phone
// code locally. Without the flag it adds nothing; production logs keep
// only masked metadata (docs/ARCHITECTURE.md, "Notices").
package devmail

import (
	"context"
	"embed"
	"fmt"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"madina/internal/module"
	"madina/internal/notify"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/web"
)

//go:embed templates/*.html
var templates embed.FS

// Pages are this capability's page templates.
var Pages = web.Pages{Prefix: "devmail", FS: templates}

// Messages are this capability's texts.
//
//go:embed messages/*.json
var Messages embed.FS

// Path is the outbox page's address.
const Path = "/dev/outbox"

// Module is the development outbox as the application lists it.
var Module = module.Module{
	Name:     "devmail",
	Messages: Messages,
	Pages:    &Pages,
	Start: func(ctx context.Context, env *module.Env) (module.Parts, error) {
		box := env.Notify.Outbox()
		if !env.Cfg.DevOutbox || box == nil {
			return module.Parts{}, nil
		}
		env.Log.Warn("development outbox on: e-mails and SMS not sent are readable in full, from this machine only",
			"url", strings.TrimSuffix(env.Cfg.BaseURL, "/")+Path,
			"smtp", env.Cfg.SMTP.Host != "", "sms", env.Cfg.SMS.URL != "")
		h := &Handlers{Web: env.Web, Outbox: box}
		return module.Parts{Routes: h.Routes}, nil
	},
}

// Handlers serve the outbox.
type Handlers struct {
	Web    *web.Renderer
	Outbox *notify.Outbox
}

// Routes registers the outbox's page and its attachments.
func (h *Handlers) Routes(rt *httpx.Router) {
	rt.HandleErr("GET "+Path, h.list)
	rt.HandleErr("GET "+Path+"/{id}/{n}", h.attachment)
}

// errNotHere answers a client from elsewhere as if nothing were here: the
// outbox holds other people's links and codes.
var errNotHere = errs.E(errs.NotFound, "error.route")

// Message is a kept message as the page shows it.
type Message struct {
	notify.Kept
	Parts []Part // the text, its links apart
	Files []File
}

// File is an attachment as the page links it.
type File struct {
	N    int // from 1, in its address
	Name string
	Type string
	Size int
}

func (h *Handlers) list(w http.ResponseWriter, r *http.Request) error {
	if !httpx.FromThisMachine(r) {
		return errNotHere
	}
	kept := h.Outbox.List(strings.TrimSpace(r.URL.Query().Get("to")))
	if len(kept) > 100 {
		kept = kept[:100]
	}
	msgs := make([]Message, len(kept))
	for i, k := range kept {
		msgs[i] = Message{Kept: k, Parts: Linkify(k.Text)}
		for j, a := range k.Attachments {
			msgs[i].Files = append(msgs[i].Files, File{N: j + 1, Name: a.Name, Type: a.ContentType, Size: len(a.Data)})
		}
	}
	httpx.Private(r)
	h.Web.Render(w, r, http.StatusOK, "devmail/outbox", web.Msg("devmail.title"),
		map[string]any{"Messages": msgs, "To": r.URL.Query().Get("to")})
	return nil
}

func (h *Handlers) attachment(w http.ResponseWriter, r *http.Request) error {
	if !httpx.FromThisMachine(r) {
		return errNotHere
	}
	id, err1 := strconv.ParseInt(r.PathValue("id"), 10, 64)
	n, err2 := strconv.Atoi(r.PathValue("n"))
	k, ok := h.Outbox.Get(id)
	if err1 != nil || err2 != nil || !ok || n < 1 || n > len(k.Attachments) {
		return errs.E(errs.NotFound, "error.route")
	}
	a := k.Attachments[n-1]
	w.Header().Set("Content-Type", a.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Name}))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Length", fmt.Sprint(len(a.Data)))
	_, _ = w.Write(a.Data)
	return nil
}

// Part is a piece of a message's text: plain, or a link.
type Part struct {
	Text string
	URL  string // set for a link (http or https)
}

// Chunks is a link's text in pieces short enough for a phone's width: the
// page puts a line-break opportunity (<wbr>) between them, since a token
// has no space to break at.
func (p Part) Chunks() []string {
	const n = 20
	var out []string
	s := p.Text
	for len(s) > n {
		i := n
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		out = append(out, s[:i])
		s = s[i:]
	}
	return append(out, s)
}

// linkRE finds http(s) links in plain text, up to a space or a character
// that cannot end one.
var linkRE = regexp.MustCompile(`https?://[^\s<>"]+`)

// Linkify splits text into plain parts and links, so that a template
// makes the links clickable and escapes everything. Punctuation that ends
// a sentence is left out of a link.
func Linkify(text string) []Part {
	var out []Part
	last := 0
	for _, m := range linkRE.FindAllStringIndex(text, -1) {
		start, end := m[0], m[1]
		for end > start {
			r, size := utf8.DecodeLastRuneInString(text[start:end])
			if !strings.ContainsRune(".,;:!?)»”’'", r) {
				break
			}
			end -= size
		}
		if start > last {
			out = append(out, Part{Text: text[last:start]})
		}
		out = append(out, Part{Text: text[start:end], URL: text[start:end]})
		last = end
	}
	if last < len(text) {
		out = append(out, Part{Text: text[last:]})
	}
	return out
}
