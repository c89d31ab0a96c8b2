//go:build registry

package signature

import "context"

// wireRegistry lets the verifier find the documents Madina issued, in the
// registry of issued documents (issued.go, branch h-signdocs). Built with
// -tags registry until both branches are merged; then the build tags of
// this file and of verify_noregistry.go go (and that file with them).
func wireRegistry(v *Verifier, s *Service) {
	v.Issued = func(ctx context.Context, h string) (IssuedMatch, error) {
		d, err := s.IssuedDocument(ctx, h)
		return IssuedMatch{Kind: d.Kind, Reference: d.Reference, SignedAt: d.SignedAt, Signers: d.Signers}, err
	}
	v.BySource = func(ctx context.Context, h string) (IssuedMatch, error) {
		d, err := s.IssuedBySource(ctx, h)
		return IssuedMatch{Kind: d.Kind, Reference: d.Reference, SignedAt: d.SignedAt, Signers: d.Signers}, err
	}
}
