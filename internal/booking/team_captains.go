package booking

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"madina/internal/authz"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/jobs"
)

// A team's life after its creation (migration 0061): the captain hands
// the team over to another accepted member, or dissolves it; and the
// notices of teams — an invitation to the invited address, a member
// removed, a captaincy handed over, a team dissolved (TopicTeamChanged),
// and a team slot booked or cancelled to each of its players
// (SendNotices).
//
// Handing over is immediate: the new captain must be an accepted member
// whose account is verified and active and who is not suspended, and
// both are told. Team slots already booked keep their holder — the
// captain who booked them answers for them (their cancellation, their
// code, their no-show); the history stays as it was.
//
// Dissolving is refused while the team holds a slot to come (pending,
// offered or held): the holder cancels them first, under the usual
// rules and with the usual notices, so that dissolving never cancels a
// late slot free of the cancellation deadline. The open invitations are
// withdrawn; the memberships stay as they were, the record of who played.

// TopicTeamChanged is published in the transaction of a change of a
// team that someone must be told of. Payload TeamChanged.
const TopicTeamChanged = "booking.team_changed"

// TeamChanged reports a change of a team: ids only.
type TeamChanged struct {
	V    int   `json:"v"`
	Team int64 `json:"team"`
	// Change: invited, removed, captain or dissolved.
	Change string `json:"change"`
	// Member is the membership invited or removed.
	Member int64 `json:"member,omitempty"`
	// Person is the member removed, or the new captain; From the former
	// captain.
	Person int64     `json:"person,omitempty"`
	From   int64     `json:"from,omitempty"`
	Silent bool      `json:"silent,omitempty"`
	At     time.Time `json:"at"`
}

func (s *Service) teamEvent(ctx context.Context, tx *db.Tx, p TeamChanged) error {
	if s.events == nil {
		return fmt.Errorf("booking: no event publisher (Deps.Events)")
	}
	p.V, p.Silent = EventVersion, notify.IsQuiet(ctx)
	return s.events.Publish(ctx, tx, TopicTeamChanged, p)
}

// HandOver makes the member of membership id the captain of their team,
// for the team's captain: an accepted member other than the captain,
// verified, active and not suspended.
func (s *Service) HandOver(ctx context.Context, a authz.Actor, id int64) error {
	if err := authz.Check(a, authz.ManageTeam, mine(a)); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		m, err := readMembership(ctx, tx, id)
		if err != nil {
			return err
		}
		t, err := s.captainOf(ctx, tx, a, m.team)
		if err != nil {
			return err
		}
		// Read again under the team's lock: a member leaving meanwhile
		// (Leave takes the same lock) is no longer accepted.
		if m, err = readMembership(ctx, tx, id); err != nil {
			return err
		}
		if m.state != MemberAccepted || m.person == t.Captain {
			return errs.E(errs.Conflict, "booking.error.team_captain_member").OnField("member")
		}
		now := s.clock()
		if key, err := verifiedKey(ctx, tx, m.person); err != nil {
			return err
		} else if key == "" {
			return errs.E(errs.Conflict, "booking.error.team_captain_member").OnField("member")
		}
		if sp, err := suspendedUntil(ctx, tx, m.person, 0, now); err != nil {
			return err
		} else if sp != nil {
			return errs.E(errs.Conflict, "booking.error.team_captain_suspended").OnField("member")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE booking_teams SET captain_id = $1 WHERE id = $2`, m.person, t.ID); err != nil {
			return fmt.Errorf("booking: hand over: %w", err)
		}
		if err := s.teamAudit(ctx, tx, a, t.ID, "booking.team_captain", map[string]any{"from": t.Captain, "to": m.person,
			"member": id}, now); err != nil {
			return err
		}
		return s.teamEvent(ctx, tx, TeamChanged{Team: t.ID, Change: "captain", Member: id, Person: m.person, From: t.Captain, At: now})
	})
}

// Dissolve dissolves team id, for its captain: refused while the team
// holds a slot to come; the open invitations are withdrawn and the
// other members told.
func (s *Service) Dissolve(ctx context.Context, a authz.Actor, id int64) error {
	if err := authz.Check(a, authz.ManageTeam, mine(a)); err != nil {
		return err
	}
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		t, err := s.captainOf(ctx, tx, a, id)
		if err != nil {
			return err
		}
		now := s.clock()
		n, err := count(ctx, tx, activeSQL+` AND slot_end > $1 AND id IN (SELECT booking_id FROM booking_team_slots WHERE team_id = $2)`,
			now, t.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			return errs.E(errs.Conflict, "booking.error.team_slots_held").With("count", n)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE booking_teams SET dissolved_at = $1 WHERE id = $2`, now, t.ID); err != nil {
			return fmt.Errorf("booking: dissolve: %w", err)
		}
		res, err := tx.ExecContext(ctx, `UPDATE booking_team_members SET state = 'removed', ended_at = $1
			WHERE team_id = $2 AND state = 'invited'`, now, t.ID)
		if err != nil {
			return fmt.Errorf("booking: dissolve: %w", err)
		}
		withdrawn, _ := res.RowsAffected()
		if err := s.teamAudit(ctx, tx, a, t.ID, "booking.team_dissolved", map[string]any{"withdrawn": withdrawn}, now); err != nil {
			return err
		}
		return s.teamEvent(ctx, tx, TeamChanged{Team: t.ID, Change: "dissolved", From: t.Captain, At: now})
	})
}

// SendTeamNotices is the subscriber of TopicTeamChanged. An invitation
// goes to the invited address: to the verified account that has it, in
// the inbox and by the channels its owner chose, in their language;
// else by e-mail to the address, in the captain's language. Either way
// the captain learns nothing. A member removed, a captaincy handed over
// (to both), a team dissolved (to each other member) are told in each
// one's language. Keyed by event and person, so told once.
func (s *Service) SendTeamNotices(ctx context.Context, tx *db.Tx, ev jobs.Event) error {
	var p TeamChanged
	if err := ev.Decode(&p); err != nil {
		return err
	}
	n := s.notices
	if p.V != EventVersion || p.Silent || n == nil {
		return nil
	}
	t, err := team(ctx, tx, p.Team)
	if err != nil {
		return err
	}
	url := n.baseURL + "/bookings/teams"
	key := ev.Topic + ":" + strconv.FormatInt(ev.ID, 10)
	switch p.Change {
	case "invited":
		m, err := readMembership(ctx, tx, p.Member)
		if err != nil {
			return err
		}
		if m.state != MemberInvited {
			return nil // withdrawn or answered before the notice went
		}
		captain, err := n.people.Person(ctx, tx, t.Captain)
		if err != nil {
			return fmt.Errorf("booking: captain %d: %w", t.Captain, err)
		}
		var owner int64
		err = tx.QueryRowContext(ctx, `SELECT id FROM persons WHERE email_key = $1 AND email_verified_at IS NOT NULL
			AND disabled_at IS NULL`, m.key).Scan(&owner)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if owner != 0 {
			return s.tellPerson(ctx, tx, "booking.team_invited", key, owner, func(l i18n.Lang, name string) map[string]any {
				return map[string]any{"Name": name, "Team": t.Name, "Captain": captain.DisplayName(string(l)), "URL": url}
			})
		}
		l := i18n.Lang(captain.Lang)
		return n.notify.Send(ctx, tx, notify.Message{Template: "booking.team_invited",
			Data: map[string]any{"Name": "", "Team": t.Name, "Captain": captain.DisplayName(string(l)), "URL": url},
			Key:  key + ":member:" + strconv.FormatInt(m.id, 10),
			To:   notify.Recipient{Email: m.key, Lang: string(l)}, Channels: []notify.Channel{notify.Email}})
	case "removed":
		return s.tellPerson(ctx, tx, "booking.team_removed", key, p.Person, func(l i18n.Lang, name string) map[string]any {
			return map[string]any{"Name": name, "Team": t.Name, "URL": url}
		})
	case "captain":
		newName := map[i18n.Lang]string{}
		captain, err := n.people.Person(ctx, tx, p.Person)
		if err != nil {
			return fmt.Errorf("booking: captain %d: %w", p.Person, err)
		}
		for _, l := range []i18n.Lang{i18n.AR, i18n.FR, i18n.EN} {
			newName[l] = captain.DisplayName(string(l))
		}
		if err := s.tellPerson(ctx, tx, "booking.team_captain", key, p.Person, func(l i18n.Lang, name string) map[string]any {
			return map[string]any{"Name": name, "Team": t.Name, "URL": url}
		}); err != nil {
			return err
		}
		return s.tellPerson(ctx, tx, "booking.team_handed", key, p.From, func(l i18n.Lang, name string) map[string]any {
			return map[string]any{"Name": name, "Team": t.Name, "Captain": newName[l], "URL": url}
		})
	case "dissolved":
		rows, err := tx.QueryContext(ctx, `SELECT person_id FROM booking_team_members WHERE team_id = $1 AND state = 'accepted'
			AND person_id <> $2 ORDER BY person_id`, t.ID, p.From)
		if err != nil {
			return err
		}
		var ps []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ps = append(ps, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, id := range ps {
			if err := s.tellPerson(ctx, tx, "booking.team_dissolved", key, id, func(l i18n.Lang, name string) map[string]any {
				return map[string]any{"Name": name, "Team": t.Name, "URL": url}
			}); err != nil {
				return err
			}
		}
	}
	return nil
}

// tellPerson queues notice template to person, in their language, in the
// inbox and by the channels they chose; key is the event's.
func (s *Service) tellPerson(ctx context.Context, tx *db.Tx, template, key string, person int64,
	data func(l i18n.Lang, name string) map[string]any) error {
	n := s.notices
	if !n.notify.Has(template) {
		return nil
	}
	who, err := n.people.Person(ctx, tx, person)
	if err != nil {
		return fmt.Errorf("booking: person %d: %w", person, err)
	}
	l := i18n.Lang(who.Lang)
	return n.notify.Send(ctx, tx, notify.Message{Template: template, Data: data(l, who.DisplayName(who.Lang)),
		Key:      key + ":person:" + strconv.FormatInt(who.ID, 10),
		To:       notify.Recipient{UserID: "person:" + strconv.FormatInt(who.ID, 10), Email: who.Email, Phone: who.Phone, Lang: who.Lang},
		Channels: who.Channels()})
}

// tellPlayers tells the players of team slot b, but its holder (who
// hears of their booking as ever), that it was booked or cancelled: the
// players still accepted members of the team, each in their language.
func (s *Service) tellPlayers(ctx context.Context, tx *db.Tx, ev jobs.Event, b *Booking, f *Facility, change string) error {
	template := "booking.team_" + change
	ts, ok, err := teamSlot(ctx, tx, b.ID)
	if err != nil || !ok || !s.notices.notify.Has(template) {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT p.person_id FROM booking_players p JOIN booking_team_members m ON m.team_id = $1
		AND m.person_id = p.person_id AND m.state = 'accepted' WHERE p.booking_id = $2 AND p.person_id <> $3 ORDER BY p.person_id`,
		ts.Team, b.ID, b.Holder)
	if err != nil {
		return err
	}
	var ps []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		ps = append(ps, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	key := ev.Topic + ":" + strconv.FormatInt(ev.ID, 10) + ":player"
	url := s.notices.baseURL + "/bookings/" + strconv.FormatInt(b.ID, 10)
	for _, p := range ps {
		if err := s.tellPerson(ctx, tx, template, key, p, func(l i18n.Lang, name string) map[string]any {
			return map[string]any{"Name": name, "Team": ts.TeamName, "Number": b.Number, "Facility": f.Name.Pick(l),
				"Slot": i18n.FormatDateTime(l, b.Start), "URL": url}
		}); err != nil {
			return err
		}
	}
	return nil
}
