// Package i18n holds Madina's message catalogues (Arabic first, then French
// and English), picks the language of each request, and formats dates in
// Africa/Casablanca time for people. Every capability ships its messages as
// messages/{ar,fr,en}.json and hands them to Load; a test fails when a key is
// missing in one language.
package i18n

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/text/language"
)

// Lang is a supported language code.
type Lang string

const (
	AR Lang = "ar"
	FR Lang = "fr"
	EN Lang = "en"
)

// Langs lists the supported languages, the default first.
var Langs = []Lang{AR, FR, EN}

// Default is the language used when nothing else decides.
const Default = AR

// Parse returns the supported language named by s.
func Parse(s string) (Lang, bool) {
	switch Lang(strings.ToLower(strings.TrimSpace(s))) {
	case AR:
		return AR, true
	case FR:
		return FR, true
	case EN:
		return EN, true
	}
	return "", false
}

// Dir is the writing direction of l: "rtl" or "ltr".
func (l Lang) Dir() string {
	if l == AR {
		return "rtl"
	}
	return "ltr"
}

// Name is the language's own name, for the switcher.
func (l Lang) Name() string {
	switch l {
	case AR:
		return "العربية"
	case FR:
		return "Français"
	}
	return "English"
}

// Catalog maps each language's keys to message templates.
type Catalog struct {
	msgs map[Lang]map[string]string
	// plurals holds the messages that change with a number, by plural
	// category ("one", "other"…, see PluralCategory); their msgs entry is
	// the "other" form.
	plurals map[Lang]map[string]map[string]string
	misses  atomic.Pointer[Misses]
}

var placeholder = regexp.MustCompile(`\{([a-zA-Z0-9_]+)\}`)

// optionalPlural finds the "notification(s)" way of dodging a plural,
// which Check refuses: such a message takes plural forms instead.
var optionalPlural = regexp.MustCompile(`[^\s(]\((?:s|e|es|x|ات|ة|ون|ين)\)`)

// Load reads, from every source, messages/{ar,fr,en}.json and any
// messages/NAME.{ar,fr,en}.json beside them (a capability may split its
// texts by subject). A key defined twice is an error, so capabilities
// cannot silently override each other.
func Load(sources ...fs.FS) (*Catalog, error) {
	c := &Catalog{msgs: map[Lang]map[string]string{}, plurals: map[Lang]map[string]map[string]string{}}
	for _, l := range Langs {
		c.msgs[l] = map[string]string{}
		c.plurals[l] = map[string]map[string]string{}
	}
	for _, src := range sources {
		files, err := fs.Glob(src, "messages/*.json")
		if err != nil {
			return nil, fmt.Errorf("i18n: %w", err)
		}
		for _, l := range Langs {
			if !contains(files, "messages/"+string(l)+".json") {
				return nil, fmt.Errorf("i18n: messages/%s.json missing", l)
			}
		}
		for _, f := range files {
			base := strings.TrimSuffix(path.Base(f), ".json")
			l, ok := Parse(base[strings.LastIndex(base, ".")+1:])
			if !ok {
				return nil, fmt.Errorf("i18n: %s: name must end in .ar.json, .fr.json or .en.json", f)
			}
			b, err := fs.ReadFile(src, f)
			if err != nil {
				return nil, fmt.Errorf("i18n: %w", err)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, fmt.Errorf("i18n: %s: %w", f, err)
			}
			for k, raw := range m {
				if _, dup := c.msgs[l][k]; dup {
					return nil, fmt.Errorf("i18n: key %q defined twice for %s", k, l)
				}
				var v string
				if err := json.Unmarshal(raw, &v); err == nil {
					c.msgs[l][k] = v
					continue
				}
				// A message that changes with a number: its forms by
				// plural category.
				var forms map[string]string
				if err := json.Unmarshal(raw, &forms); err != nil {
					return nil, fmt.Errorf("i18n: %s: %q is neither a text nor plural forms", f, k)
				}
				c.msgs[l][k] = forms["other"]
				c.plurals[l][k] = forms
			}
		}
	}
	return c, nil
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Check reports every key missing in a language, every plural message
// lacking one of its language's forms (or with a form the language does
// not have), every text that writes a plural as "(s)", and every key whose
// placeholders differ between languages.
func (c *Catalog) Check() []string {
	var probs []string
	all := map[string]bool{}
	for _, l := range Langs {
		for k := range c.msgs[l] {
			all[k] = true
		}
	}
	for k := range all {
		var ref []string
		for i, l := range Langs {
			v, ok := c.msgs[l][k]
			if !ok || strings.TrimSpace(v) == "" {
				probs = append(probs, fmt.Sprintf("%s: missing in %s", k, l))
				continue
			}
			if optionalPlural.MatchString(v) {
				probs = append(probs, fmt.Sprintf("%s: %q in %s: give plural forms instead", k, optionalPlural.FindString(v), l))
			}
			ps := placeholders(v)
			if forms, plural := c.plurals[l][k]; plural {
				probs = append(probs, checkForms(k, l, forms)...)
				ps = nil
				for _, f := range forms {
					ps = append(ps, placeholders(f)...)
				}
				ps = uniq(ps)
			}
			if i == 0 || ref == nil {
				ref = ps
			} else if strings.Join(ps, ",") != strings.Join(ref, ",") {
				probs = append(probs, fmt.Sprintf("%s: placeholders %v in %s differ from %v", k, ps, l, ref))
			}
		}
	}
	sort.Strings(probs)
	return probs
}

func checkForms(k string, l Lang, forms map[string]string) []string {
	var probs []string
	for _, cat := range pluralCategories[l] {
		if strings.TrimSpace(forms[cat]) == "" {
			probs = append(probs, fmt.Sprintf("%s: plural form %q missing in %s", k, cat, l))
		}
	}
	for cat := range forms {
		if !slices.Contains(pluralCategories[l], cat) {
			probs = append(probs, fmt.Sprintf("%s: %s has no plural form %q", k, l, cat))
		}
	}
	return probs
}

func uniq(ss []string) []string {
	sort.Strings(ss)
	return slices.Compact(ss)
}

func placeholders(s string) []string {
	var out []string
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return out
}

// Has reports whether key exists in language l.
func (c *Catalog) Has(l Lang, key string) bool { _, ok := c.msgs[l][key]; return ok }

// Keys returns every key of language l, sorted.
func (c *Catalog) Keys(l Lang) []string {
	ks := make([]string, 0, len(c.msgs[l]))
	for k := range c.msgs[l] {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// T translates key into l, filling {name} placeholders from params given as
// name, value pairs; a Text value gives its l version. A plural message
// takes the form of the "count" parameter's plural category in l. A missing key shows
// as the key itself, which the catalogue test prevents from reaching users.
func (c *Catalog) T(l Lang, key string, params ...any) string {
	s, ok := c.msgs[l][key]
	if forms, plural := c.plurals[l][key]; plural {
		s = forms[PluralCategory(l, countOf(params))]
	}
	if !ok {
		if m := c.misses.Load(); m != nil {
			m.add(l, key)
		}
		s, ok = c.msgs[Default][key]
		if !ok {
			return key
		}
	}
	if len(params) == 0 || !strings.Contains(s, "{") {
		return s
	}
	vals := map[string]string{}
	for i := 0; i+1 < len(params); i += 2 {
		if t, ok := params[i+1].(Text); ok {
			vals[fmt.Sprint(params[i])] = t.Pick(l)
			continue
		}
		vals[fmt.Sprint(params[i])] = fmt.Sprint(params[i+1])
	}
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		if v, ok := vals[m[1:len(m)-1]]; ok {
			return v
		}
		return m
	})
}

// countOf returns the "count" parameter of params as a whole number, 0 if
// there is none.
func countOf(params []any) int64 {
	for i := 0; i+1 < len(params); i += 2 {
		if params[i] != "count" {
			continue
		}
		switch n := params[i+1].(type) {
		case int:
			return int64(n)
		case int64:
			return n
		case int32:
			return int64(n)
		case uint:
			return int64(n)
		}
	}
	return 0
}

// pluralCategories are the plural forms each language's messages give
// (CLDR's plural rules for cardinal whole numbers).
var pluralCategories = map[Lang][]string{
	AR: {"zero", "one", "two", "few", "many", "other"},
	FR: {"one", "other"},
	EN: {"one", "other"},
}

// PluralCategory is the CLDR plural category of the whole number n in l:
// Arabic has six (0 zero; 1 one; 2 two; 3–10 few and 11–99 many, by the
// last two digits; other), French two (0 and 1 are one), English two.
// French's "many" (exact millions: "1 000 000 de …") is left to "other".
func PluralCategory(l Lang, n int64) string {
	if n < 0 {
		n = -n
	}
	switch l {
	case AR:
		switch r := n % 100; {
		case n == 0:
			return "zero"
		case n == 1:
			return "one"
		case n == 2:
			return "two"
		case r >= 3 && r <= 10:
			return "few"
		case r >= 11 && r <= 99:
			return "many"
		}
		return "other"
	case FR:
		if n <= 1 {
			return "one"
		}
		return "other"
	}
	if n == 1 {
		return "one"
	}
	return "other"
}

// Misses records the keys looked up with no text in the language asked
// for, as "lang:key". It is what tests read to prove that no page shows a
// raw key or a text in the wrong language, whatever the key's prefix.
type Misses struct {
	mu   sync.Mutex
	keys map[string]bool
}

// TrackMisses starts recording, from now on, every key T (or TMap) looks
// up without a text in the language asked for, and returns the record (the
// same one if tracking had already started). What T shows is unchanged: the
// default language's text, else the key. Production does not track.
func (c *Catalog) TrackMisses() *Misses {
	c.misses.CompareAndSwap(nil, &Misses{keys: map[string]bool{}})
	return c.misses.Load()
}

func (m *Misses) add(l Lang, key string) {
	m.mu.Lock()
	m.keys[string(l)+":"+key] = true
	m.mu.Unlock()
}

// Take returns the keys recorded since the last Take, sorted, and forgets
// them.
func (m *Misses) Take() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.keys))
	for k := range m.keys {
		out = append(out, k)
	}
	clear(m.keys)
	sort.Strings(out)
	return out
}

// TMap is T with parameters in a map.
func (c *Catalog) TMap(l Lang, key string, params map[string]any) string {
	ps := make([]any, 0, 2*len(params))
	for k, v := range params {
		ps = append(ps, k, v)
	}
	return c.T(l, key, ps...)
}

type ctxKey struct{}

// WithLang returns ctx carrying l.
func WithLang(ctx context.Context, l Lang) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// FromContext returns the request's language, Default if none was set.
func FromContext(ctx context.Context) Lang {
	if l, ok := ctx.Value(ctxKey{}).(Lang); ok {
		return l
	}
	return Default
}

var matcher = language.NewMatcher([]language.Tag{language.Arabic, language.French, language.English})

// CookieName is the cookie remembering a person's chosen language.
const CookieName = "lang"

// Negotiate picks the language of r: the lang cookie, then Accept-Language,
// then Default. (An explicit ?lang= is handled by the HTTP middleware, which
// must answer a bad code with an error.)
func Negotiate(r *http.Request) Lang {
	if ck, err := r.Cookie(CookieName); err == nil {
		if l, ok := Parse(ck.Value); ok {
			return l
		}
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			_, idx, conf := matcher.Match(tags...)
			if conf != language.No {
				return Langs[idx]
			}
		}
	}
	return Default
}

// Casablanca is the city's time zone, from the tz database (its offset
// changes around Ramadan: never use a fixed offset).
var Casablanca = mustZone("Africa/Casablanca")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("i18n: time zone " + name + " missing: import time/tzdata in main: " + err.Error())
	}
	return loc
}

var months = map[Lang][12]string{
	// Moroccan Arabic month names, as used by the administration.
	AR: {"يناير", "فبراير", "مارس", "أبريل", "ماي", "يونيو", "يوليوز", "غشت", "شتنبر", "أكتوبر", "نونبر", "دجنبر"},
	FR: {"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
	EN: {"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
}

// FormatDate writes t's day in Casablanca time, e.g. "22 نونبر 2026".
func FormatDate(l Lang, t time.Time) string {
	t = t.In(Casablanca)
	ms, ok := months[l]
	if !ok {
		ms = months[Default]
	}
	return fmt.Sprintf("%d %s %d", t.Day(), ms[t.Month()-1], t.Year())
}

// ListSep is the separator of a list's items in a sentence of language l:
// the Arabic comma "،" in Arabic, a Latin comma otherwise.
func ListSep(l Lang) string {
	if l == AR {
		return "، "
	}
	return ", "
}

// JoinList joins the items of a list in a sentence of language l.
func JoinList(l Lang, items []string) string { return strings.Join(items, ListSep(l)) }

// FormatDateTime writes t with the time of day (24-hour) in Casablanca time.
func FormatDateTime(l Lang, t time.Time) string {
	lt := t.In(Casablanca)
	sep := " "
	switch l {
	case FR:
		sep = " à "
	case EN:
		sep = ", "
	case AR:
		sep = "، "
	}
	return FormatDate(l, t) + sep + lt.Format("15:04")
}

// Text is a text given in the three languages, as reference data and
// catalogues carry names and descriptions.
type Text struct {
	AR string `json:"ar"`
	FR string `json:"fr"`
	EN string `json:"en"`
}

// Pick returns the text in language l (Arabic for anything else).
func (t Text) Pick(l Lang) string {
	switch l {
	case FR:
		return t.FR
	case EN:
		return t.EN
	}
	return t.AR
}

// Missing lists the languages t lacks, e.g. "fr, en"; "" when complete.
func (t Text) Missing() string {
	var m []string
	for _, p := range []struct{ l, s string }{{"ar", t.AR}, {"fr", t.FR}, {"en", t.EN}} {
		if strings.TrimSpace(p.s) == "" {
			m = append(m, p.l)
		}
	}
	return strings.Join(m, ", ")
}
