package booking

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"testing"
	"time"

	"madina/internal/authz"
	"madina/internal/identity"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/db/dbtest"
	"madina/internal/platform/errs"
	"madina/internal/platform/jobs"
	"madina/internal/platform/secretbox"
)

// kinds keeps the signals of one kind.
func kinds(sg []Signal, kind string) []Signal {
	var out []Signal
	for _, s := range sg {
		if s.Kind == kind {
			out = append(out, s)
		}
	}
	return out
}

func (e *env) signals(t *testing.T, org string) []Signal {
	t.Helper()
	sg, err := e.s.Signals(context.Background(), e.manager(e.mrManager, "moulay-rachid"), org)
	if err != nil {
		t.Fatal(err)
	}
	return sg
}

// elsewhere is a Maarif manager's view of their own signals: never
// Moulay Rachid's.
func (e *env) elsewhere(t *testing.T) []Signal {
	t.Helper()
	sg, err := e.s.Signals(context.Background(), e.manager(e.maarifMgr, "maarif"), "maarif")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.Signals(context.Background(), e.manager(e.maarifMgr, "maarif"), "moulay-rachid"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("Maarif's manager read Moulay Rachid's signals: %v", err)
	}
	return sg
}

func deviceCookie() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Three accounts asking for slots from one browser are a signal, shown
// by a short label; two are not. Only a keyed hash of the device
// cookie, and of the network, reaches the database.
func TestAccountsSharingADeviceAreSignalled(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		dev := deviceCookie()
		from := Origin{Device: dev, IP: "196.200.131.7"}
		for i := range 2 {
			if _, err := e.s.Book(ctx, e.citizen(i), BookInput{Facility: field1, Start: at(2026, 12, 8, 9+i, 0), From: from}); err != nil {
				t.Fatal(err)
			}
		}
		// The third from another browser of another network.
		if _, err := e.s.Book(ctx, e.citizen(2), BookInput{Facility: field1, Start: at(2026, 12, 8, 12, 0),
			From: Origin{Device: deviceCookie(), IP: "41.92.3.3"}}); err != nil {
			t.Fatal(err)
		}
		if sg := kinds(e.signals(t, "moulay-rachid"), SignalSharedDevice); len(sg) != 0 {
			t.Fatalf("two accounts on one device signalled: %+v", sg)
		}
		// The third account on the first device, joining a waitlist.
		if _, err := e.s.JoinWaitlist(ctx, e.citizen(2), BookInput{Facility: field1, Start: at(2026, 12, 8, 9, 0), From: from}); err != nil {
			t.Fatal(err)
		}
		sg := kinds(e.signals(t, "moulay-rachid"), SignalSharedDevice)
		if len(sg) != 1 || sg[0].Accounts != 3 || sg[0].Requests != 3 || len(sg[0].Label) != labelLen || strings.Contains(dev, sg[0].Label) {
			t.Fatalf("shared device: %+v; want one, three accounts, three requests, a label not from the cookie", sg)
		}
		if got := kinds(e.elsewhere(t), SignalSharedDevice); len(got) != 0 {
			t.Fatalf("Maarif's manager sees Moulay Rachid's devices: %+v", got)
		}

		rows, err := d.QueryContext(ctx, `SELECT device_hash, network_hash FROM booking_origins ORDER BY id`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var devices []string
		for rows.Next() {
			var dh, nh string
			if err := rows.Scan(&dh, &nh); err != nil {
				t.Fatal(err)
			}
			if dh == dev || strings.Contains(dh, dev) || len(dh) != 43 || len(nh) != 43 || strings.Contains(nh, "196.200") {
				t.Fatalf("stored device %q, network %q: want keyed hashes (43 characters), never the cookie %q or the address", dh, nh, dev)
			}
			if _, err := base64.RawURLEncoding.Strict().DecodeString(dh); err != nil {
				t.Fatalf("stored device %q is not a hash: %v", dh, err)
			}
			devices = append(devices, dh)
		}
		if len(devices) != 4 || devices[0] != devices[1] || devices[0] != devices[3] || devices[0] == devices[2] {
			t.Fatalf("stored devices %v: the same cookie must hash the same, another differently", devices)
		}
		if !strings.HasPrefix(devices[0], sg[0].Label) {
			t.Fatalf("the label %q is not its hash's", sg[0].Label)
		}
	})
}

// Many accounts asking for one slot within two minutes from one device
// or one network are a burst; four requests, or five spread over ten
// minutes, are not.
func TestBurstsOfRequestsForOneSlotAreSignalled(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		slot := at(2026, 12, 8, 10, 0)
		if _, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: slot, From: Origin{Device: deviceCookie(), IP: "41.92.3.3"}}); err != nil {
			t.Fatal(err)
		}
		dev := deviceCookie()
		wait := func(i int, ip string) {
			t.Helper()
			e.clock.add(20 * time.Second)
			if _, err := e.s.JoinWaitlist(ctx, e.citizen(i), BookInput{Facility: field1, Start: slot, From: Origin{Device: dev, IP: ip}}); err != nil {
				t.Fatal(err)
			}
		}
		for i := 1; i <= 4; i++ {
			wait(i, fmt.Sprintf("196.200.131.%d", i))
		}
		if sg := kinds(e.signals(t, "moulay-rachid"), SignalBurst); len(sg) != 0 {
			t.Fatalf("four requests signalled as a burst: %+v", sg)
		}
		wait(5, "196.200.131.250")
		sg := kinds(e.signals(t, "moulay-rachid"), SignalBurst)
		if len(sg) != 2 {
			t.Fatalf("bursts %+v: want one from the device and one from the network", sg)
		}
		for _, b := range sg {
			if b.Requests != 5 || b.Accounts != 5 || b.Facility != field1 || !b.Slot.Equal(slot) || b.To.Sub(b.From) != 80*time.Second {
				t.Fatalf("burst %+v: want five requests of five accounts for %s at %v within 80 s", b, field1, slot)
			}
		}
		if sg[0].Network == sg[1].Network {
			t.Fatalf("bursts %+v: want one device's and one network's", sg)
		}
		if got := kinds(e.elsewhere(t), SignalBurst); len(got) != 0 {
			t.Fatalf("Maarif's manager sees Moulay Rachid's bursts: %+v", got)
		}

		// The same five, spread over ten minutes, for another slot.
		other := at(2026, 12, 8, 11, 0)
		if _, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: other}); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 5; i++ {
			e.clock.add(2 * time.Minute)
			if _, err := e.s.JoinWaitlist(ctx, e.citizen(i), BookInput{Facility: field1, Start: other, From: Origin{Device: dev}}); err != nil {
				t.Fatal(err)
			}
		}
		for _, b := range kinds(e.signals(t, "moulay-rachid"), SignalBurst) {
			if b.Slot.Equal(other) {
				t.Fatalf("requests spread over ten minutes signalled as a burst: %+v", b)
			}
		}
	})
}

func TestNetworksAreTheirPrefixes(t *testing.T) {
	for ip, want := range map[string]string{
		"196.200.131.7": "196.200.131.0/24", "::ffff:196.200.131.99": "196.200.131.0/24",
		"2001:db8:1:2::1": "2001:db8:1::/48", "2001:db8:1:ffff::9": "2001:db8:1::/48", "": "", "proxy": "", "fe80::1%eth0": "",
	} {
		if got := network(ip); got != want {
			t.Errorf("network(%q) = %q, want %q", ip, got, want)
		}
	}
}

// notifyingEnv is e with a service that tells holders (inbox).
func notifyingEnv(t *testing.T, e *env) *jobs.Queue {
	t.Helper()
	q := jobs.New(e.d, nil, jobs.Options{})
	n, err := notify.New(e.d, q, nil, notify.Config{Templates: []fs.FS{Notices()}})
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	e.s = NewService(Deps{DB: e.d, Catalogue: DefaultCatalogue(), Events: q, Box: box, People: identity.NewStore(e.d), Notify: n,
		BaseURL: "https://madina.test", Now: e.clock.now})
	q.Subscribe(TopicBookingChanged, "booking.notices", e.s.SendNotices)
	return q
}

// At check-in, a manager who sees that the person showing the code is
// not its holder reports it instead: the check-in is refused for good,
// the booking is a no-show handed over, the holder takes the penalty
// ladder's step with the reason transfer and is told; a second report
// suspends them. Never on the manager's own booking. Each report is a
// signal, and two make the holder one who books for others.
func TestUnauthorisedTransfersAreReportedAndPenalised(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		q := notifyingEnv(t, e)
		ctx := context.Background()
		mgr := e.manager(e.mrManager, "moulay-rachid")
		var bs []*Booking
		for _, h := range []int{10, 12} {
			b, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: at(2026, 12, 8, h, 0)})
			if err != nil {
				t.Fatal(err)
			}
			bs = append(bs, b)
		}
		own, err := e.s.Book(ctx, e.citizen(1), BookInput{Facility: field1, Start: at(2026, 12, 8, 11, 0)})
		if err != nil {
			t.Fatal(err)
		}

		e.clock.set(bs[0].Start.Add(-10 * time.Minute))
		code, _, err := e.s.Code(ctx, e.citizen(0), bs[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		// The desk shows whom the code names, to compare with the identity
		// document; not to another arrondissement's manager.
		ho, err := e.s.Holder(ctx, mgr, code)
		if err != nil || ho.Booking.ID != bs[0].ID || ho.NameLatin != "Said Alaoui" || ho.NameAR != "سعيد العلوي" {
			t.Fatalf("the holder: %+v, %v", ho, err)
		}
		_, err = e.s.Holder(ctx, e.manager(e.maarifMgr, "maarif"), code)
		wantKey(t, err, "booking.error.code")
		_, err = e.s.ReportTransfer(ctx, e.manager(e.maarifMgr, "maarif"), code)
		wantKey(t, err, "booking.error.code")
		_, err = e.s.ReportTransfer(ctx, mgr, code[:len(code)-1]+"x")
		wantKey(t, err, "booking.error.code")
		b, err := e.s.ReportTransfer(ctx, mgr, code)
		if err != nil || b.State != NoShow || b.TransferredAt == nil || b.DecidedBy != e.mrManager {
			t.Fatalf("report: %+v, %v", b, err)
		}
		if got, _, _ := e.s.Get(ctx, e.citizen(0), b.ID); got.State != NoShow || got.TransferredAt == nil {
			t.Fatalf("the booking read back: %+v", got)
		}
		_, err = e.s.CheckIn(ctx, mgr, code)
		wantKey(t, err, "booking.error.state")
		_, err = e.s.ReportTransfer(ctx, mgr, code)
		wantKey(t, err, "booking.error.state")
		ps, err := e.s.Penalties(ctx, e.citizen(0))
		if err != nil || len(ps) != 1 || ps[0].Reason != "transfer" || ps[0].Step != 1 || ps[0].SuspendedUntil != nil || ps[0].Booking != b.ID {
			t.Fatalf("penalties after a transfer: %+v, %v; want step 1 (a warning), reason transfer", ps, err)
		}
		// The clock passes: no second penalty as a no-show.
		e.clock.set(bs[0].Start.Add(NoShowGrace + time.Minute))
		if _, err := e.s.Sweep(ctx); err != nil {
			t.Fatal(err)
		}

		// The manager's own booking, from their personal account.
		e.clock.set(own.Start.Add(-5 * time.Minute))
		oc, _, _ := e.s.Code(ctx, e.citizen(1), own.ID)
		_, err = e.s.ReportTransfer(ctx, e.manager(e.people[1], "moulay-rachid"), oc)
		wantKey(t, err, "error.authz.conflict")
		if got, _, _ := e.s.Get(ctx, e.citizen(1), own.ID); got.State != Held || got.TransferredAt != nil {
			t.Fatalf("a refused report changed the booking: %+v", got)
		}

		// A second transfer suspends the holder.
		e.clock.set(bs[1].Start.Add(-5 * time.Minute))
		code2, _, _ := e.s.Code(ctx, e.citizen(0), bs[1].ID)
		if _, err := e.s.ReportTransfer(ctx, mgr, code2); err != nil {
			t.Fatal(err)
		}
		ps, _ = e.s.Penalties(ctx, e.citizen(0))
		if len(ps) != 2 || ps[0].Reason != "transfer" || ps[0].Step != 2 || ps[0].SuspendedUntil == nil {
			t.Fatalf("after two transfers: %+v; want step 2, suspended", ps)
		}

		for {
			k, err := q.DispatchNow(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if k == 0 {
				break
			}
		}
		var data []map[string]any
		rows, err := d.QueryContext(ctx, `SELECT data FROM notify_deliveries WHERE template = 'booking.transferred' AND channel = 'inbox'
			AND user_id = $1 ORDER BY id`, "person:"+strconv.FormatInt(e.people[0], 10))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var raw string
			var m map[string]any
			if err := rows.Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(raw), &m); err != nil {
				t.Fatal(err)
			}
			data = append(data, m)
		}
		rows.Close()
		if len(data) != 2 || data[0]["Step"] != float64(1) || data[0]["Until"] != "" || data[1]["Step"] != float64(2) || data[1]["Until"] == "" ||
			data[0]["Number"] != bs[0].Number {
			t.Fatalf("the holder's notices: %v; want two, steps 1 and 2 (suspended)", data)
		}
		var noShows int
		if err := d.QueryRowContext(ctx, `SELECT count(*) FROM notify_deliveries WHERE template = 'booking.no_show'`).Scan(&noShows); err != nil || noShows != 0 {
			t.Fatalf("%d no-show notices for transfers (%v)", noShows, err)
		}

		sg := e.signals(t, "moulay-rachid")
		tr := kinds(sg, SignalTransfer)
		if len(tr) != 2 || tr[0].Booking != bs[1].ID || tr[1].Number != bs[0].Number || tr[0].Holder.FR != "Said Alaoui" || tr[0].Holder.AR != "سعيد العلوي" {
			t.Fatalf("transfer signals %+v: want the two bookings, newest first, with the holder's name", tr)
		}
		fo := kinds(sg, SignalForOthers)
		if len(fo) != 1 || fo[0].Transfers != 2 || fo[0].Bookings != 2 {
			t.Fatalf("booking for others: %+v; want the holder of two transfers", fo)
		}
		if got := e.elsewhere(t); len(kinds(got, SignalTransfer)) != 0 || len(kinds(got, SignalForOthers)) != 0 {
			t.Fatalf("Maarif's manager sees Moulay Rachid's transfers: %+v", got)
		}
	})
}

// The database lets a booking be marked handed over only with the move
// from held to no_show, and never takes the mark back.
func TestTheDatabaseKeepsTransfersToTheirMove(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		b, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: at(2026, 12, 8, 10, 0), From: Origin{Device: deviceCookie()}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.ExecContext(ctx, `UPDATE bookings SET transferred_at = $1 WHERE id = $2`, monday, b.ID); err == nil ||
			!strings.Contains(err.Error(), "transfer") {
			t.Fatalf("the database marked a held booking handed over: %v", err)
		}
		if _, err := d.ExecContext(ctx, `UPDATE bookings SET state = 'cancelled', ended_at = $1, transferred_at = $2 WHERE id = $3`,
			monday, monday, b.ID); err == nil || !strings.Contains(err.Error(), "transfer") {
			t.Fatalf("the database marked a cancelled booking handed over: %v", err)
		}
		if _, err := d.ExecContext(ctx, `UPDATE bookings SET state = 'no_show', transferred_at = $1 WHERE id = $2`, monday, b.ID); err != nil {
			t.Fatalf("the move from held to no_show, handed over: %v", err)
		}
		if _, err := d.ExecContext(ctx, `UPDATE bookings SET transferred_at = NULL WHERE id = $1`, b.ID); err == nil ||
			!strings.Contains(err.Error(), "transfer") {
			t.Fatalf("the database took a transfer back: %v", err)
		}
		if _, err := d.ExecContext(ctx, `UPDATE bookings SET transferred_at = $1 WHERE id = $2`, monday.Add(time.Hour), b.ID); err == nil ||
			!strings.Contains(err.Error(), "transfer") {
			t.Fatalf("the database moved a transfer: %v", err)
		}
		if _, err := d.ExecContext(ctx, `UPDATE booking_origins SET device_hash = NULL`); err == nil || !strings.Contains(err.Error(), "never changed") {
			t.Fatalf("the database changed an origin: %v", err)
		}
	})
}

// One person booking, within the window, for three associations is
// listed as booking for others; for two, not.
func TestOnePersonBookingForManyAssociationsIsSignalled(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		broker := e.people[3]
		var assocs []int64
		for i := range ForOthersAssociations {
			var id int64
			if err := d.Transact(ctx, func(tx *db.Tx) error {
				return tx.QueryRowContext(ctx, `INSERT INTO legal_persons (kind, name, association_number, created_by, created_at)
					VALUES ('association', $1, $2, $3, $4) RETURNING id`, fmt.Sprintf("Association %d", i), fmt.Sprintf("B-%d", i), broker, monday).Scan(&id)
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := d.ExecContext(ctx, `INSERT INTO representatives (legal_person_id, person_id, role, created_at) VALUES ($1, $2, 'president', $3)`,
				id, broker, monday); err != nil {
				t.Fatal(err)
			}
			assocs = append(assocs, id)
		}
		book := func(i int) {
			t.Helper()
			a := authz.Actor{Person: broker, EmailVerified: true, Now: monday, Represents: assocs, ActingFor: assocs[i]}
			if _, err := e.s.Book(ctx, a, BookInput{Facility: field1, Start: at(2026, 12, 9, 9+i, 0)}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range ForOthersAssociations - 1 {
			book(i)
		}
		if fo := kinds(e.signals(t, "moulay-rachid"), SignalForOthers); len(fo) != 0 {
			t.Fatalf("booking for two associations signalled: %+v", fo)
		}
		book(ForOthersAssociations - 1)
		fo := kinds(e.signals(t, "moulay-rachid"), SignalForOthers)
		if len(fo) != 1 || fo[0].Associations != ForOthersAssociations || fo[0].Bookings != ForOthersAssociations || fo[0].Holder.FR != "Said Alaoui" {
			t.Fatalf("booking for others: %+v; want one person, three associations", fo)
		}
		if got := kinds(e.elsewhere(t), SignalForOthers); len(got) != 0 {
			t.Fatalf("Maarif's manager sees Moulay Rachid's signal: %+v", got)
		}
	})
}

// The booking clock forgets the origins older than the signals' window.
func TestOriginsAreForgottenAfterTheWindow(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		ctx := context.Background()
		if _, err := e.s.Book(ctx, e.citizen(0), BookInput{Facility: field1, Start: at(2026, 12, 8, 10, 0), From: Origin{Device: deviceCookie()}}); err != nil {
			t.Fatal(err)
		}
		count := func() int {
			var n int
			if err := d.QueryRowContext(ctx, `SELECT count(*) FROM booking_origins`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		e.clock.add(SignalWindow - time.Hour)
		if _, err := e.s.Sweep(ctx); err != nil || count() != 1 {
			t.Fatalf("an origin within the window forgotten (%v)", err)
		}
		e.clock.add(2 * time.Hour)
		if _, err := e.s.Sweep(ctx); err != nil || count() != 0 {
			t.Fatalf("an origin past the window kept (%v)", err)
		}
	})
}
