package identity

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"madina/internal/audit"
	"madina/internal/oidclogin"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/httpx"
	"madina/internal/platform/i18n"
)

// OIDC is the optional sign-in with a national digital-identity provider.
// The provider is discovered on first use, so that Madina starts and serves
// even while the provider is down.
type OIDC struct {
	cfg    oidclogin.Config
	box    oidclogin.Sealer
	log    *slog.Logger
	mu     sync.Mutex
	client *oidclogin.Client
}

// NewOIDC returns the sign-in for cfg; nil when no issuer is configured.
func NewOIDC(cfg oidclogin.Config, box oidclogin.Sealer, log *slog.Logger) *OIDC {
	if cfg.Issuer == "" {
		return nil
	}
	return &OIDC{cfg: cfg, box: box, log: log}
}

// Enabled reports whether the sign-in is offered.
func (o *OIDC) Enabled() bool { return o != nil }

func (o *OIDC) get(ctx context.Context) (*oidclogin.Client, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.client != nil {
		return o.client, nil
	}
	c, err := oidclogin.New(ctx, o.cfg, o.box)
	if err != nil {
		return nil, err
	}
	o.client = c
	return c, nil
}

// SignInOIDC opens a session for the person the provider vouched for:
// the account already linked to that provider identity; else the account
// with the same e-mail address when the provider says it verified it
// (then linked); else a new account from the provider's data.
func (s *Service) SignInOIDC(ctx context.Context, id oidclogin.Identity, lang, userAgent string) (SignInResult, error) {
	var res SignInResult
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		var personID int64
		err := tx.QueryRowContext(ctx, `SELECT person_id FROM oidc_links WHERE issuer = $1 AND subject = $2`, id.Issuer, id.Subject).Scan(&personID)
		switch {
		case err == nil:
		case errors.Is(err, sql.ErrNoRows):
			personID, err = s.linkOIDC(ctx, tx, id, lang)
			if err != nil {
				return err
			}
		default:
			return err
		}
		c, err := s.store.credentialsByID(ctx, tx, personID)
		if err != nil {
			return err
		}
		res, err = s.openSession(ctx, tx, personID, userAgent, now)
		if err != nil {
			return err
		}
		res.NeedsMFA = c.TOTPEnabled
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: personActor(personID), Action: "identity.signin_oidc",
			ObjectType: "person", ObjectID: strconv.FormatInt(personID, 10), Change: id.Issuer, At: now})
		return err
	})
	return res, err
}

func (s *Service) linkOIDC(ctx context.Context, tx *db.Tx, id oidclogin.Identity, lang string) (int64, error) {
	now := s.now()
	email := NormalizeEmail(id.Email)
	if !ValidEmail(email) {
		return 0, errs.E(errs.Invalid, "identity.error.oidc_email")
	}
	var personID int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM persons WHERE email_key = $1`, EmailKey(email)).Scan(&personID)
	switch {
	case err == nil:
		if !id.EmailVerified {
			// Linking on an address the provider did not check would hand
			// the account to whoever typed it there.
			return 0, errs.E(errs.Conflict, "identity.error.oidc_unverified_email")
		}
	case errors.Is(err, sql.ErrNoRows):
		p := Profile{GivenNameLatin: id.GivenName, FamilyNameLatin: id.FamilyName, Email: email, Lang: lang}
		if cin := NormalizeCIN(id.CIN); ValidCIN(cin) {
			var taken int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM persons WHERE cin = $1`, cin).Scan(&taken); err != nil {
				return 0, err
			}
			if taken == 0 {
				p.CIN = cin
			}
		}
		personID, err = s.store.CreatePerson(ctx, tx, p, "", now)
		if err != nil {
			return 0, err
		}
		if id.EmailVerified {
			if _, err := tx.ExecContext(ctx, `UPDATE persons SET email_verified_at = $1 WHERE id = $2`, now, personID); err != nil {
				return 0, err
			}
		}
		if _, err := audit.Append(ctx, tx, audit.Entry{Actor: personActor(personID), Action: "identity.signup_oidc",
			ObjectType: "person", ObjectID: strconv.FormatInt(personID, 10), Change: id.Issuer, At: now}); err != nil {
			return 0, err
		}
	default:
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO oidc_links (issuer, subject, person_id, created_at) VALUES ($1, $2, $3, $4)`,
		id.Issuer, id.Subject, personID, now); err != nil {
		return 0, err
	}
	_, err = audit.Append(ctx, tx, audit.Entry{Actor: personActor(personID), Action: "identity.oidc_linked",
		ObjectType: "person", ObjectID: strconv.FormatInt(personID, 10), Change: id.Issuer, At: now})
	return personID, err
}

// OIDCRoutes registers the provider sign-in when one is configured.
func (h *Handlers) OIDCRoutes(rt *httpx.Router, o *OIDC) {
	if !o.Enabled() {
		return
	}
	h.oidc = o
	rt.HandleErr("GET /signin/oidc", func(w http.ResponseWriter, r *http.Request) error {
		c, err := o.get(r.Context())
		if err != nil {
			return err
		}
		c.Begin(w, r, localPath(r.URL.Query().Get("next")))
		return nil
	})
	rt.HandleErr("GET /signin/oidc/callback", func(w http.ResponseWriter, r *http.Request) error {
		c, err := o.get(r.Context())
		if err != nil {
			return err
		}
		id, next, err := c.Finish(w, r)
		if err != nil {
			return h.formError(w, r, "verify_failed", "identity.verify_failed.title", Form{}, nil, err)
		}
		res, err := h.Service.SignInOIDC(r.Context(), id, string(i18n.FromContext(r.Context())), r.UserAgent())
		if err != nil {
			return h.formError(w, r, "verify_failed", "identity.verify_failed.title", Form{}, nil, err)
		}
		h.MW.SetSession(w, r, res.Token)
		if res.NeedsMFA {
			http.Redirect(w, r, "/signin/second-factor?next="+url.QueryEscape(localPath(next)), http.StatusSeeOther)
			return nil
		}
		http.Redirect(w, r, localPath(next), http.StatusSeeOther)
		return nil
	})
}
