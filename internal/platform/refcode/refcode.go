// Package refcode draws the random codes people read and type back —
// permit files' references and tracking codes, citizens' requests'
// tracking codes — from an alphabet without the characters people confuse
// (0/O, 1/I/L).
package refcode

import (
	"crypto/rand"
	"math/big"
)

// Alphabet is the characters a code is made of.
const Alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// Random is a code of n characters of Alphabet, drawn from crypto/rand.
func Random(n int) string {
	b := make([]byte, n)
	limit := big.NewInt(int64(len(Alphabet)))
	for i := range b {
		k, err := rand.Int(rand.Reader, limit)
		if err != nil {
			panic(err) // crypto/rand does not fail on the systems Madina runs on
		}
		b[i] = Alphabet[k.Int64()]
	}
	return string(b)
}
