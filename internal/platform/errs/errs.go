// Package errs defines the one set of error kinds Madina uses. Every layer
// wraps its errors with the operation and %w; the HTTP layer maps a kind to a
// status in exactly one place, shows users a translated message chosen by the
// error's message key, and logs the cause.
package errs

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the caller: what went wrong from their point
// of view, not where.
type Kind string

const (
	Invalid         Kind = "invalid"
	NotFound        Kind = "not-found"
	Conflict        Kind = "conflict"
	Forbidden       Kind = "forbidden"
	Unauthenticated Kind = "unauthenticated"
	TooLarge        Kind = "too-large"
	TooMany         Kind = "too-many-requests"
	Unsupported     Kind = "unsupported-media-type"
	// Unavailable is a dependency (the file store, say) that cannot do its
	// part now: the request was fine and may succeed later.
	Unavailable Kind = "unavailable"
	Internal    Kind = "internal"
)

// Error is an error with a kind and a message key from the i18n catalogue.
// Params fill the translated message; Field names the form field at fault.
// Faults and Members are what a client may act on besides the message:
// the HTTP layer writes them into the problem body (RFC 9457 extension
// members), so no handler writes a problem by hand.
type Error struct {
	Kind   Kind
	Key    string // message catalogue key, e.g. "error.blob.type"
	Params map[string]any
	Field  string
	// Faults are more fields at fault, each with its own message (an
	// incomplete file lists everything it lacks).
	Faults []Fault
	// Members are extension members of the problem, by name: plain
	// values a program reads (the current version of a file on a stale
	// write), never text for people.
	Members map[string]any
	Err     error // cause, logged, never shown
}

// Fault is one field at fault and the message key that says why.
type Fault struct {
	Field  string
	Key    string
	Params map[string]any
}

func (e *Error) Error() string {
	s := string(e.Kind)
	if e.Key != "" {
		s += " " + e.Key
	}
	if e.Field != "" {
		s += " field=" + e.Field
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error of a kind with a message key.
func E(kind Kind, key string) *Error { return &Error{Kind: kind, Key: key} }

// With returns a copy carrying translation parameters.
func (e *Error) With(k string, v any) *Error {
	c := *e
	c.Params = make(map[string]any, len(e.Params)+1)
	for pk, pv := range e.Params {
		c.Params[pk] = pv
	}
	c.Params[k] = v
	return &c
}

// OnField returns a copy attached to a form field.
func (e *Error) OnField(f string) *Error { c := *e; c.Field = f; return &c }

// WithFaults returns a copy listing more fields at fault.
func (e *Error) WithFaults(fs ...Fault) *Error {
	c := *e
	c.Faults = append(append([]Fault(nil), e.Faults...), fs...)
	return &c
}

// WithMember returns a copy carrying an extension member of the problem.
func (e *Error) WithMember(name string, v any) *Error {
	c := *e
	c.Members = make(map[string]any, len(e.Members)+1)
	for k, x := range e.Members {
		c.Members[k] = x
	}
	c.Members[name] = v
	return &c
}

// Cause returns a copy wrapping a cause.
func (e *Error) Cause(err error) *Error { c := *e; c.Err = err; return &c }

// KindOf reports the kind of err, Internal if it carries none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is of kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Wrap annotates err with an operation name, keeping its kind.
func Wrap(err error, op string) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", op, err)
}

// MethodNotAllowed is the kind of a request whose route exists but not for
// its method.
const MethodNotAllowed Kind = "method-not-allowed"

// Incomplete is the kind of a request whose body did not arrive in full:
// the client stalled longer than the server waits, or went away. It is
// the client's side of the line, not a fault of ours.
const Incomplete Kind = "incomplete"
