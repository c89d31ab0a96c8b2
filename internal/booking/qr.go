package booking

import (
	"bytes"
	"encoding/base64"
	"html/template"
	"image/png"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
)

// qrDataURL is the check-in code as a QR image (PNG, in the page itself,
// so that it never leaves through an address), "" if it cannot be drawn.
func qrDataURL(code string) template.URL {
	c, err := qr.Encode(code, qr.M, qr.Auto)
	if err != nil {
		return ""
	}
	c, err = barcode.Scale(c, 240, 240)
	if err != nil {
		return ""
	}
	var b bytes.Buffer
	if err := png.Encode(&b, c); err != nil {
		return ""
	}
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(b.Bytes()))
}
