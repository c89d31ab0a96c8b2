package signature

import "context"

// wireRegistry lets the verifier find the documents Madina issued, in the
// registry of issued documents (issued.go): by the exact bytes uploaded,
// and by the hash before signing that a signed document's QR code
// carries.
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
