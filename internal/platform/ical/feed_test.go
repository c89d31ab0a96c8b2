package ical

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestFeed: a feed's events are in local time with the zone's VTIMEZONE,
// whose offsets follow Morocco's changes around Ramadan (UTC+1, then UTC+0
// during Ramadan 2027, then UTC+1 again); long Arabic text is folded at 75
// octets, lines end with CRLF; a reader gets the same instants back.
func TestFeed(t *testing.T) {
	loc, err := time.LoadLocation("Africa/Casablanca")
	if err != nil {
		t.Skip("no tz database")
	}
	stamp := time.Date(2027, 1, 10, 8, 0, 0, 0, time.UTC)
	before := time.Date(2027, 1, 12, 8, 30, 0, 0, time.UTC)  // 09:30 at UTC+1
	ramadan := time.Date(2027, 2, 22, 9, 30, 0, 0, time.UTC) // 09:30 at UTC+0
	long := strings.Repeat("جدول الأعمال: CITY-2027-00012، ", 8)
	b, err := Feed("جلسات اللجان", loc, stamp, []FeedEvent{
		{UID: "session-1@madina.test", Start: before, End: before.Add(3 * time.Hour), Summary: "جلسة لجنة المشاريع الصغرى", Description: long},
		{UID: "session-2@madina.test", Start: ramadan, End: ramadan.Add(3 * time.Hour), Summary: "Séance", URL: "https://madina.test/committee/sessions/2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{"DTSTART;TZID=Africa/Casablanca:20270112T093000\r\n", "DTSTART;TZID=Africa/Casablanca:20270222T093000\r\n",
		"TZOFFSETTO:+0000\r\n", "TZOFFSETTO:+0100\r\n", "BEGIN:VTIMEZONE\r\nTZID:Africa/Casablanca\r\n"} {
		if !strings.Contains(s, want) {
			t.Errorf("the feed lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "METHOD:") {
		t.Error("a feed has no iTIP method")
	}
	for _, line := range strings.SplitAfter(s, "\r\n") {
		if line == "" {
			continue
		}
		if !strings.HasSuffix(line, "\r\n") || len(line)-2 > maxLine || strings.Contains(strings.TrimSuffix(line, "\r\n"), "\n") {
			t.Fatalf("bad physical line %q", line)
		}
	}
	if !strings.Contains(string(Unfold(b)), "DESCRIPTION:"+Text(long)) {
		t.Error("the description does not unfold to the text")
	}
	if _, err := Feed("x", loc, stamp, []FeedEvent{{UID: "", Start: before, End: before.Add(time.Hour), Summary: "s"}}); err == nil {
		t.Error("an event without UID was written")
	}

	py := icalendarPython()
	if py == "" {
		t.Skip("no python3 with icalendar (Debian: apt install python3-icalendar)")
	}
	cmd := exec.Command(py, "-c", `
import json, sys
from icalendar import Calendar
cal = Calendar.from_ical(sys.stdin.buffer.read())
print(json.dumps([ev.decoded("DTSTART").isoformat() for ev in cal.walk("VEVENT")]))`)
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("icalendar: %v", err)
	}
	var starts []time.Time
	if err := json.Unmarshal(out, &starts); err != nil || len(starts) != 2 {
		t.Fatalf("%v: %s", err, out)
	}
	if !starts[0].Equal(before) || !starts[1].Equal(ramadan) {
		t.Fatalf("icalendar reads the starts as %v, want %v and %v", starts, before, ramadan)
	}
}
