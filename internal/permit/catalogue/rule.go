package catalogue

import (
	"slices"
	"strings"
)

// A round of a committee's study concludes by its decision rule
// (issue #12, point 4): the rule is data in the catalogue, so that a
// city states whose opinion binds, what an unfavourable opinion and
// reservations lead to, and how many rounds of remarks a file gets, with
// the legal source, and every refusal or condition names the opinion
// and the rule it comes from.

// Outcomes of a round.
const (
	OutcomeGrant   = "grant"   // the permit, with the reservations as conditions
	OutcomeRefuse  = "refuse"  // refused, for the grounds given
	OutcomeRemarks = "remarks" // the applicant answers and revises: a new round
)

// What a rule makes of an opinion (DecisionSpec.Unfavourable, .Reservations).
const (
	LeadsRemarks    = "remarks"
	LeadsRefusal    = "refuse"
	LeadsConditions = "conditions"
)

// Grounds: which part of the rule an opinion weighs through.
const (
	GroundBinding      = "binding"      // a binding body's unfavourable opinion refuses
	GroundUnfavourable = "unfavourable" // another unfavourable opinion: remarks, or refusal where the rule says so
	GroundReservations = "reservations" // reservations: conditions, or remarks where the rule says so
	GroundLastRound    = "last_round"   // no round of remarks left: an unfavourable opinion refuses
	GroundSilence      = "silence"      // no opinion by the deadline: agreement
)

// Opinion is what a round's conclusion weighs: a body's verdict
// ("favourable", "reservations", "unfavourable"), or its silence.
type Opinion struct {
	Body    string
	Verdict string
	Silent  bool
}

// Ground is one opinion's weight in a conclusion, and the rule's part
// it weighs through.
type Ground struct {
	Body    string `json:"body"`
	Verdict string `json:"verdict"`
	Rule    string `json:"rule"`
}

// Conclusion is a round's outcome and its grounds: the opinions that
// refuse, ask for remarks, or set conditions (favourable and silent
// opinions ground nothing but a grant; silences are listed under
// Silences).
type Conclusion struct {
	Outcome  string   `json:"outcome"`
	Grounds  []Ground `json:"grounds"`
	Silences []string `json:"silences,omitempty"`
}

// Conclude applies the rule to a round's opinions (round counts from 1):
// a binding body's unfavourable opinion refuses; another unfavourable
// opinion leads where the rule says (remarks while rounds remain, then
// refusal); reservations become conditions, or remarks while rounds
// remain where the rule says so; a silence is agreement. Refusal comes
// before remarks, remarks before a grant.
func (r DecisionRule) Conclude(round int, ops []Opinion) Conclusion {
	last := r.MaxRounds > 0 && round >= r.MaxRounds
	var refuse, remarks, conditions []Ground
	var silences []string
	for _, o := range ops {
		switch {
		case o.Silent:
			silences = append(silences, o.Body)
		case o.Verdict == "unfavourable" && slices.Contains(r.Binding, o.Body):
			refuse = append(refuse, Ground{o.Body, o.Verdict, GroundBinding})
		case o.Verdict == "unfavourable" && r.Unfavourable == LeadsRefusal:
			refuse = append(refuse, Ground{o.Body, o.Verdict, GroundUnfavourable})
		case o.Verdict == "unfavourable" && last:
			refuse = append(refuse, Ground{o.Body, o.Verdict, GroundLastRound})
		case o.Verdict == "unfavourable":
			remarks = append(remarks, Ground{o.Body, o.Verdict, GroundUnfavourable})
		case o.Verdict == "reservations" && r.Reservations == LeadsRemarks && !last:
			remarks = append(remarks, Ground{o.Body, o.Verdict, GroundReservations})
		case o.Verdict == "reservations":
			conditions = append(conditions, Ground{o.Body, o.Verdict, GroundReservations})
		}
	}
	switch {
	case len(refuse) > 0:
		return Conclusion{Outcome: OutcomeRefuse, Grounds: refuse, Silences: silences}
	case len(remarks) > 0:
		return Conclusion{Outcome: OutcomeRemarks, Grounds: remarks, Silences: silences}
	}
	return Conclusion{Outcome: OutcomeGrant, Grounds: conditions, Silences: silences}
}

// rule checks a committee's decision rule: binding bodies among its
// members, known leads, at least one round, a known source.
func (c *checker) rule(what string, d DecisionSpec, seated map[string]bool, sources []Source) DecisionRule {
	what += " decision"
	r := DecisionRule{Binding: d.Binding, Unfavourable: d.Unfavourable, Reservations: d.Reservations, MaxRounds: d.MaxRounds}
	for _, b := range d.Binding {
		if !seated[b] {
			c.addf("%s: binding body %q does not sit on the committee", what, b)
		}
	}
	if l := []string{LeadsRemarks, LeadsRefusal}; !slices.Contains(l, d.Unfavourable) {
		c.addf("%s: unfavourable %q, want one of %s", what, d.Unfavourable, strings.Join(l, ", "))
	}
	if l := []string{LeadsConditions, LeadsRemarks}; !slices.Contains(l, d.Reservations) {
		c.addf("%s: reservations %q, want one of %s", what, d.Reservations, strings.Join(l, ", "))
	}
	if d.MaxRounds < 1 || d.MaxRounds > 10 {
		c.addf("%s: max_rounds %d, want 1 to 10", what, d.MaxRounds)
	}
	i := slices.IndexFunc(sources, func(s Source) bool { return s.Code == d.Source })
	if i < 0 {
		c.addf("%s: unknown source %q", what, d.Source)
		r.Source = Source{Code: d.Source}
	} else {
		r.Source = sources[i]
	}
	return r
}
