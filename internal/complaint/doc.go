// Package complaint is the citizens' requests and complaints (issue #16):
// request types as data (catalogue/casablanca.json), filing with a
// location, a description and photos, a number and a tracking code, the
// service-level clock on the shared calendar, a state machine whose every
// change is audited and published, the reporter's pages, public tracking
// and the responsible team's queue.
package complaint
