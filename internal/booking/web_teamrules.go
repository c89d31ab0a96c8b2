package booking

import (
	"net/url"
	"slices"
	"strconv"

	"madina/internal/platform/errs"
	"madina/internal/platform/textnorm"
)

// The desk's rules form, for teams (teams.go): the minimum team and the
// quotas per team, on the form of a facility where teams book (or whose
// rules still name them, so that a contradiction can be mended). The
// whole rule set is checked by Facility.Check, as the catalogue's.

// teamRuleFields are the team fields of the rules form, in order.
var teamRuleFields = []string{"team_min", "quota_team_week", "quota_team_month", "quota_team_season"}

// teamRules reports whether f's rules form shows the team fields.
func teamRules(f *Facility) bool {
	r := f.Rules
	return slices.Contains(r.Who, WhoTeam) || r.TeamMin != 0 ||
		slices.ContainsFunc(r.Quotas, func(q Quota) bool { return q.Per == WhoTeam })
}

// teamRulesForm adds f's team rules to the form's values.
func teamRulesForm(f *Facility, v url.Values) {
	if f.Rules.TeamMin != 0 {
		v.Set("team_min", strconv.Itoa(f.Rules.TeamMin))
	}
}

// readTeamRules reads the team fields into rules (their quotas replace
// the team's), each unreadable number a fault on its field; the quotas
// per citizen and association are left to the caller.
func readTeamRules(values url.Values, rules *Rules, fe *errs.Fields) {
	rules.Quotas = slices.DeleteFunc(slices.Clone(rules.Quotas), func(q Quota) bool { return q.Per == WhoTeam })
	num := func(k string) (int, bool) {
		s := textnorm.Digits(values.Get(k))
		if s == "" {
			return 0, false
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			_ = fe.Add(errs.E(errs.Invalid, "booking.rules.number").OnField(k))
			return 0, false
		}
		return n, true
	}
	rules.TeamMin, _ = num("team_min")
	for _, period := range QuotaPeriods {
		k := "quota_team_" + period
		n, ok := num(k)
		if !ok {
			continue
		}
		if n < 1 {
			_ = fe.Add(errs.E(errs.Invalid, "booking.rules.team_quota").OnField(k))
			continue
		}
		rules.Quotas = append(rules.Quotas, Quota{Per: WhoTeam, Period: period, Max: n})
	}
}

// teamRuleField is the form field of a contradiction of the team rules,
// "" when it is not theirs.
func teamRuleField(ft errs.Fault) string {
	switch ft.Key {
	case "booking.rules.team_min", "booking.rules.team_capacity", "booking.rules.team_who":
		return "team_min"
	case "booking.rules.quota_who", "booking.rules.quota_order", "booking.rules.quota_twice":
		if ft.Params["per"] == WhoTeam {
			return "quota_team_week"
		}
	case "booking.rules.quota_season_order", "booking.rules.quota_season":
		if ft.Params["per"] == WhoTeam {
			return "quota_team_season"
		}
	}
	return ""
}
