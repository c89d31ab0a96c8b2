package errs

import (
	"errors"
	"testing"
)

func TestFieldsCollectsEveryFieldOnce(t *testing.T) {
	var fe Fields
	if fe.Err() != nil {
		t.Fatal("no mistake, yet an error")
	}
	two := E(Invalid, "k.a").OnField("a").WithFaults(Fault{Field: "b", Key: "k.b"})
	for _, err := range []error{nil, two, E(Invalid, "k.a2").OnField("a"), E(Invalid, "k.c").OnField("c")} {
		if got := fe.Add(err); got != nil {
			t.Fatalf("Add(%v) = %v", err, got)
		}
	}
	failure := errors.New("disk on fire")
	if got := fe.Add(failure); got != failure {
		t.Fatal("a failure was swallowed")
	}
	if got := fe.Add(E(Conflict, "k.taken").OnField("d")); got == nil {
		t.Fatal("a conflict was taken for a field's mistake")
	}
	e := As(fe.Err())
	if e == nil || e.Kind != Invalid || e.Field != "a" || e.Key != "k.a" || len(e.Faults) != 2 ||
		e.Faults[0].Field != "b" || e.Faults[1].Field != "c" || !fe.Has("c") || fe.Has("d") {
		t.Fatalf("collected %+v", e)
	}
}
