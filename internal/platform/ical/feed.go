package ical

import (
	"fmt"
	"strings"
	"time"
)

// # Feeds
//
// A feed is a calendar a person subscribes to (a committee member's
// sessions): no METHOD, any number of events, refreshed by the calendar
// application. Unlike an invitation, its events are written in local
// time with a TZID and the VTIMEZONE that defines it, as RFC 5545 asks
// for events people read as "the Tuesday session at 9:00": the VTIMEZONE
// lists each offset change of the zone over the events' span, read from
// the tz database (Morocco's moves with Ramadan, so no yearly RRULE could
// say it).

// FeedEvent is one event of a feed.
type FeedEvent struct {
	UID                  string
	Start, End           time.Time
	Summary, Description string
	URL                  string // optional; an absolute http(s) address
}

// Feed writes a calendar named name of events, their times local to loc
// (with its VTIMEZONE), stamped stamp: CRLF line ends, lines folded at 75
// octets. It fails when an event lacks a UID or summary, or ends before
// it starts.
func Feed(name string, loc *time.Location, stamp time.Time, events []FeedEvent) ([]byte, error) {
	for _, e := range events {
		ev := Event{UID: e.UID, Start: e.Start, End: e.End, Summary: e.Summary, URL: e.URL, Stamp: stamp}
		if err := ev.Validate(); err != nil {
			return nil, err
		}
	}
	tzid := loc.String()
	var w writer
	w.line("BEGIN:VCALENDAR")
	w.line("PRODID:" + ProdID)
	w.line("VERSION:2.0")
	w.line("CALSCALE:GREGORIAN")
	w.line("X-WR-CALNAME:" + Text(name))
	w.line("X-WR-TIMEZONE:" + tzid)
	lo, hi := stamp, stamp
	for _, e := range events {
		if e.Start.Before(lo) {
			lo = e.Start
		}
		if e.End.After(hi) {
			hi = e.End
		}
	}
	timezone(&w, loc, lo.AddDate(0, 0, -1), hi.AddDate(0, 0, 1))
	for _, e := range events {
		w.line("BEGIN:VEVENT")
		w.line("UID:" + Text(e.UID))
		w.line("DTSTAMP:" + utc(stamp))
		w.line("DTSTART;TZID=" + tzid + ":" + local(e.Start, loc))
		w.line("DTEND;TZID=" + tzid + ":" + local(e.End, loc))
		w.line("SUMMARY:" + Text(e.Summary))
		if e.Description != "" {
			w.line("DESCRIPTION:" + Text(e.Description))
		}
		if e.URL != "" {
			w.line("URL:" + uri(e.URL))
		}
		w.line("STATUS:CONFIRMED")
		w.line("TRANSP:OPAQUE")
		w.line("END:VEVENT")
	}
	w.line("END:VCALENDAR")
	return w.b.Bytes(), nil
}

// ContentTypeFeed is the MIME type of a feed.
const ContentTypeFeed = "text/calendar; charset=UTF-8"

func local(t time.Time, loc *time.Location) string { return t.In(loc).Format("20060102T150405") }

// timezone writes loc's VTIMEZONE for the instants lo to hi: one
// STANDARD component per stretch of one offset, starting where the
// stretch starts (its local time at the offset it changes from).
func timezone(w *writer, loc *time.Location, lo, hi time.Time) {
	w.line("BEGIN:VTIMEZONE")
	w.line("TZID:" + loc.String())
	t := lo
	for i := 0; i < 1000; i++ {
		name, off := t.In(loc).Zone()
		start, end := t.In(loc).ZoneBounds()
		from := off
		onset := lo
		if !start.IsZero() {
			_, from = start.Add(-time.Second).In(loc).Zone()
			onset = start
		}
		w.line("BEGIN:STANDARD")
		w.line("DTSTART:" + onset.UTC().Add(time.Duration(from)*time.Second).Format("20060102T150405"))
		w.line("TZOFFSETFROM:" + offset(from))
		w.line("TZOFFSETTO:" + offset(off))
		w.line("TZNAME:" + Text(name))
		w.line("END:STANDARD")
		if end.IsZero() || end.After(hi) {
			break
		}
		t = end
	}
	w.line("END:VTIMEZONE")
}

// offset writes a UTC offset in seconds as RFC 5545's UTC-OFFSET: +0100.
func offset(s int) string {
	sign := "+"
	if s < 0 {
		sign, s = "-", -s
	}
	out := fmt.Sprintf("%s%02d%02d", sign, s/3600, s/60%60)
	if s%60 != 0 {
		out += fmt.Sprintf("%02d", s%60)
	}
	return strings.TrimSpace(out)
}
