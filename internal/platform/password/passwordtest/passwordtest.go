// Package passwordtest gives tests a cheap password hasher. Production
// hashes with password.DefaultParams (64 MiB, two passes: about 100 ms of
// a core each); a test suite that signs hundreds of people in would spend
// most of its time there. The argon2id algorithm, the PHC strings and the
// rehash-on-sign-in path stay the same; only the cost is lower. No
// production code imports this package.
package passwordtest

import "madina/internal/platform/password"

// Params are argon2id parameters cheap enough for tests (1 MiB, one pass),
// still within the bounds Verify accepts from a stored hash.
var Params = password.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// Hasher returns a new hasher with Params and four hashes in flight.
func Hasher() *password.Hasher {
	h, err := password.NewHasherParams(Params, 4)
	if err != nil {
		panic(err) // Params are valid; TestParamsValidation would say otherwise
	}
	return h
}
