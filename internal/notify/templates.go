package notify

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"text/template"
)

// templateFS holds templates/{lang}/{name}.tmpl; each file defines the
// three parts of one message in one language.
//
//go:embed templates
var templateFS embed.FS

// Parts every template defines in every language.
var Parts = []string{"subject", "text", "sms"}

// Rendered is a message rendered in one language.
type Rendered struct {
	Subject string // e-mail subject and inbox title, one line
	Text    string // e-mail body and inbox body, plain text
	SMS     string // short text
}

type templates struct {
	byKey map[string]*template.Template // name + "/" + lang
	names []string
}

// loadTemplates parses every template of every source and checks that each
// exists in every language with every part. A name defined by two sources
// is an error.
func loadTemplates(sources ...fs.FS) (*templates, error) {
	ts := &templates{byKey: map[string]*template.Template{}}
	names := map[string]map[string]bool{}
	for _, fsys := range sources {
		if err := ts.load(fsys, names); err != nil {
			return nil, err
		}
	}
	for name, langs := range names {
		for _, lang := range Langs {
			if !langs[lang] {
				return nil, fmt.Errorf("notify: template %s is missing in %s", name, lang)
			}
		}
		ts.names = append(ts.names, name)
	}
	sort.Strings(ts.names)
	return ts, nil
}

func (ts *templates) load(fsys fs.FS, names map[string]map[string]bool) error {
	for _, lang := range Langs {
		dir := path.Join("templates", lang)
		entries, err := fs.ReadDir(fsys, dir)
		if err != nil {
			return fmt.Errorf("notify: templates for %s: %w", lang, err)
		}
		for _, e := range entries {
			if e.IsDir() || !strings.HasSuffix(e.Name(), ".tmpl") {
				continue
			}
			name := strings.TrimSuffix(e.Name(), ".tmpl")
			t, err := template.New(e.Name()).Option("missingkey=error").ParseFS(fsys, path.Join(dir, e.Name()))
			if err != nil {
				return fmt.Errorf("notify: template %s/%s: %w", lang, name, err)
			}
			for _, p := range Parts {
				if t.Lookup(p) == nil {
					return fmt.Errorf("notify: template %s/%s has no %q part", lang, name, p)
				}
			}
			if _, dup := ts.byKey[name+"/"+lang]; dup {
				return fmt.Errorf("notify: template %s/%s defined twice", lang, name)
			}
			ts.byKey[name+"/"+lang] = t
			if names[name] == nil {
				names[name] = map[string]bool{}
			}
			names[name][lang] = true
		}
	}
	return nil
}

func (ts *templates) has(name string) bool {
	_, ok := ts.byKey[name+"/"+Langs[0]]
	return ok
}

func (ts *templates) render(name, lang string, data map[string]any) (Rendered, error) {
	t, ok := ts.byKey[name+"/"+lang]
	if !ok {
		return Rendered{}, errTemplate.With("template", name)
	}
	var out [3]string
	for i, p := range Parts {
		var b strings.Builder
		if err := t.ExecuteTemplate(&b, p, data); err != nil {
			return Rendered{}, fmt.Errorf("notify: render %s/%s %s: %w", lang, name, p, err)
		}
		out[i] = strings.TrimSpace(b.String())
		if out[i] == "" {
			return Rendered{}, fmt.Errorf("notify: template %s/%s renders an empty %s", lang, name, p)
		}
	}
	return Rendered{
		Subject: strings.Join(strings.Fields(out[0]), " "),
		Text:    out[1],
		SMS:     strings.Join(strings.Fields(out[2]), " "),
	}, nil
}
