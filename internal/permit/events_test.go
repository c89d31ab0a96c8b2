package permit

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/jobs"
	"madina/internal/platform/testenv/smtptest"
)

// published is an event as stored in the outbox.
type published struct {
	ID      int64
	Topic   string
	Payload map[string]any
}

// outbox lists the outbox's events, oldest first.
func outbox(t *testing.T, d *db.DB) []published {
	t.Helper()
	rows, err := d.QueryContext(context.Background(), `SELECT id, topic, payload FROM events ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []published
	for rows.Next() {
		var p published
		var raw string
		if err := rows.Scan(&p.ID, &p.Topic, &raw); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(raw), &p.Payload); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// changes are the topic and change of each event, e.g. "permit.file_changed submit".
func changes(evs []published) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Topic
		if c, ok := e.Payload["change"].(string); ok {
			out[i] += " " + c
		}
	}
	return out
}

// failAfter publishes, then fails: the change's transaction rolls back.
type failAfter struct{ p Publisher }

func (f failAfter) Publish(ctx context.Context, tx *db.Tx, topic string, payload any) error {
	if err := f.p.Publish(ctx, tx, topic, payload); err != nil {
		return err
	}
	return errors.New("the disk is full")
}

var aeInput = Input{Kind: "auto_entrepreneur", Address: "Derb 3", Arrondissement: "sidi-othmane",
	Fields: Values{"ae_number": "AE-1", "activity": "Menuiserie"}}

func TestStateChangesPublishEventsInTheirTransaction(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		owner := e.ownerActor()
		agent := e.agentActor(e.agent, "sidi-othmane")
		f := e.submitted(t, owner, aeInput)

		evs := outbox(t, d)
		if got := strings.Join(changes(evs), ","); got != "permit.file_changed submit" {
			t.Fatalf("events after submission: %s", got)
		}
		p := evs[0].Payload
		if p["v"] != float64(EventVersion) || p["file"] != float64(f.ID) || p["ref"] != f.Ref || p["from"] != string(Draft) ||
			p["to"] != string(f.State) || p["window"] != "sidi-othmane" || p["version"] != float64(f.Version) || p["silent"] != nil {
			t.Fatalf("submit payload %v, file %+v", p, f)
		}
		// The notice follows the event, not the call: nothing is queued
		// until the dispatcher hands the event to the notices.
		if n := count(t, d, `SELECT count(*) FROM notify_deliveries WHERE template = 'permit.submit'`); n != 0 {
			t.Fatalf("%d deliveries before dispatch", n)
		}
		e.dispatch(t)
		if n := count(t, d, `SELECT count(*) FROM notify_deliveries WHERE template = 'permit.submit'`); n != 3 {
			t.Fatalf("%d deliveries after dispatch, want the owner's inbox, e-mail and SMS", n)
		}

		// A change refused publishes nothing; a change rolled back after
		// publishing leaves no event either.
		_, err := e.s.Accept(ctx, agent, f.ID, f.Version+1)
		if errs.KindOf(err) != errs.Conflict {
			t.Fatalf("stale accept: %v", err)
		}
		e.s.events = failAfter{e.q}
		if _, err := e.s.Accept(ctx, agent, f.ID, f.Version); err == nil || !strings.Contains(err.Error(), "disk is full") {
			t.Fatalf("accept whose publication fails: %v", err)
		}
		e.s.events = e.q
		if g, _ := e.s.Get(ctx, owner, f.ID); g.State != f.State || g.Version != f.Version {
			t.Fatalf("the failed accept left the file %s v%d", g.State, g.Version)
		}
		if got := strings.Join(changes(outbox(t, d)), ","); got != "permit.file_changed submit" {
			t.Fatalf("events after the refused and rolled-back accepts: %s", got)
		}

		// Appointments, the agent's steps and the clock each publish.
		slots, _ := e.s.Slots(ctx, f.Window)
		ap, err := e.s.Book(ctx, owner, f.ID, 0, slots[0].Start)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Book(ctx, owner, f.ID, 0, slots[1].Start); err != nil {
			t.Fatal(err)
		}
		if err := e.s.CancelAppointment(ctx, owner, f.ID, 0); err != nil {
			t.Fatal(err)
		}
		if _, err := e.s.Book(ctx, owner, f.ID, 0, slots[2].Start); err != nil {
			t.Fatal(err)
		}
		e.clock.add(3 * 24 * time.Hour) // the receipt deadline passes
		if n, err := e.s.Sweep(ctx); err != nil || n != 1 {
			t.Fatalf("sweep: %d %v", n, err)
		}
		f, _ = e.s.Get(ctx, owner, f.ID)
		if f, err = e.s.Accept(ctx, agent, f.ID, f.Version); err != nil {
			t.Fatal(err)
		}
		e.clock.add(61 * 24 * time.Hour) // silence counts as approval
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}
		evs = outbox(t, d)
		want := "permit.file_changed submit," +
			"permit.appointment_changed booked,permit.appointment_changed moved,permit.appointment_changed cancelled," +
			"permit.appointment_changed booked,permit.deadline_passed,permit.file_changed accept,permit.deadline_passed," +
			"permit.file_changed tacit"
		if got := strings.Join(changes(evs), ","); got != want {
			t.Fatalf("events:\n got %s\nwant %s", got, want)
		}
		if p := evs[1].Payload; p["appointment"] != float64(ap.ID) || p["window"] != f.Window || p["sequence"] != float64(ap.Sequence) {
			t.Fatalf("booked payload %v, appointment %+v", p, ap)
		}
		if p := evs[5].Payload; p["step"] != "receipt" || p["file"] != float64(f.ID) || p["deadline"] == nil {
			t.Fatalf("deadline payload %v", p)
		}
		if p := evs[6].Payload; p["number"] != f.Number || f.Number == "" || p["to"] != string(UnderReview) {
			t.Fatalf("accept payload %v, file %+v", p, f)
		}
		// Payloads name people by id only.
		for _, ev := range evs {
			raw, _ := json.Marshal(ev.Payload)
			if s := string(raw); strings.Contains(s, "@") || strings.Contains(s, "Alaoui") || strings.Contains(s, "+212") {
				t.Errorf("%s payload carries personal data: %s", ev.Topic, s)
			}
		}
		e.dispatch(t)
		for tmpl, want := range map[string]int{"permit.appointment": 3, "permit.appointment_cancelled": 1, "permit.accept": 1, "permit.tacit": 1} {
			if n := count(t, d, `SELECT count(*) FROM notify_deliveries WHERE template = $1 AND channel = 'email'`, tmpl); n != want {
				t.Errorf("%s: %d e-mails, want %d", tmpl, n, want)
			}
		}
		if n := count(t, d, `SELECT count(*) FROM notify_deliveries WHERE template = 'permit.overdue' AND channel = 'inbox'`); n != 4 {
			t.Errorf("%d overdue alerts, want the agent's and the supervisor's for each of the two passed deadlines", n)
		}
	})
}

// Changes made in a quiet context (loading the demonstration) publish
// their events flagged silent: other subscribers see them, the notices
// send nothing.
func TestSilentEventsSendNoNotice(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := notify.Quiet(context.Background())
		f := e.submittedIn(ctx, t, e.ownerActor(), aeInput)
		slots, _ := e.s.Slots(ctx, f.Window)
		if _, err := e.s.Book(ctx, e.ownerActor(), f.ID, 0, slots[0].Start); err != nil {
			t.Fatal(err)
		}
		evs := outbox(t, d)
		if len(evs) != 2 || evs[0].Payload["silent"] != true || evs[1].Payload["silent"] != true {
			t.Fatalf("events %v", evs)
		}
		e.dispatch(t)
		if n := count(t, d, `SELECT count(*) FROM notify_deliveries`); n != 0 {
			t.Fatalf("%d deliveries for silent events", n)
		}
		if n := count(t, d, `SELECT count(*) FROM events WHERE dispatched_at IS NULL`); n != 0 {
			t.Fatalf("%d events left undispatched", n)
		}
	})
}

// An event handed twice to the notices (a dispatcher that did its work
// but whose record of it was lost) sends each notice once.
func TestNoticesOfAnEventHandedTwiceAreSentOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		e.submitted(t, e.ownerActor(), aeInput)
		e.dispatch(t)
		before := count(t, d, `SELECT count(*) FROM notify_deliveries`)
		if before != 3 {
			t.Fatalf("%d deliveries", before)
		}
		ev := outbox(t, d)[0]
		raw, _ := json.Marshal(ev.Payload)
		if err := d.Transact(ctx, func(tx *db.Tx) error {
			return e.s.SendNotices(ctx, tx, jobs.Event{ID: ev.ID, Topic: ev.Topic, Payload: raw})
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecContext(ctx, `UPDATE events SET dispatched_at = NULL`); err != nil {
			t.Fatal(err)
		}
		e.dispatch(t)
		if n := count(t, d, `SELECT count(*) FROM notify_deliveries`); n != before {
			t.Fatalf("%d deliveries after the event was handed twice more, want %d", n, before)
		}
		if n := count(t, d, `SELECT count(*) FROM jobs WHERE kind = $1`, notify.JobKind); n != before {
			t.Fatalf("%d delivery jobs, want %d", n, before)
		}
	})
}

// At least once across a restart, each notice once: a node publishes and
// stops before its dispatcher runs; the node started again crashes in the
// subscriber half-way (after recording the notices), then delivers. The
// applicant receives one e-mail, through a real SMTP server.
func TestNoticeSentOnceAcrossARestart(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		port, maildir := smtptest.Start(t)
		e := newEnv(t, d) // its queue is never started: the node stops before dispatching
		e.submitted(t, e.ownerActor(), aeInput)
		if n := count(t, d, `SELECT count(*) FROM events WHERE dispatched_at IS NULL`); n != 1 {
			t.Fatalf("%d undispatched events when the node stops", n)
		}

		// The node starts again: a new queue, notifier and service on the
		// same database.
		q := jobs.New(d, nil, jobs.Options{Workers: 2, Poll: 20 * time.Millisecond, RetryBase: 10 * time.Millisecond, RetryMax: 20 * time.Millisecond})
		n, err := notify.New(d, q, nil, notify.Config{Templates: []fs.FS{Notices()},
			SMTP: notify.SMTPConfig{Host: "127.0.0.1", Port: port, TLS: "none", From: "no-reply@casablanca.ma"}})
		if err != nil {
			t.Fatal(err)
		}
		deps := e.s.Deps()
		deps.DB, deps.Notify, deps.Events, deps.Log = d, n, q, nil
		s := NewService(deps, e.s.cfg)
		var calls atomic.Int32
		for _, topic := range Topics {
			q.Subscribe(topic, "permit.notices", func(ctx context.Context, tx *db.Tx, ev jobs.Event) error {
				if err := s.SendNotices(ctx, tx, ev); err != nil {
					return err
				}
				if calls.Add(1) == 1 {
					panic("the node dies half-way through the event")
				}
				return nil
			})
		}
		ctx, cancel := context.WithCancel(context.Background())
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		defer func() {
			cancel()
			_ = q.Shutdown(context.Background())
		}()
		deadline := time.Now().Add(20 * time.Second)
		for count(t, d, `SELECT count(*) FROM notify_deliveries WHERE status IN ('sent', 'logged')`) < 3 || len(smtptest.Read(t, maildir)) < 1 {
			if time.Now().After(deadline) {
				t.Fatalf("not delivered: %d calls, deliveries %d", calls.Load(), count(t, d, `SELECT count(*) FROM notify_deliveries`))
			}
			time.Sleep(20 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // room for a copy to arrive
		mails := smtptest.Read(t, maildir)
		if len(mails) != 1 || mails[0].Header.Get("To") != "<owner@example.ma>" {
			t.Fatalf("%d e-mails, want one to the owner", len(mails))
		}
		if c := calls.Load(); c != 2 {
			t.Fatalf("the subscriber ran %d times, want 2 (the crash, then the delivery)", c)
		}
		if n := count(t, d, `SELECT attempts FROM events`); n != 2 {
			t.Fatalf("the event took %d attempts, want 2", n)
		}
		if n := count(t, d, `SELECT count(*) FROM notify_deliveries WHERE template = 'permit.submit'`); n != 3 {
			t.Fatalf("%d deliveries, want inbox, e-mail and SMS once", n)
		}
	})
}
