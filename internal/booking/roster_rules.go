package booking

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/textnorm"
)

// The roster rule at the desk (issue #15 point 3): the facility's rules
// form sets the application window (days before each season it opens
// and closes), both empty for no roster, checked by Check like the rest
// (booking.rules.roster, roster_who, roster_season, each on its field).
// A roster already committed is never changed retroactively: its window
// is what its seed's commitment published (booking_rosters_committed
// refuses any change). So a new rule that would give another window —
// or none — to a season whose roster is committed and that has not
// begun is refused (booking.rules.roster_committed, naming the season);
// the manager changes it once that season has begun, and it applies to
// the next seasons.

// rosterRuleFields are the roster's fields on the rules form.
var rosterRuleFields = []string{"roster_opens_days", "roster_closes_days"}

func init() {
	// Each contradiction of the roster rule on the field to change.
	ruleField["booking.rules.roster"] = "roster_opens_days"
	ruleField["booking.rules.roster_who"] = "roster_opens_days"
	ruleField["booking.rules.roster_season"] = "roster_opens_days"
}

// rosterRuleKept refuses rules r for g when they would change the window
// of a committed roster whose season has not begun.
func rosterRuleKept(ctx context.Context, tx *db.Tx, g *Facility, r Rules, now time.Time) error {
	rows, err := tx.QueryContext(ctx, `SELECT season_from, season_to, opens_at, closes_at FROM booking_rosters
		WHERE facility_code = $1 ORDER BY season_from`, g.Code)
	if err != nil {
		return err
	}
	defer rows.Close()
	next := *g
	next.Rules = r
	for rows.Next() {
		var s Season
		var opens, closes time.Time
		if err := rows.Scan(&s.From, &s.To, &opens, &closes); err != nil {
			return err
		}
		start, err := time.ParseInLocation(time.DateOnly, s.From, i18n.Casablanca)
		if err != nil || !now.Before(start) {
			continue // begun: the rule no longer bears on it
		}
		o, c, ok := next.RosterWindow(s)
		if !ok || !o.Equal(opens.UTC()) || !c.Equal(closes.UTC()) {
			return errs.E(errs.Conflict, "booking.rules.roster_committed").With("season", seasonWords(s)).OnField("roster_opens_days")
		}
	}
	return rows.Err()
}

// rosterRulesForm adds the roster's fields to the rules form's values.
func rosterRulesForm(v url.Values, f *Facility) {
	if r := f.Rules.Roster; r != nil {
		v.Set("roster_opens_days", strconv.Itoa(r.OpensDays))
		v.Set("roster_closes_days", strconv.Itoa(r.ClosesDays))
	}
}

// rosterRulesRead reads the roster's fields posted into values and
// rules: both empty is no roster, one alone or a non-number is refused
// on its field.
func rosterRulesRead(post func(string) string, values url.Values, rules *Rules, fe *errs.Fields) {
	for _, k := range rosterRuleFields {
		values.Set(k, strings.TrimSpace(post(k)))
	}
	o, c := values.Get("roster_opens_days"), values.Get("roster_closes_days")
	if o == "" && c == "" {
		rules.Roster = nil
		return
	}
	var rr RosterRule
	for _, x := range []struct {
		k   string
		dst *int
	}{{"roster_opens_days", &rr.OpensDays}, {"roster_closes_days", &rr.ClosesDays}} {
		n, err := strconv.Atoi(textnorm.Digits(values.Get(x.k)))
		if err != nil {
			_ = fe.Add(errs.E(errs.Invalid, "booking.rules.roster_number").OnField(x.k))
			continue
		}
		*x.dst = n
	}
	rules.Roster = &rr
}

// rosterRulesFields are the roster's fields for the form's template,
// none for a request service (no slots).
func (h *Handlers) rosterRulesFields(r *http.Request, f *Facility) []map[string]string {
	if f.Request() {
		return nil
	}
	var out []map[string]string
	for _, k := range rosterRuleFields {
		out = append(out, map[string]string{"Name": k, "Label": h.t(r, "booking.rules.field."+k)})
	}
	return out
}
