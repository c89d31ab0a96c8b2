package authz

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// Caller is who is on the other end of a request, as every capability
// reads it: the actor the policy decides for, and how far they signed in.
// Identity's middleware puts it in the request's context (WithCaller);
// capabilities read it with FromContext and never import identity for it.
type Caller struct {
	// Actor is anonymous for a visitor not signed in, and for one who
	// still owes the second factor.
	Actor Actor
	// SignedIn: a complete session or an API token is behind the request.
	SignedIn bool
	// Pending: signed in with a password, the second factor still owed;
	// such a visitor can do nothing but complete it or sign out.
	Pending bool
}

type callerKey struct{}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// FromContext returns the request's caller: an anonymous one if nobody
// signed in, or if nothing identified the request.
func FromContext(ctx context.Context) Caller {
	c, _ := ctx.Value(callerKey{}).(Caller)
	return c
}

// ActorLabel names, for the audit log, who does something to r: the
// person alone ("person:7"), or the person and on whose behalf they act —
// a legal person they represent or an owner whose mandate they hold
// ("person:7 for legal:2", "person:7 for person:3"). Call it once the
// policy allowed the action.
func ActorLabel(a Actor, r Resource) string {
	if a.Person == 0 {
		return "anonymous"
	}
	me := personLabel(a.Person)
	if a.ActingFor != 0 {
		return me + " for " + legalLabel(a.ActingFor)
	}
	if r.OwnerLegal == 0 && (r.OwnerPerson == 0 || r.OwnerPerson == a.Person) {
		return me
	}
	for _, m := range a.Mandates {
		if a.Now.Before(m.Starts) || !a.Now.Before(m.Ends) {
			continue
		}
		if r.OwnerLegal != 0 && m.OwnerLegal == r.OwnerLegal {
			return me + " for " + legalLabel(m.OwnerLegal)
		}
		if r.OwnerLegal == 0 && m.OwnerPerson == r.OwnerPerson {
			return me + " for " + personLabel(m.OwnerPerson)
		}
	}
	// Staff, say, acting on someone's object in their own right.
	return me
}

func personLabel(id int64) string { return "person:" + strconv.FormatInt(id, 10) }
func legalLabel(id int64) string  { return "legal:" + strconv.FormatInt(id, 10) }

// SignedInOr returns the request's caller when they are signed in, and
// otherwise sends them to sign in — or to finish the second factor — and
// back to the page back ("" for the requested one), returning nil: the
// handler then stops.
func SignedInOr(w http.ResponseWriter, r *http.Request, back string) *Caller {
	v := FromContext(r.Context())
	if back == "" {
		back = r.URL.RequestURI()
	}
	switch {
	case v.Pending:
		http.Redirect(w, r, "/signin/second-factor?next="+url.QueryEscape(back), http.StatusSeeOther)
		return nil
	case !v.SignedIn:
		http.Redirect(w, r, "/signin?next="+url.QueryEscape(back), http.StatusSeeOther)
		return nil
	}
	return &v
}
