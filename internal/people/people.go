// Package people holds the records of the people Madina serves as every
// capability reads them: a person, a legal person (a company or an
// association), a professional's declared profession. Identity owns their
// tables and every change to them; the types live here, in the shared
// kernel, so that a capability needing someone's name or a way to reach
// them declares a small interface in these types (permit.People) and never
// imports identity.
package people

import (
	"strings"
	"time"

	"madina/internal/notify"
	"madina/internal/platform/i18n"
)

// Person is someone with an account.
type Person struct {
	ID              int64
	Email           string
	EmailVerifiedAt *time.Time
	Phone           string // E.164, e.g. +212612345678
	PhoneVerifiedAt *time.Time
	CIN             string // national identity card number; "" for some staff
	GivenNameAR     string
	FamilyNameAR    string
	GivenNameLatin  string
	FamilyNameLatin string
	Lang            string
	NotifyEmail     bool
	NotifySMS       bool
	TOTPEnabledAt   *time.Time
	Developer       bool
	CreatedAt       time.Time
	Version         int
}

// DisplayName is the name to greet the person with in language lang.
func (p Person) DisplayName(lang string) string {
	ar := strings.TrimSpace(p.GivenNameAR + " " + p.FamilyNameAR)
	latin := strings.TrimSpace(p.GivenNameLatin + " " + p.FamilyNameLatin)
	if lang == "ar" && ar != "" || latin == "" {
		return ar
	}
	return latin
}

// Channels are where the person's notices go: always the inbox, and the
// e-mail and SMS they chose once the address or number is confirmed.
func (p Person) Channels() []notify.Channel {
	cs := []notify.Channel{notify.Inbox}
	if p.NotifyEmail && p.EmailVerifiedAt != nil {
		cs = append(cs, notify.Email)
	}
	if p.NotifySMS && p.PhoneVerifiedAt != nil {
		cs = append(cs, notify.SMS)
	}
	return cs
}

// LegalPerson is a company, an association or a school, as one of its representatives
// sees it.
type LegalPerson struct {
	ID                int64
	Kind              string
	Name              string // as registered, in Latin letters
	NameAR            string // optional
	ICE               string // companies
	RC                string // companies: trade register number
	AssociationNumber string // associations
	SchoolCode        string // schools: the ministry's establishment code
	Role              string // the viewer's role
	CreatedAt         time.Time
}

// DisplayName is the legal person's name in language lang: the Arabic
// name in Arabic when it has one, else the registered name.
func (l LegalPerson) DisplayName(lang string) string {
	if lang == "ar" && l.NameAR != "" || l.Name == "" {
		return l.NameAR
	}
	return l.Name
}

// Organisation is a body of the administration or a partner (the urban
// agency, civil protection, the distributor…) as staff grants name it,
// and the people who sit on committees for it.
type Organisation struct {
	Code    string
	Name    i18n.Text
	Members []Person // its committee members (role committee_member), by name
}

// Professional is a person's declared profession, verified or not yet.
type Professional struct {
	PersonID           int64
	Profession         string
	RegistrationNumber string // with the professional order, unique per profession
	VerifiedAt         *time.Time
	CreatedAt          time.Time
}

// Verified reports whether staff verified the registration.
func (p Professional) Verified() bool { return p.VerifiedAt != nil }

// Enrolment is an account an operator opens for someone: a staff member
// (no CIN needed) or, for the demonstration, a citizen. What the operator
// enters, the operator vouches for: the e-mail address, and the phone
// number when given, count as verified. Identity opens the account; the
// staff capability enrols through it without importing it.
type Enrolment struct {
	Email                           string
	GivenNameAR, FamilyNameAR       string
	GivenNameLatin, FamilyNameLatin string
	CIN                             string // optional
	Phone                           string // optional
	Lang                            string // ar (default), fr or en
}

// Enrolled is the outcome of an enrolment.
type Enrolled struct {
	PersonID int64
	Created  bool // false: the account existed already
	// ResetToken is a one-time link's token for the person to choose a
	// password, and ResetURL the link; both empty when the account has a
	// password already. Give the link to the person only.
	ResetToken string
	ResetURL   string
}
