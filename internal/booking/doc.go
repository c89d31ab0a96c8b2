// Package booking is Casa In (issue #15): the fair, broker-proof booking
// of the commune's and arrondissements' public services. Facilities and
// their booking rules are data (catalogue/casablanca.json, then the back
// office), checked whole so that a rule set contradicting itself is
// refused; a booking is bound to a verified person, never transferred,
// and the database keeps one holder per slot whatever races; peak slots
// are drawn by a weighted lottery whose seed is committed before the
// window opens; holders check in with a short-lived signed code; no-shows
// climb a penalty ladder; cancellations promote the waitlist.
package booking
