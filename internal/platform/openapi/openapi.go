// Package openapi assembles the API's OpenAPI document from a base (info,
// servers, shared components) and one fragment per capability, so that a
// capability documents its own operations beside its handlers. Merging is
// strict: two fragments may not describe the same operation, and a
// component two of them define must be the same definition.
package openapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
)

// Merge returns base with the paths, components and tags of each fragment
// added. A fragment is a JSON object holding only "paths", "components"
// and "tags". It is an error when two documents describe the same method of
// a path, give one path different path-level parameters, define a
// component of the same section and name differently, or when a fragment
// holds anything else. The output is indented JSON with sorted keys.
func Merge(base []byte, fragments ...[]byte) ([]byte, error) {
	doc, err := decode(base)
	if err != nil {
		return nil, fmt.Errorf("openapi: base: %w", err)
	}
	paths, ok := asObject(doc["paths"])
	if !ok {
		return nil, fmt.Errorf("openapi: base: paths is not an object")
	}
	components, ok := asObject(doc["components"])
	if !ok {
		return nil, fmt.Errorf("openapi: base: components is not an object")
	}
	for i, f := range fragments {
		frag, err := decode(f)
		if err != nil {
			return nil, fmt.Errorf("openapi: fragment %d: %w", i+1, err)
		}
		if err := merge(paths, components, doc, frag); err != nil {
			return nil, fmt.Errorf("openapi: fragment %d: %w", i+1, err)
		}
	}
	if len(paths) > 0 {
		doc["paths"] = paths
	}
	if len(components) > 0 {
		doc["components"] = components
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("openapi: encode: %w", err)
	}
	return buf.Bytes(), nil
}

func merge(paths, components, doc, frag map[string]any) error {
	for _, k := range sortedKeys(frag) {
		switch k {
		case "paths", "components", "tags":
		default:
			return fmt.Errorf("%q has no place in a fragment (only paths, components and tags)", k)
		}
	}
	fpaths, ok := asObject(frag["paths"])
	if !ok {
		return fmt.Errorf("paths is not an object")
	}
	for _, p := range sortedKeys(fpaths) {
		ops, ok := asObject(fpaths[p])
		if !ok {
			return fmt.Errorf("path %s is not an object", p)
		}
		have, ok := paths[p].(map[string]any)
		if !ok {
			have = map[string]any{}
			paths[p] = have
		}
		for _, m := range sortedKeys(ops) {
			old, dup := have[m]
			switch {
			case !dup:
				have[m] = ops[m]
			case m == "parameters" && reflect.DeepEqual(old, ops[m]):
			case m == "parameters":
				return fmt.Errorf("path %s: path-level parameters differ", p)
			default:
				return fmt.Errorf("%s %s is described twice", m, p)
			}
		}
	}
	fcomp, ok := asObject(frag["components"])
	if !ok {
		return fmt.Errorf("components is not an object")
	}
	for _, section := range sortedKeys(fcomp) {
		entries, ok := asObject(fcomp[section])
		if !ok {
			return fmt.Errorf("components.%s is not an object", section)
		}
		have, ok := components[section].(map[string]any)
		if !ok {
			have = map[string]any{}
			components[section] = have
		}
		for _, name := range sortedKeys(entries) {
			if old, dup := have[name]; dup && !reflect.DeepEqual(old, entries[name]) {
				return fmt.Errorf("components.%s.%s is defined twice, differently", section, name)
			}
			have[name] = entries[name]
		}
	}
	if tags, ok := frag["tags"].([]any); ok {
		known := map[string]any{}
		baseTags, _ := doc["tags"].([]any)
		for _, t := range baseTags {
			if m, ok := t.(map[string]any); ok {
				known[fmt.Sprint(m["name"])] = m
			}
		}
		for _, t := range tags {
			m, ok := t.(map[string]any)
			if !ok {
				return fmt.Errorf("a tag is not an object")
			}
			name := fmt.Sprint(m["name"])
			if old, dup := known[name]; dup {
				if !reflect.DeepEqual(old, m) {
					return fmt.Errorf("tag %s is defined twice, differently", name)
				}
				continue
			}
			known[name] = m
			baseTags = append(baseTags, m)
		}
		doc["tags"] = baseTags
	} else if frag["tags"] != nil {
		return fmt.Errorf("tags is not an array")
	}
	return nil
}

// decode reads one JSON object, keeping numbers as written.
func decode(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("not a JSON object")
	}
	if dec.More() {
		return nil, fmt.Errorf("text after the JSON object")
	}
	return v, nil
}

// asObject accepts an absent value as an empty object.
func asObject(v any) (map[string]any, bool) {
	if v == nil {
		return map[string]any{}, true
	}
	m, ok := v.(map[string]any)
	return m, ok
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
