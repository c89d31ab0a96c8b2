package booking

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"madina/internal/authz"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/i18n"
)

// Signals of brokering go to the facility managers' review, never to an
// automatic ban: a person decides, knowing that a family shares a phone
// or a computer, and that a whole neighbourhood may share a mobile
// operator's addresses. Madina's bookings are free: there is no payment
// to follow, so no payment signal.

// SignalWindow is how far back the signals look (and how long the
// requests' origins are kept).
const SignalWindow = 60 * 24 * time.Hour

// SharedPhoneAccounts is how many accounts booking with one phone number
// make a signal.
const SharedPhoneAccounts = 3

// SharedDeviceAccounts is how many accounts asking for slots (booking,
// entering a draw, joining a waitlist) from one device — one browser's
// device cookie — make a signal.
const SharedDeviceAccounts = 3

// BurstRequests is how many requests for one slot from one device or one
// network within BurstWindow make a burst, when more than one account
// made them: several accounts entering the same draw or waitlist
// together multiply one person's chances.
const BurstRequests = 5

// BurstWindow is the span within which BurstRequests make a burst.
const BurstWindow = 2 * time.Minute

// ForOthersAssociations is how many associations one person booked for
// within the window to be listed as booking for others.
const ForOthersAssociations = 3

// ForOthersTransfers is how many of one person's bookings reported as
// handed over at check-in within the window list them as booking for
// others (each report is a signal of its own too).
const ForOthersTransfers = 2

// Kinds of signal.
const (
	SignalTransfer     = "transfer"
	SignalForOthers    = "for_others"
	SignalSharedDevice = "shared_device"
	SignalBurst        = "burst"
	SignalSharedPhone  = "shared_phone"
)

// Signal is a sign of brokering to review. Which fields are set depends
// on its kind.
type Signal struct {
	Kind string
	// Phone: shared_phone, masked.
	Phone string
	// Label names a device (shared_device, burst) or a network (burst,
	// when Network) by the first characters of its keyed hash: the same
	// device has the same label in every signal, and nothing in it leads
	// back to the cookie or the address.
	Label   string
	Network bool
	// Accounts: the accounts involved; Requests: shared_device and burst,
	// the requests counted; Bookings: shared_phone and for_others.
	Accounts, Requests, Bookings int
	// Facility and Slot: burst and transfer; From and To: the burst's
	// first and last request.
	Facility       string
	Slot, From, To time.Time
	// Booking and Number: transfer, the booking reported.
	Booking int64
	Number  string
	// Holder: transfer and for_others, the person's name.
	Holder i18n.Text
	// Associations and Transfers: for_others.
	Associations, Transfers int
}

// Origin is where a request for a slot came from, as the web layer saw
// it: the browser's device cookie and the client's address. Only keyed
// hashes of the cookie and of the address's network are stored.
type Origin struct {
	Device string
	IP     string
}

// network is the /24 (IPv4) or /48 (IPv6) prefix of ip, "" when ip is not
// an address: a household or an office, not a person.
func network(ip string) string {
	a, err := netip.ParseAddr(strings.TrimSpace(ip))
	if err != nil || a.Zone() != "" {
		return ""
	}
	a = a.Unmap()
	bits := 24
	if a.Is6() {
		bits = 48
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return ""
	}
	return p.String()
}

// originHashes are the keyed hashes stored for o (nil when unknown).
func (s *Service) originHashes(o Origin) (device, net any) {
	if o.Device != "" {
		device = s.devices.Sign([]byte(o.Device))
	}
	if n := network(o.IP); n != "" {
		net = s.networks.Sign([]byte(n))
	}
	return device, net
}

// recordOrigin keeps, in the request's transaction, where a request for a
// slot (kind book, enter or wait) came from.
func (s *Service) recordOrigin(ctx context.Context, tx *db.Tx, kind, facility string, start time.Time, person int64, o Origin, now time.Time) error {
	device, net := s.originHashes(o)
	if device == nil && net == nil {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO booking_origins (kind, facility_code, slot_start, person_id, device_hash,
		network_hash, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`, kind, facility, start, person, device, net, now); err != nil {
		return fmt.Errorf("booking: origin: %w", err)
	}
	return nil
}

// forgetOrigins deletes the origins older than the signals' window.
func (s *Service) forgetOrigins(ctx context.Context, now time.Time) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM booking_origins WHERE at < $1`, now.Add(-SignalWindow)); err != nil {
		return fmt.Errorf("booking: forget origins: %w", err)
	}
	return nil
}

// labelLen is how many characters of a hash name a device or network.
const labelLen = 8

// orgFacilities restricts a query to the facilities org runs.
const orgFacilities = `facility_code IN (SELECT code FROM booking_facilities WHERE organisation_code = $1)`

// Signals lists the signs of brokering about org's facilities over
// SignalWindow, for one of its managers: bookings reported as handed
// over at check-in, people booking for many associations or handing
// bookings over, accounts sharing a device, bursts of requests for one
// slot from one device or network, accounts sharing a phone number.
func (s *Service) Signals(ctx context.Context, a authz.Actor, org string) ([]Signal, error) {
	if err := authz.Check(a, authz.ReadBookingDesk, authz.Resource{Org: org}); err != nil {
		return nil, err
	}
	since := s.clock().Add(-SignalWindow)
	var out []Signal
	for _, f := range []func(context.Context, string, time.Time) ([]Signal, error){
		s.transferSignals, s.forOthersSignals, s.sharedDeviceSignals, s.burstSignals, s.sharedPhoneSignals,
	} {
		sg, err := f(ctx, org, since)
		if err != nil {
			return nil, fmt.Errorf("booking: signals: %w", err)
		}
		out = append(out, sg...)
	}
	return out, nil
}

func name(ar, fr string) i18n.Text {
	ar, fr = strings.TrimSpace(ar), strings.TrimSpace(fr)
	if ar == "" {
		ar = fr
	}
	if fr == "" {
		fr = ar
	}
	return i18n.Text{AR: ar, FR: fr, EN: fr}
}

const personName = `p.given_name_ar || ' ' || p.family_name_ar, p.given_name_latin || ' ' || p.family_name_latin`

func (s *Service) transferSignals(ctx context.Context, org string, since time.Time) ([]Signal, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT b.id, b.number, b.facility_code, b.slot_start, `+personName+`
		FROM bookings b JOIN persons p ON p.id = b.holder_id
		WHERE b.`+orgFacilities+` AND b.transferred_at > $2 ORDER BY b.transferred_at DESC, b.id DESC`, org, since)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Signal
	for rows.Next() {
		sg := Signal{Kind: SignalTransfer}
		var ar, latin string
		if err := rows.Scan(&sg.Booking, &sg.Number, &sg.Facility, &sg.Slot, &ar, &latin); err != nil {
			return nil, err
		}
		sg.Slot, sg.Holder = sg.Slot.UTC(), name(ar, latin)
		out = append(out, sg)
	}
	return out, rows.Err()
}

func (s *Service) forOthersSignals(ctx context.Context, org string, since time.Time) ([]Signal, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+personName+`, count(*), count(DISTINCT b.holder_legal_id), count(b.transferred_at)
		FROM bookings b JOIN persons p ON p.id = b.holder_id
		WHERE b.`+orgFacilities+` AND (b.created_at > $2 OR b.transferred_at > $2)
		GROUP BY b.holder_id, p.given_name_ar, p.family_name_ar, p.given_name_latin, p.family_name_latin
		HAVING count(DISTINCT b.holder_legal_id) >= $3 OR count(b.transferred_at) >= $4
		ORDER BY count(b.transferred_at) DESC, count(DISTINCT b.holder_legal_id) DESC, b.holder_id`,
		org, since, ForOthersAssociations, ForOthersTransfers)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Signal
	for rows.Next() {
		sg := Signal{Kind: SignalForOthers, Accounts: 1}
		var ar, latin string
		if err := rows.Scan(&ar, &latin, &sg.Bookings, &sg.Associations, &sg.Transfers); err != nil {
			return nil, err
		}
		sg.Holder = name(ar, latin)
		out = append(out, sg)
	}
	return out, rows.Err()
}

func (s *Service) sharedDeviceSignals(ctx context.Context, org string, since time.Time) ([]Signal, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT device_hash, count(DISTINCT person_id), count(*) FROM booking_origins
		WHERE `+orgFacilities+` AND at > $2 AND device_hash IS NOT NULL
		GROUP BY device_hash HAVING count(DISTINCT person_id) >= $3 ORDER BY count(DISTINCT person_id) DESC, device_hash`,
		org, since, SharedDeviceAccounts)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Signal
	for rows.Next() {
		sg := Signal{Kind: SignalSharedDevice}
		var h string
		if err := rows.Scan(&h, &sg.Accounts, &sg.Requests); err != nil {
			return nil, err
		}
		sg.Label = h[:labelLen]
		out = append(out, sg)
	}
	return out, rows.Err()
}

// burstSignals finds, for each slot, device and network with enough
// requests in the window, the densest BurstWindow of requests.
func (s *Service) burstSignals(ctx context.Context, org string, since time.Time) ([]Signal, error) {
	type group struct {
		facility string
		slot     time.Time
		hash     string
		network  bool
	}
	var groups []group
	for _, col := range []string{"device_hash", "network_hash"} {
		rows, err := s.db.QueryContext(ctx, `SELECT facility_code, slot_start, `+col+` FROM booking_origins
			WHERE `+orgFacilities+` AND at > $2 AND `+col+` IS NOT NULL
			GROUP BY facility_code, slot_start, `+col+` HAVING count(*) >= $3 AND count(DISTINCT person_id) >= 2
			ORDER BY slot_start, facility_code, `+col, org, since, BurstRequests)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			g := group{network: col == "network_hash"}
			if err := rows.Scan(&g.facility, &g.slot, &g.hash); err != nil {
				rows.Close()
				return nil, err
			}
			groups = append(groups, g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	var out []Signal
	for _, g := range groups {
		col := "device_hash"
		if g.network {
			col = "network_hash"
		}
		rows, err := s.db.QueryContext(ctx, `SELECT person_id, at FROM booking_origins WHERE facility_code = $1 AND slot_start = $2
			AND `+col+` = $3 AND at > $4 ORDER BY at, id`, g.facility, g.slot, g.hash, since)
		if err != nil {
			return nil, err
		}
		var reqs []request
		for rows.Next() {
			var r request
			if err := rows.Scan(&r.person, &r.at); err != nil {
				rows.Close()
				return nil, err
			}
			reqs = append(reqs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		if sg, ok := densest(reqs); ok {
			sg.Facility, sg.Slot, sg.Label, sg.Network = g.facility, g.slot.UTC(), g.hash[:labelLen], g.network
			out = append(out, sg)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Requests > out[j].Requests })
	return out, nil
}

type request struct {
	person int64
	at     time.Time
}

// densest is the BurstWindow holding the most of reqs (in time order),
// a burst when it holds BurstRequests or more from more than one account.
func densest(reqs []request) (Signal, bool) {
	best, bi, bj := 0, 0, 0
	i := 0
	for j := range reqs {
		for reqs[j].at.Sub(reqs[i].at) > BurstWindow {
			i++
		}
		if j-i+1 > best {
			best, bi, bj = j-i+1, i, j
		}
	}
	accounts := map[int64]bool{}
	for _, r := range reqs[bi : bj+1] {
		accounts[r.person] = true
	}
	if best < BurstRequests || len(accounts) < 2 {
		return Signal{}, false
	}
	return Signal{Kind: SignalBurst, Requests: best, Accounts: len(accounts), From: reqs[bi].at.UTC(), To: reqs[bj].at.UTC()}, true
}

func (s *Service) sharedPhoneSignals(ctx context.Context, org string, since time.Time) ([]Signal, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT p.phone, count(DISTINCT b.holder_id), count(*) FROM bookings b
		JOIN persons p ON p.id = b.holder_id
		WHERE b.`+orgFacilities+` AND b.created_at > $2 AND p.phone <> ''
		GROUP BY p.phone HAVING count(DISTINCT b.holder_id) >= $3 ORDER BY count(DISTINCT b.holder_id) DESC, p.phone`,
		org, since, SharedPhoneAccounts)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Signal
	for rows.Next() {
		sg := Signal{Kind: SignalSharedPhone}
		var phone string
		if err := rows.Scan(&phone, &sg.Accounts, &sg.Bookings); err != nil {
			return nil, err
		}
		sg.Phone = notify.MaskPhone(phone)
		out = append(out, sg)
	}
	return out, rows.Err()
}
