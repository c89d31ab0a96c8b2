package catalogue

import "testing"

// BenchmarkCompile decodes, checks and compiles the embedded catalogue of
// Casablanca: what a server pays at start-up, and an import per file.
func BenchmarkCompile(b *testing.B) {
	b.SetBytes(int64(len(casablancaJSON)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(casablancaJSON); err != nil {
			b.Fatal(err)
		}
	}
}
