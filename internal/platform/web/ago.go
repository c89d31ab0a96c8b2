package web

import "time"

// Ago says how long before now t was, as people say it: "just now", "2
// hours ago", "3 days ago" (plural forms from the catalogue); past thirty
// days, the date. now is the caller's clock, so pages and tests agree.
func (v *View) Ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return v.T("time.ago.now")
	case d < time.Hour:
		return v.T("time.ago.minutes", "count", int(d/time.Minute))
	case d < 24*time.Hour:
		return v.T("time.ago.hours", "count", int(d/time.Hour))
	case d < 30*24*time.Hour:
		return v.T("time.ago.days", "count", int(d/(24*time.Hour)))
	}
	return v.Date(t)
}
