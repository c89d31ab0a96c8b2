package pdf

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

// TestInspectPDFStopsWithTheRequest: the PDF check reads with the upload's
// context, so an uploader who went away stops the reading.
func TestInspectPDFStopsWithTheRequest(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	b := []byte("%PDF-1.4\n%%EOF\n")
	if _, err := InspectPages(ctx, bytes.NewReader(b), int64(len(b))); !errors.Is(err, context.Canceled) {
		t.Errorf("InspectPages with a cancelled context: %v, want context.Canceled", err)
	}
}
