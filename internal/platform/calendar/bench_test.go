package calendar

import (
	"testing"
	"time"
)

// go test -run '^$' -bench AddWorkingDays -benchmem ./internal/platform/calendar/
//
// BenchmarkAddWorkingDays is the legal clock's usual question (15 working
// days from a receipt); BenchmarkAddWorkingDaysFloor answers it with the
// bare loop over days and a map of holidays that anyone would write first,
// conversions to and from time.Time included.

func benchStarts(b *testing.B) []time.Time {
	starts := make([]time.Time, 64)
	for i := range starts {
		starts[i] = local(b, "2026-01-05 10:30").AddDate(0, 0, 11*i) // spread over two years
	}
	return starts
}

func BenchmarkAddWorkingDays(b *testing.B) {
	c := Default()
	starts := benchStarts(b)
	for i := 0; b.Loop(); i++ {
		sink = c.AddWorkingDays(starts[i%len(starts)], 15)
	}
}

func BenchmarkAddWorkingDaysFloor(b *testing.B) {
	holidays := holidayMap(Default())
	starts := benchStarts(b)
	for i := 0; b.Loop(); i++ {
		sink = naiveAddWorkingDays(holidays, starts[i%len(starts)], 15)
	}
}

var sink time.Time
