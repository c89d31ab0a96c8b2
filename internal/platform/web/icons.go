package web

import (
	_ "embed"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"strings"
)

// iconList names the icons pages may draw (icons.txt): scripts/assets
// copies exactly these from lucide-static into static/vendor/icons.
//
//go:embed icons.txt
var iconList string

// Icons draws the icons of icons.txt inline, as pages need them: no
// request, the colour of the text around (currentColor), hidden from
// assistive technologies (an icon never carries meaning alone: the text
// beside it does). Icons that point along the reading direction carry the
// class icon-mirror, which the stylesheet flips in right-to-left pages.
type Icons struct {
	svg map[string]template.HTML // "" when the build brought no file for it
}

// loadIcons reads the icons of icons.txt from fsys (static/vendor/icons),
// keeping only the drawing elements of each file: a file from outside
// becomes markup only through this filter.
func loadIcons(fsys fs.FS) (*Icons, error) {
	ic := &Icons{svg: map[string]template.HTML{}}
	for _, line := range strings.Split(iconList, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		name, mirror := f[0], len(f) > 1 && f[1] == "mirror"
		ic.svg[name] = ""
		b, err := fs.ReadFile(fsys, "static/vendor/icons/"+name+".svg")
		if errors.Is(err, fs.ErrNotExist) {
			continue // built without the npm assets: no icon, the text stays
		}
		if err != nil {
			return nil, err
		}
		inner, err := svgShapes(string(b))
		if err != nil {
			return nil, fmt.Errorf("web: icon %s: %w", name, err)
		}
		class := "icon icon-" + name
		if mirror {
			class += " icon-mirror"
		}
		ic.svg[name] = template.HTML(`<svg class="` + class + `" xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24"` +
			` fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false">` +
			inner + `</svg>`)
	}
	return ic, nil
}

// shapeAttrs are the attributes kept on each drawing element.
var shapeAttrs = map[string][]string{
	"path":     {"d"},
	"circle":   {"cx", "cy", "r"},
	"ellipse":  {"cx", "cy", "rx", "ry"},
	"line":     {"x1", "y1", "x2", "y2"},
	"polyline": {"points"},
	"polygon":  {"points"},
	"rect":     {"x", "y", "width", "height", "rx", "ry"},
}

// svgShapes returns the drawing elements of an SVG file as markup, with
// only their geometry; anything else inside the svg element is an error.
func svgShapes(src string) (string, error) {
	d := xml.NewDecoder(strings.NewReader(src))
	var out strings.Builder
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth == 1 {
				if t.Name.Local != "svg" {
					return "", fmt.Errorf("root element %s, want svg", t.Name.Local)
				}
				continue
			}
			keep, ok := shapeAttrs[t.Name.Local]
			if !ok || depth > 2 {
				return "", fmt.Errorf("unexpected element %s", t.Name.Local)
			}
			out.WriteString("<" + t.Name.Local)
			for _, a := range t.Attr {
				for _, k := range keep {
					if a.Name.Space == "" && a.Name.Local == k {
						out.WriteString(" " + k + `="` + template.HTMLEscapeString(a.Value) + `"`)
					}
				}
			}
			out.WriteString("/>")
		case xml.EndElement:
			depth--
		}
	}
	if out.Len() == 0 {
		return "", errors.New("nothing drawn")
	}
	return out.String(), nil
}

// Icon is the inline SVG of icon name; templates call it as
// {{icon "chevron-right"}}. A name missing from icons.txt fails the
// page's rendering (and so its tests); a listed icon the build did not
// bring draws nothing.
func (ic *Icons) Icon(name string) (template.HTML, error) {
	svg, ok := ic.svg[name]
	if !ok {
		return "", fmt.Errorf("web: icon %q is not in icons.txt", name)
	}
	return svg, nil
}
