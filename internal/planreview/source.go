package planreview

import (
	"encoding/base64"
	"encoding/hex"
)

// niURI names content by its SHA-256 (RFC 6920, Named Information):
// ni:///sha-256;<base64url without padding>. Any holder of the file can
// compute it; it names the sheet's version, not where it is kept.
func niURI(sha256Hex string) string {
	b, err := hex.DecodeString(sha256Hex)
	if err != nil {
		return "ni:///sha-256;"
	}
	return "ni:///sha-256;" + base64.RawURLEncoding.EncodeToString(b)
}
