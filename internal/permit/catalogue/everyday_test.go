package catalogue

import (
	"slices"
	"testing"
)

// Everyday words lead to the right procedure, in the three languages,
// with or without accents and Arabic variants.
func TestSearchByEverydayWords(t *testing.T) {
	cat := Casablanca()
	for q, want := range map[string]string{
		"café": "classified_establishment", "cafe": "classified_establishment", "مقهى": "classified_establishment",
		"coffee shop": "classified_establishment", "épicerie": "auto_entrepreneur", "بقالة": "auto_entrepreneur",
		"garage": "classified_establishment", "maison": "building", "دار": "building", "enseigne": "billboard",
		"boulangerie": "classified_establishment", "مخبزة": "classified_establishment", "Coiffure": "auto_entrepreneur",
	} {
		var got []string
		for _, k := range cat.Search(q, "") {
			got = append(got, k.Code)
		}
		if !slices.Contains(got, want) {
			t.Errorf("search %q: %v, want %s among them", q, got, want)
		}
	}
	// A building's garage is a building permit too.
	var got []string
	for _, k := range cat.Search("garage", "urban") {
		got = append(got, k.Code)
	}
	if !slices.Contains(got, "building") {
		t.Errorf("garage among urban permits: %v", got)
	}
}
