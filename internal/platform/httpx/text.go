package httpx

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"reflect"
	"strconv"
	"strings"

	"madina/internal/platform/errs"
	"madina/internal/platform/textin"
)

// This file applies textin's one rule to every text a request carries:
// the router cleans urlencoded form bodies before any handler runs,
// DecodeJSON cleans every string it decodes, and multipart text parts go
// through PartText. Single-line is the default; routes declare their
// textareas with Multiline, JSON structs with the tag `text:"multiline"`.

func checkText(s string) error {
	_, err := textin.Clean(s, textin.Line)
	return err
}

// cleanHeaders passes the headers that are stored (the browser's name,
// kept with sessions and in the audit log) through textin.Sanitize: the
// person did not type them, so they are cleaned rather than refused.
func cleanHeaders(r *http.Request) {
	if ua := r.Header.Get("User-Agent"); ua != "" {
		r.Header.Set("User-Agent", textin.Sanitize(ua))
	}
}

// cleanForm parses a form body (within the route's body limit) and cleans
// every value of r.PostForm, r.Form and r.MultipartForm in place, so that
// FormValue and PostFormValue only ever return clean text. On routes with a
// raised body limit (uploads) a multipart body is left to the handler,
// which streams it and reads its text parts with PartText.
func cleanForm(r *http.Request, multiline []string, streamed bool) error {
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return nil
	}
	var err error
	switch mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); {
	case mt == "application/x-www-form-urlencoded":
		err = r.ParseForm()
	case mt == "multipart/form-data" && !streamed:
		// The body is within the default limit: parsed in memory.
		err = r.ParseMultipartForm(DefaultBodyLimit)
	default:
		return nil
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.E(errs.TooLarge, "error.body.too_large").With("max", humanBytes(mbe.Limit)).Cause(err)
		}
		return errs.E(errs.Invalid, "error.body.read").Cause(err)
	}
	kind := func(name string) textin.Kind {
		for _, p := range multiline {
			if ok, _ := path.Match(p, name); ok {
				return textin.Lines
			}
		}
		return textin.Line
	}
	forms := []url.Values{r.PostForm, r.Form}
	if r.MultipartForm != nil {
		forms = append(forms, r.MultipartForm.Value)
	}
	for _, form := range forms {
		if err := cleanValues(form, kind); err != nil {
			return err
		}
	}
	return nil
}

func cleanValues(form url.Values, kind func(string) textin.Kind) error {
	renamed := map[string]string{}
	for name, vs := range form {
		clean, err := textin.Clean(name, textin.Line)
		if err != nil {
			return err
		}
		if clean != name {
			renamed[name] = clean
		}
		for i, v := range vs {
			if vs[i], err = textin.Clean(v, kind(clean)); err != nil {
				return errs.As(err).OnField(clean)
			}
		}
	}
	for from, to := range renamed {
		form[to] = append(form[to], form[from]...)
		delete(form, from)
	}
	return nil
}

// PartText reads a multipart text part of at most max bytes through the
// one text rule (single-line).
func PartText(part io.Reader, name string, max int64) (string, error) {
	b, err := io.ReadAll(io.LimitReader(part, max+1))
	if err != nil {
		return "", errs.E(errs.Invalid, "error.body.read").Cause(err)
	}
	if int64(len(b)) > max {
		return "", errs.E(errs.Invalid, "error.text.too_long").With("max", max).OnField(name)
	}
	s, err := textin.Clean(string(b), textin.Line)
	if err != nil {
		return "", errs.As(err).OnField(name)
	}
	return s, nil
}

// cleanJSON walks a decoded value and cleans every string in it (struct
// fields, map keys and values, slice elements, strings inside interfaces).
// A struct field tagged `text:"multiline"` may hold several lines;
// `text:"multiline=*description,*note"` allows it for the map entries or
// struct fields inside whose name matches a pattern. Errors name the field
// by its JSON path ("parties.0.name").
func cleanJSON(v reflect.Value, field string, tag string) error {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		return cleanJSON(v.Elem(), field, tag)
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		e := v.Elem()
		cp := reflect.New(e.Type()).Elem()
		cp.Set(e)
		if err := cleanJSON(cp, field, tag); err != nil {
			return err
		}
		if v.CanSet() {
			v.Set(cp)
		}
		return nil
	case reflect.String:
		s, err := textin.Clean(v.String(), jsonKind(field, tag))
		if err != nil {
			return errs.As(err).OnField(field)
		}
		if s != v.String() && v.CanSet() {
			v.SetString(s)
		}
		return nil
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // bytes (json.RawMessage): not text
		}
		for i := 0; i < v.Len(); i++ {
			if err := cleanJSON(v.Index(i), join(field, strconv.Itoa(i)), tag); err != nil {
				return err
			}
		}
		return nil
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return nil
		}
		for _, k := range v.MapKeys() {
			name, err := textin.Clean(k.String(), textin.Line)
			if err != nil {
				return errs.As(err).OnField(join(field, k.String()))
			}
			cp := reflect.New(v.Type().Elem()).Elem()
			cp.Set(v.MapIndex(k))
			if err := cleanJSON(cp, join(field, name), tag); err != nil {
				return err
			}
			nk := reflect.New(v.Type().Key()).Elem()
			nk.SetString(name)
			if name != k.String() {
				v.SetMapIndex(k, reflect.Value{})
			}
			v.SetMapIndex(nk, cp)
		}
		return nil
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			sub := join(field, name)
			if name == "" {
				if sf.Anonymous {
					sub = field
				} else {
					sub = join(field, sf.Name)
				}
			}
			ft := tag
			if t, ok := sf.Tag.Lookup("text"); ok {
				ft = t
			}
			if err := cleanJSON(v.Field(i), sub, ft); err != nil {
				return err
			}
		}
	}
	return nil
}

// jsonKind reads a text tag: "multiline" for every string under the field,
// "multiline=p1,p2" for those whose last path element matches a pattern.
func jsonKind(field, tag string) textin.Kind {
	if tag == "multiline" {
		return textin.Lines
	}
	pats, ok := strings.CutPrefix(tag, "multiline=")
	if !ok {
		return textin.Line
	}
	last := field[strings.LastIndexByte(field, '.')+1:]
	for _, p := range strings.Split(pats, ",") {
		if ok, _ := path.Match(p, last); ok {
			return textin.Lines
		}
	}
	return textin.Line
}

func join(field, name string) string {
	if field == "" {
		return name
	}
	return field + "." + name
}

// checkEscapes refuses JSON string escapes of lone UTF-16 surrogates
// ("\ud800"), which encoding/json would silently turn into U+FFFD. body is
// valid UTF-8 JSON.
func checkEscapes(body []byte) error {
	in := false
	for i := 0; i < len(body); i++ {
		c := body[i]
		if !in {
			in = c == '"'
			continue
		}
		switch c {
		case '"':
			in = false
		case '\\':
			if i+1 < len(body) && body[i+1] == 'u' {
				r, ok := hex4(body, i+2)
				switch {
				case !ok:
				case r >= 0xD800 && r <= 0xDBFF:
					lo, ok := hex4(body, i+8)
					if !ok || body[i+6] != '\\' || body[i+7] != 'u' || lo < 0xDC00 || lo > 0xDFFF {
						return errs.E(errs.Invalid, textin.KeyEncoding)
					}
					i += 6
				case r >= 0xDC00 && r <= 0xDFFF:
					return errs.E(errs.Invalid, textin.KeyEncoding)
				}
			}
			i++ // the escaped character
		}
	}
	return nil
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[i:i+4]), 16, 16)
	return rune(n), err == nil
}
