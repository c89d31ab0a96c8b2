package identity

import (
	"context"
	"net/http"
	"strconv"

	"madina/internal/audit"
	"madina/internal/authz"
	"madina/internal/notify"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// Preferences are what a person chooses about how the city reaches them.
type Preferences struct {
	Lang        string
	NotifyEmail bool
	NotifySMS   bool
	Developer   bool   // proposes apps in Casastore
	Phone       string // a new number must be confirmed again by SMS
}

// Channels are the channels to reach p on: the in-app inbox always, e-mail
// and SMS as they chose (and only to a confirmed phone).
func Channels(p Person) []notify.Channel { return p.Channels() }

// SavePreferences records a person's choices. A changed phone number is
// unconfirmed until the code sent to it comes back.
func (s *Service) SavePreferences(ctx context.Context, personID int64, pr Preferences) error {
	switch pr.Lang {
	case "ar", "fr", "en":
	default:
		return errs.E(errs.Invalid, "identity.error.lang").OnField("lang")
	}
	phone := NormalizePhone(pr.Phone)
	if phone == "" || !MobilePhone(phone) {
		return errs.E(errs.Invalid, "identity.error.phone").OnField("phone")
	}
	defer s.Forget(personID)
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		p, err := s.store.Person(ctx, tx, personID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE persons SET lang = $1, notify_email = $2, notify_sms = $3, developer = $4,
			updated_at = $5, version = version + 1 WHERE id = $6`, pr.Lang, pr.NotifyEmail, pr.NotifySMS, pr.Developer, now, personID); err != nil {
			return err
		}
		if phone != p.Phone {
			if _, err := tx.ExecContext(ctx, `UPDATE persons SET phone = $1, phone_verified_at = NULL WHERE id = $2`, phone, personID); err != nil {
				return err
			}
			if err := s.sendPhoneCode(ctx, tx, personID, phone, pr.Lang, now); err != nil {
				return err
			}
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: personActor(personID), Action: "identity.preferences",
			ObjectType: "person", ObjectID: strconv.FormatInt(personID, 10), Change: pr, At: now})
		return err
	})
}

// SaveLanguage records the language a person chose on the header's
// language switch: their preferred language from now on, for pages when
// their browser has no language cookie, and for e-mails and SMS.
func (s *Service) SaveLanguage(ctx context.Context, a authz.Actor, personID int64, lang string) error {
	if err := authz.Check(a, authz.UpdateProfile, authz.Resource{OwnerPerson: personID}); err != nil {
		return err
	}
	l, ok := i18n.Parse(lang)
	if !ok {
		return errs.E(errs.Invalid, "identity.error.lang").OnField("lang")
	}
	defer s.Forget(personID)
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		res, err := tx.ExecContext(ctx, `UPDATE persons SET lang = $1, updated_at = $2, version = version + 1
			WHERE id = $3 AND lang <> $1`, string(l), now, personID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err // already their language
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: personActor(personID), Action: "identity.preferences",
			ObjectType: "person", ObjectID: strconv.FormatInt(personID, 10), Change: map[string]string{"lang": string(l)}, At: now})
		return err
	})
}

// PreferenceRoutes registers the preferences page and the language switch
// of signed-in persons.
func (h *Handlers) PreferenceRoutes(rt *httpx.Router) {
	rt.HandleErr("GET /me/preferences", h.preferences)
	rt.HandleErr("POST /me/preferences", h.savePreferences)
	rt.HandleErr("POST /me/language", h.saveLanguage)
}

// saveLanguage is the header's language switch for a signed-in person
// (a form, so that a link elsewhere cannot change their preference): it
// saves the preference, sets the language cookie and returns to the page,
// whose address (back) carries ?lang= as the anonymous switch's links do.
func (h *Handlers) saveLanguage(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.UpdateProfile)
	if v == nil {
		return err
	}
	if err := h.Service.SaveLanguage(r.Context(), v.Actor, v.Person.ID, r.PostFormValue("lang")); err != nil {
		return err
	}
	l, _ := i18n.Parse(r.PostFormValue("lang"))
	http.SetCookie(w, &http.Cookie{Name: i18n.CookieName, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: httpx.IsHTTPS(r, h.MW.TrustProxy), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, httpx.LocalPathOr(r.PostFormValue("back"), "/"), http.StatusSeeOther)
	return nil
}

func (h *Handlers) preferences(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.UpdateProfile)
	if v == nil {
		return err
	}
	p := v.Person
	f := Form{Values: map[string][]string{"lang": {p.Lang}, "phone": {p.Phone}}}
	if p.NotifyEmail {
		f.Values.Set("notify_email", "yes")
	}
	if p.NotifySMS {
		f.Values.Set("notify_sms", "yes")
	}
	if p.Developer {
		f.Values.Set("developer", "yes")
	}
	h.Web.Render(w, r, http.StatusOK, "identity/preferences", web.Msg("identity.preferences.title"), map[string]any{"Form": f})
	return nil
}

func (h *Handlers) savePreferences(w http.ResponseWriter, r *http.Request) error {
	v, err := h.own(w, r, authz.UpdateProfile)
	if v == nil {
		return err
	}
	pr := Preferences{Lang: r.PostFormValue("lang"), NotifyEmail: r.PostFormValue("notify_email") == "yes",
		NotifySMS: r.PostFormValue("notify_sms") == "yes", Developer: r.PostFormValue("developer") == "yes", Phone: r.PostFormValue("phone")}
	if err := h.Service.SavePreferences(r.Context(), v.Person.ID, pr); err != nil {
		return h.formError(w, r, "preferences", "identity.preferences.title", Form{Values: r.PostForm}, nil, err)
	}
	if NormalizePhone(pr.Phone) != v.Person.Phone {
		http.Redirect(w, r, "/me/phone", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/me?done=saved", http.StatusSeeOther)
	return nil
}
