package geo

import (
	"net/http"
	"strings"

	"madina/internal/platform/errs"
)

// typeOpenAPI is the media type of the portal's API definition (its
// landing page's service-desc link).
const typeOpenAPI = "application/vnd.oai.openapi+json;version=3.1"

// apiDefinition answers GET /ogc/api: the portal's OpenAPI 3.1 document,
// made from its layers as they are served, so that a client generated
// from it knows each layer's filters and each feature's properties.
// (OGC 17-069r4, 7.2.4: the API definition; only JSON is offered.)
func (h *Handlers) apiDefinition(w http.ResponseWriter, r *http.Request) error {
	if f := r.URL.Query().Get("f"); f != "" && f != "json" {
		r.Header.Set("Accept", typeJSON)
		return errs.E(errs.Invalid, "geo.error.format").OnField("f")
	}
	return h.writeJSON(w, r, typeOpenAPI, h.openAPI(r))
}

// openAPI is the document apiDefinition answers, in the reader's language.
func (h *Handlers) openAPI(r *http.Request) map[string]any {
	ref := func(kind, name string) map[string]any {
		return map[string]any{"$ref": "#/components/" + kind + "/" + name}
	}
	jsonOr := func(ctype, schema string) map[string]any {
		return map[string]any{ctype: map[string]any{"schema": ref("schemas", schema)}, typeHTML: map[string]any{}}
	}
	ok := func(about string, content map[string]any) map[string]any {
		return map[string]any{"description": h.t(r, about), "content": content}
	}
	problems := func(codes ...string) map[string]any {
		out := map[string]any{}
		for _, c := range codes {
			out[c] = ref("responses", "Problem")
		}
		return out
	}
	get := func(id, summary string, params []any, responses map[string]any) map[string]any {
		op := map[string]any{"summary": summary, "parameters": params, "responses": responses}
		if id != "" {
			op["operationId"] = id
		}
		return map[string]any{"get": op}
	}
	f := ref("parameters", "f")
	paths := map[string]any{
		"/ogc": get("landingPage", h.t(r, "geo.title"), []any{f}, merge(problems("400"),
			map[string]any{"200": ok("geo.link.this", jsonOr(typeJSON, "LandingPage"))})),
		"/ogc/api": get("apiDefinition", h.t(r, "geo.link.api"), []any{f}, merge(problems("400"),
			map[string]any{"200": ok("geo.link.api", map[string]any{"application/vnd.oai.openapi+json": map[string]any{"schema": map[string]any{"type": "object"}}})})),
		"/ogc/conformance": get("conformance", h.t(r, "geo.conformance.title"), []any{f}, merge(problems("400"),
			map[string]any{"200": ok("geo.link.conformance", jsonOr(typeJSON, "Conformance"))})),
		"/ogc/collections": get("collections", h.t(r, "geo.collections.title"), []any{f}, merge(problems("400"),
			map[string]any{"200": ok("geo.link.collections", jsonOr(typeJSON, "Collections"))})),
	}
	schemas := ogcSchemas()
	for _, c := range h.Collections {
		base := "/ogc/collections/" + c.ID
		paths[base] = get("collection_"+c.ID, h.t(r, c.Title), []any{f}, merge(problems("400"),
			map[string]any{"200": ok("geo.link.this", jsonOr(typeJSON, "Collection"))}))
		params := []any{f, ref("parameters", "bbox"), ref("parameters", "limit"), ref("parameters", "offset")}
		if c.Temporal {
			params = append(params, ref("parameters", "datetime"))
		}
		for _, p := range c.Properties {
			params = append(params, map[string]any{"name": p, "in": "query", "required": false, "schema": map[string]any{"type": "string"},
				"description": h.t(r, "geo.api.filter", "property", p)})
		}
		props := map[string]any{"type": "object"}
		if c.Schema != nil {
			props = map[string]any{"type": "object", "properties": c.Schema}
		}
		schemas["Feature_"+c.ID] = map[string]any{"type": "object", "required": []string{"type", "geometry", "properties"},
			"properties": map[string]any{"type": map[string]any{"const": "Feature"}, "id": map[string]any{"type": "string"},
				"geometry": ref("schemas", "Geometry"), "properties": props, "links": map[string]any{"type": "array", "items": ref("schemas", "Link")}}}
		schemas["FeatureCollection_"+c.ID] = map[string]any{"type": "object", "required": []string{"type", "features"},
			"properties": map[string]any{"type": map[string]any{"const": "FeatureCollection"},
				"features":       map[string]any{"type": "array", "items": ref("schemas", "Feature_"+c.ID)},
				"numberMatched":  map[string]any{"type": "integer", "minimum": 0},
				"numberReturned": map[string]any{"type": "integer", "minimum": 0},
				"timeStamp":      map[string]any{"type": "string", "format": "date-time"},
				"links":          map[string]any{"type": "array", "items": ref("schemas", "Link")}}}
		paths[base+"/items"] = get("items_"+c.ID, h.t(r, "geo.link.items")+" — "+h.t(r, c.Title), params, merge(problems("400", "404"),
			map[string]any{"200": ok("geo.link.items", jsonOr(typeGeoJSON, "FeatureCollection_"+c.ID))}))
		paths[base+"/items/{featureId}"] = get("item_"+c.ID, h.t(r, c.Title), []any{f,
			map[string]any{"name": "featureId", "in": "path", "required": true, "schema": map[string]any{"type": "string"}}},
			merge(problems("400", "404"), map[string]any{"200": ok("geo.link.this", jsonOr(typeGeoJSON, "Feature_"+c.ID))}))
	}
	// A layer the portal does not serve.
	for _, p := range []string{"/ogc/collections/{collectionId}", "/ogc/collections/{collectionId}/items", "/ogc/collections/{collectionId}/items/{featureId}"} {
		params := []any{f, map[string]any{"name": "collectionId", "in": "path", "required": true, "schema": map[string]any{"type": "string"}}}
		if strings.HasSuffix(p, "{featureId}") {
			params = append(params, map[string]any{"name": "featureId", "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
		paths[p] = get("", h.t(r, "geo.api.unknown"), params, problems("400", "404"))
	}
	if h.live != nil {
		paths["/ogc/collections/projects/live"] = get("liveProjects", h.t(r, "geo.api.live"), nil, map[string]any{
			"200": ok("geo.api.live", map[string]any{"text/event-stream": map[string]any{}})})
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{"title": h.t(r, "geo.title"), "description": h.t(r, "geo.about"), "version": "1.0",
			"license": map[string]any{"name": "EUPL-1.2", "identifier": "EUPL-1.2"}},
		"servers": []any{map[string]any{"url": h.base(r)}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": schemas,
			"parameters": map[string]any{
				"f": map[string]any{"name": "f", "in": "query", "required": false, "description": h.t(r, "geo.api.f"),
					"schema": map[string]any{"type": "string", "enum": []string{"json", "html"}}},
				"bbox": map[string]any{"name": "bbox", "in": "query", "required": false, "description": h.t(r, "geo.filters.bbox"),
					"style": "form", "explode": false,
					"schema": map[string]any{"type": "array", "minItems": 4, "maxItems": 4, "items": map[string]any{"type": "number"}}},
				"limit": map[string]any{"name": "limit", "in": "query", "required": false, "description": h.t(r, "geo.api.limit"),
					"schema": map[string]any{"type": "integer", "minimum": 1, "maximum": MaxLimit, "default": DefaultLimit}},
				"offset": map[string]any{"name": "offset", "in": "query", "required": false, "description": h.t(r, "geo.api.offset"),
					"schema": map[string]any{"type": "integer", "minimum": 0, "default": 0}},
				"datetime": map[string]any{"name": "datetime", "in": "query", "required": false, "description": h.t(r, "geo.filters.datetime"),
					"schema": map[string]any{"type": "string"}},
			},
			"responses": map[string]any{"Problem": map[string]any{"description": h.t(r, "geo.api.problem"),
				"content": map[string]any{"application/problem+json": map[string]any{"schema": ref("schemas", "Problem")},
					typeHTML: map[string]any{}}}},
		},
	}
}

func merge(a, b map[string]any) map[string]any {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// ogcSchemas are the documents' schemas common to every layer.
func ogcSchemas() map[string]any {
	str := map[string]any{"type": "string"}
	links := map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/Link"}}
	position := map[string]any{"type": "array", "minItems": 2, "maxItems": 3, "items": map[string]any{"type": "number"}}
	ring := map[string]any{"type": "array", "minItems": 4, "items": position}
	polygon := map[string]any{"type": "array", "items": ring}
	return map[string]any{
		"Link": map[string]any{"type": "object", "required": []string{"href", "rel"}, "properties": map[string]any{
			"href": map[string]any{"type": "string", "format": "uri"}, "rel": str, "type": str, "title": str}},
		"LandingPage": map[string]any{"type": "object", "required": []string{"links"}, "properties": map[string]any{
			"title": str, "description": str, "links": links}},
		"Conformance": map[string]any{"type": "object", "required": []string{"conformsTo"}, "properties": map[string]any{
			"conformsTo": map[string]any{"type": "array", "items": map[string]any{"type": "string", "format": "uri"}}}},
		"Collections": map[string]any{"type": "object", "required": []string{"links", "collections"}, "properties": map[string]any{
			"links": links, "collections": map[string]any{"type": "array", "items": map[string]any{"$ref": "#/components/schemas/Collection"}}}},
		"Collection": map[string]any{"type": "object", "required": []string{"id", "links"}, "properties": map[string]any{
			"id": str, "title": str, "description": str, "itemType": str, "links": links,
			"crs": map[string]any{"type": "array", "items": str},
			"extent": map[string]any{"type": "object", "properties": map[string]any{
				"spatial": map[string]any{"type": "object", "properties": map[string]any{
					"bbox": map[string]any{"type": "array", "items": map[string]any{"type": "array", "minItems": 4, "maxItems": 6, "items": map[string]any{"type": "number"}}},
					"crs":  str}},
				"temporal": map[string]any{"type": "object", "properties": map[string]any{
					"interval": map[string]any{"type": "array", "items": map[string]any{"type": "array", "minItems": 2, "maxItems": 2,
						"items": map[string]any{"type": []string{"string", "null"}}}},
					"trs": str}}}}}},
		"Geometry": map[string]any{"oneOf": []any{
			map[string]any{"type": "null"},
			map[string]any{"type": "object", "required": []string{"type", "coordinates"}, "properties": map[string]any{
				"type": map[string]any{"const": "Point"}, "coordinates": position}},
			map[string]any{"type": "object", "required": []string{"type", "coordinates"}, "properties": map[string]any{
				"type": map[string]any{"const": "Polygon"}, "coordinates": polygon}},
			map[string]any{"type": "object", "required": []string{"type", "coordinates"}, "properties": map[string]any{
				"type": map[string]any{"const": "MultiPolygon"}, "coordinates": map[string]any{"type": "array", "items": polygon}}},
		}},
		"Problem": map[string]any{"type": "object", "required": []string{"type", "title", "status", "detail"}, "properties": map[string]any{
			"type": str, "title": str, "status": map[string]any{"type": "integer"}, "detail": str, "instance": str, "code": str,
			"request_id": str, "errors": map[string]any{"type": "array", "items": map[string]any{"type": "object",
				"required": []string{"field", "detail"}, "properties": map[string]any{"field": str, "detail": str}}}}},
	}
}
