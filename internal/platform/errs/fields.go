package errs

// Fields collects the mistakes of a form's fields, so that a form says
// everything that is wrong at once instead of one mistake per post. The
// first mistake becomes the error's Field and Key, the others its Faults;
// the HTTP layer lists them all (problem "errors", the page's error
// summary).
//
//	var fe errs.Fields
//	if err := fe.Add(checkName(in.Name)); err != nil {
//		return err // not a field's mistake: a failure
//	}
//	...
//	return fe.Err()
type Fields struct {
	first *Error
	seen  map[string]bool
}

// Add records err if it is a mistake on fields (an *Error of kind
// Invalid with a Field, and its Faults) and returns nil; a later mistake
// on a field already at fault is dropped (one message per field). Any
// other non-nil error is returned unchanged for the caller to return.
func (fs *Fields) Add(err error) error {
	if err == nil {
		return nil
	}
	e := As(err)
	if e == nil || e.Kind != Invalid || e.Field == "" {
		return err
	}
	fs.add(Fault{Field: e.Field, Key: e.Key, Params: e.Params}, e)
	for _, f := range e.Faults {
		fs.add(f, nil)
	}
	return nil
}

func (fs *Fields) add(f Fault, e *Error) {
	if fs.seen[f.Field] {
		return
	}
	if fs.seen == nil {
		fs.seen = map[string]bool{}
	}
	fs.seen[f.Field] = true
	if fs.first == nil {
		c := *e
		c.Faults = nil
		fs.first = &c
		return
	}
	fs.first = fs.first.WithFaults(f)
}

// Has reports whether field is at fault.
func (fs *Fields) Has(field string) bool { return fs.seen[field] }

// Err is the collected mistakes as one error, nil when there are none.
func (fs *Fields) Err() error {
	if fs.first == nil {
		return nil
	}
	return fs.first
}
