package catalogue

import (
	"reflect"
	"testing"
)

// TestDecisionRule: the urban agency's unfavourable opinion refuses
// whatever the others say; another unfavourable opinion asks for
// remarks until the last round, then refuses; reservations become
// conditions (or remarks where the rule says so, until the last round);
// silence is agreement; favourable opinions grant without conditions.
func TestDecisionRule(t *testing.T) {
	r := DecisionRule{Binding: []string{"urban_agency"}, Unfavourable: LeadsRemarks, Reservations: LeadsConditions, MaxRounds: 2}
	fav := func(b string) Opinion { return Opinion{Body: b, Verdict: "favourable"} }
	res := func(b string) Opinion { return Opinion{Body: b, Verdict: "reservations"} }
	unf := func(b string) Opinion { return Opinion{Body: b, Verdict: "unfavourable"} }
	cases := []struct {
		name  string
		rule  DecisionRule
		round int
		ops   []Opinion
		want  Conclusion
	}{
		{"all favourable", r, 1, []Opinion{fav("commune"), fav("urban_agency")}, Conclusion{Outcome: OutcomeGrant}},
		{"binding refusal beats remarks", r, 1, []Opinion{unf("commune"), unf("urban_agency"), res("prefecture")},
			Conclusion{Outcome: OutcomeRefuse, Grounds: []Ground{{"urban_agency", "unfavourable", GroundBinding}}}},
		{"another unfavourable: remarks", r, 1, []Opinion{unf("commune"), res("prefecture"), fav("urban_agency")},
			Conclusion{Outcome: OutcomeRemarks, Grounds: []Ground{{"commune", "unfavourable", GroundUnfavourable}}}},
		{"unfavourable in the last round refuses", r, 2, []Opinion{unf("commune"), fav("urban_agency")},
			Conclusion{Outcome: OutcomeRefuse, Grounds: []Ground{{"commune", "unfavourable", GroundLastRound}}}},
		{"reservations become conditions", r, 1, []Opinion{res("commune"), res("urban_agency")},
			Conclusion{Outcome: OutcomeGrant, Grounds: []Ground{{"commune", "reservations", GroundReservations}, {"urban_agency", "reservations", GroundReservations}}}},
		{"silence is agreement", r, 1, []Opinion{fav("commune"), {Body: "urban_agency", Silent: true}},
			Conclusion{Outcome: OutcomeGrant, Silences: []string{"urban_agency"}}},
		{"a strict rule refuses on any unfavourable opinion", DecisionRule{Unfavourable: LeadsRefusal, Reservations: LeadsConditions, MaxRounds: 3}, 1,
			[]Opinion{unf("prefecture")}, Conclusion{Outcome: OutcomeRefuse, Grounds: []Ground{{"prefecture", "unfavourable", GroundUnfavourable}}}},
		{"reservations as remarks, then conditions in the last round", DecisionRule{Unfavourable: LeadsRemarks, Reservations: LeadsRemarks, MaxRounds: 2}, 2,
			[]Opinion{res("prefecture")}, Conclusion{Outcome: OutcomeGrant, Grounds: []Ground{{"prefecture", "reservations", GroundReservations}}}},
		{"reservations as remarks", DecisionRule{Unfavourable: LeadsRemarks, Reservations: LeadsRemarks, MaxRounds: 2}, 1,
			[]Opinion{res("prefecture")}, Conclusion{Outcome: OutcomeRemarks, Grounds: []Ground{{"prefecture", "reservations", GroundReservations}}}},
	}
	for _, c := range cases {
		if got := c.rule.Conclude(c.round, c.ops); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}
