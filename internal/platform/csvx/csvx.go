// Package csvx writes the CSV exports of Madina's lists (an architect's
// files, the audit log) the way people open them: in Excel, which reads
// UTF-8 only after a byte-order mark, and safely, cells that a spreadsheet
// would run as formulas being kept as text.
package csvx

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strings"
)

// Cell guards a spreadsheet cell against formula injection: a value
// starting with = + - @ (or a tab or carriage return) gets a leading
// apostrophe, so that it is read as text.
func Cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Encode is rows as CSV in UTF-8 with a byte-order mark, every cell
// guarded by Cell, CRLF line ends.
func Encode(rows [][]string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("\ufeff")
	cw := csv.NewWriter(&b)
	cw.UseCRLF = true
	for _, row := range rows {
		out := make([]string, len(row))
		for i, c := range row {
			out[i] = Cell(c)
		}
		if err := cw.Write(out); err != nil {
			return nil, err
		}
	}
	cw.Flush()
	return b.Bytes(), cw.Error()
}

// Write answers with rows as a CSV download named name, kept out of
// shared caches.
func Write(w http.ResponseWriter, name string, rows [][]string) error {
	b, err := Encode(rows)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "private, no-store")
	_, err = w.Write(b)
	return err
}
