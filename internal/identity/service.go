package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"strconv"
	"sync"
	"time"

	"madina/internal/audit"
	"madina/internal/notify"
	"madina/internal/platform/blob"
	"madina/internal/platform/db"
	"madina/internal/platform/errs"
	"madina/internal/platform/password"
	"madina/internal/platform/secretbox"
	"madina/internal/platform/textnorm"
	"madina/internal/platform/totp"
)

// Notifier sends notifications inside a transaction (notify.Service).
type Notifier interface {
	Send(ctx context.Context, tx *db.Tx, m notify.Message) error
}

var _ Notifier = (*notify.Service)(nil)

// Config tunes identity.
type Config struct {
	BaseURL         string        // public URL, for links in e-mails
	Issuer          string        // shown in authenticator apps
	IdleTimeout     time.Duration // a session unused this long ends [1h]
	AbsoluteTimeout time.Duration // a session ends this long after sign-in whatever happens [12h]
	MaxFailures     int           // failed sign-ins before the account locks [5]
	PermitKinds     []PermitKind  // the kinds a mandate may name, when fixed (tests); else Deps.Catalogue names them
	LockFor         time.Duration // how long it stays locked [15m]
	Now             func() time.Time
}

func (c *Config) defaults() {
	if c.IdleTimeout == 0 {
		c.IdleTimeout = time.Hour
	}
	if c.AbsoluteTimeout == 0 {
		c.AbsoluteTimeout = 12 * time.Hour
	}
	if c.MaxFailures == 0 {
		c.MaxFailures = 5
	}
	if c.LockFor == 0 {
		c.LockFor = 15 * time.Minute
	}
	if c.Issuer == "" {
		c.Issuer = "Madina Casablanca"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Service is identity's use cases.
type Service struct {
	db     *db.DB
	store  *Store
	notify Notifier
	hasher *password.Hasher
	box    *secretbox.Box
	log    *slog.Logger
	cfg    Config
	deps   Deps   // Catalogue, Files, Blobs and InspectPDF are read from here
	dummy  string // a hash to verify against when the account does not exist
	codes  *secretbox.Signer
	csrf   *secretbox.Signer
	cache  *visitorCache
	kinds  func() []PermitKind // the catalogue's, read once
}

// Deps are the collaborators of the Service.
type Deps struct {
	DB     *db.DB
	Notify Notifier
	Hasher *password.Hasher
	Box    *secretbox.Box // signs codes and CSRF tokens
	Log    *slog.Logger   // nil: discard

	Catalogue PermitCatalogue // names the permit kinds a mandate may cover (unless Config.PermitKinds)
	Files     FileOwners      // who owns a file a mandate names: the permit capability
	Blobs     blob.Store      // evidence of claims to represent a legal person
	Events    Publisher       // where state changes are published (the job queue's outbox)
	// InspectPDF checks an uploaded PDF (pdf.Inspect): claims' evidence.
	InspectPDF func(ctx context.Context, r io.ReaderAt, size int64) (pages int, err error)
}

// NewService builds the service.
func NewService(d Deps, cfg Config) (*Service, error) {
	cfg.defaults()
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{db: d.DB, store: NewStore(d.DB), notify: d.Notify, hasher: d.Hasher, box: d.Box, log: d.Log, cfg: cfg, deps: d,
		codes: d.Box.Signer("identity code"), csrf: d.Box.Signer("csrf"), cache: newVisitorCache()}
	dummy, err := d.Hasher.Hash(context.Background(), "not a password of anyone")
	if err != nil {
		return nil, err
	}
	s.dummy = dummy
	// The permit catalogue is in force for the process's life (an import
	// applies at the next start), and permit starts after identity: its
	// kinds are read once, at first use.
	s.kinds = sync.OnceValue(func() []PermitKind {
		if d.Catalogue == nil {
			return cfg.PermitKinds
		}
		codes := d.Catalogue.KindCodes()
		out := make([]PermitKind, len(codes))
		for i, c := range codes {
			out[i] = PermitKind{Code: c, Name: d.Catalogue.KindName(c)}
		}
		return out
	})
	return s, nil
}

// Forget drops what this node remembers of a person's sessions, so that a
// change to what they may do takes effect at once here.
func (s *Service) Forget(personID int64) { s.cache.forget(personID) }

// Store returns the service's store.
func (s *Service) Store() *Store { return s.store }

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// newToken returns a random URL-safe token and its SHA-256 (what we store).
func newToken() (token, hash string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("identity: no randomness: " + err.Error())
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, hashToken(token)
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newSMSCode returns a six-digit code.
func newSMSCode() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1000000))
	if err != nil {
		panic("identity: no randomness: " + err.Error())
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// codeHash keys a short code to its person and purpose with the server's
// secret, so that a leaked table does not give the codes away.
func (s *Service) codeHash(personID int64, purpose, code string) string {
	return s.codes.Sign([]byte(purpose + "|" + strconv.FormatInt(personID, 10) + "|" + code))
}

func personActor(id int64) string { return "person:" + strconv.FormatInt(id, 10) }

// CheckSignUp validates and normalises a sign-up's profile and password
// without asking the store: every field is checked before any is refused,
// so the profile's mistakes and the password's come back together
// (errs.Fields).
func CheckSignUp(p *Profile, pw string) error {
	var fe errs.Fields
	if err := fe.Add(p.Validate()); err != nil {
		return err
	}
	if err := password.Check(pw, p.Email, p.GivenNameLatin, p.FamilyNameLatin, p.GivenNameAR, p.FamilyNameAR, p.CIN); err != nil {
		if e := errs.As(err); e != nil {
			err = e.OnField("password")
		}
		if err := fe.Add(err); err != nil {
			return err
		}
	}
	return fe.Err()
}

// SignUp creates a citizen's account and sends the e-mail link and the SMS
// code that verify it. Nothing is created if anything is wrong.
//
// An e-mail address or CIN that already has an account gets the same
// answer as a new sign-up, so that nobody can test who has an account (or
// whose national ID number is known here): nothing is created, and the
// owner of that account is told by e-mail, at their verified address, that
// someone tried, and how to sign in or reset the password if it was them.
// The password is hashed either way, so both take the same time.
func (s *Service) SignUp(ctx context.Context, p Profile, pw string) (int64, error) {
	if err := CheckSignUp(&p, pw); err != nil {
		return 0, err
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		id = 0
		now := s.now()
		taken, err := s.store.accountsTaken(ctx, tx, p)
		if err != nil {
			return err
		}
		if len(taken) > 0 {
			return s.explainTaken(ctx, tx, taken, now)
		}
		id, err = s.store.CreatePerson(ctx, tx, p, hash, now)
		if err != nil {
			return err
		}
		if err := s.sendEmailLink(ctx, tx, id, p, now); err != nil {
			return err
		}
		if err := s.sendPhoneCode(ctx, tx, id, p.Phone, p.Lang, now); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: personActor(id), Action: "identity.signup",
			ObjectType: "person", ObjectID: strconv.FormatInt(id, 10), Change: p, At: now})
		return err
	})
	if errs.Is(err, errs.Conflict) && id == 0 {
		// Another sign-up took the address or CIN between the check and the
		// insert: the next try gets the answer every taken account gets.
		return 0, errs.E(errs.Conflict, "identity.recovery.signup_retry").Cause(err)
	}
	return id, err
}

// explainTaken tells the owners of the accounts that hold a sign-up's
// e-mail address or CIN, at their verified address, that someone tried to
// open an account with it. An owner whose address is not verified is not
// written to: the address may not be theirs.
func (s *Service) explainTaken(ctx context.Context, tx *db.Tx, taken []takenAccount, now time.Time) error {
	for _, t := range taken {
		p, err := s.store.Person(ctx, tx, t.PersonID)
		if errs.Is(err, errs.NotFound) {
			continue // disabled
		}
		if err != nil {
			return err
		}
		if p.EmailVerifiedAt != nil {
			if err := s.notify.Send(ctx, tx, notify.Message{Template: "identity.signup_attempt",
				Data: map[string]any{"Name": p.DisplayName(p.Lang), "Field": t.Field, "ResetURL": s.cfg.BaseURL + "/reset",
					"SigninURL": s.cfg.BaseURL + "/signin"},
				To: notify.Recipient{Email: p.Email, Lang: p.Lang}, Channels: []notify.Channel{notify.Email}}); err != nil {
				return err
			}
		}
		if _, err := audit.Append(ctx, tx, audit.Entry{Actor: "anonymous", Action: "identity.signup_taken",
			ObjectType: "person", ObjectID: strconv.FormatInt(p.ID, 10), Change: t.Field, At: now}); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) sendEmailLink(ctx context.Context, tx *db.Tx, id int64, p Profile, now time.Time) error {
	token, hash := newToken()
	if err := s.store.createCode(ctx, tx, id, PurposeEmail, EmailKey(p.Email), hash, now, 48*time.Hour); err != nil {
		return err
	}
	name := Person{GivenNameAR: p.GivenNameAR, FamilyNameAR: p.FamilyNameAR, GivenNameLatin: p.GivenNameLatin, FamilyNameLatin: p.FamilyNameLatin}.DisplayName(p.Lang)
	return s.notify.Send(ctx, tx, notify.Message{Template: "identity.verify_email",
		Data:   map[string]any{"Name": name},
		Secret: map[string]any{"URL": s.cfg.BaseURL + "/verify-email?token=" + token},
		To:     notify.Recipient{Email: p.Email, Lang: p.Lang}, Channels: []notify.Channel{notify.Email}})
}

func (s *Service) sendPhoneCode(ctx context.Context, tx *db.Tx, id int64, phone, lang string, now time.Time) error {
	code := newSMSCode()
	if err := s.store.createCode(ctx, tx, id, PurposePhone, phone, s.codeHash(id, PurposePhone, code), now, 15*time.Minute); err != nil {
		return err
	}
	return s.notify.Send(ctx, tx, notify.Message{Template: "identity.phone_code",
		Secret: map[string]any{"Code": code},
		To:     notify.Recipient{Phone: phone, Lang: lang}, Channels: []notify.Channel{notify.SMS}})
}

// VerifyEmail uses the link sent at sign-up and returns whose address it
// verified. A link works once and for 48 hours.
func (s *Service) VerifyEmail(ctx context.Context, token string) (int64, error) {
	var id int64
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		c, err := s.store.linkCode(ctx, tx, PurposeEmail, token, now, true)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE persons SET email_verified_at = $1, updated_at = $1, version = version + 1
			WHERE id = $2 AND email_key = $3`, now, c.PersonID, c.Target)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errs.E(errs.Invalid, "identity.error.code_invalid")
		}
		id = c.PersonID
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: personActor(id), Action: "identity.email_verified",
			ObjectType: "person", ObjectID: strconv.FormatInt(id, 10), Change: c.Target, At: now})
		return err
	})
	return id, err
}

// ResendPhoneCode sends a new SMS code to the person's phone.
func (s *Service) ResendPhoneCode(ctx context.Context, personID int64) error {
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		p, err := s.store.Person(ctx, tx, personID)
		if err != nil {
			return err
		}
		if p.PhoneVerifiedAt != nil {
			return errs.E(errs.Conflict, "identity.error.phone_verified")
		}
		return s.sendPhoneCode(ctx, tx, personID, p.Phone, p.Lang, s.now())
	})
}

const maxCodeAttempts = 5

// VerifyPhone checks the SMS code. After five wrong tries the code is
// spent and a new one must be asked for.
func (s *Service) VerifyPhone(ctx context.Context, personID int64, input string) error {
	defer s.Forget(personID)
	input = textnorm.Digits(input)
	var wrong bool
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		wrong = false
		now := s.now()
		c, err := s.store.openCode(ctx, tx, personID, PurposePhone)
		if err != nil {
			return err
		}
		if now.After(c.Expires) || c.Attempts >= maxCodeAttempts {
			return errs.E(errs.Invalid, "identity.error.code_expired")
		}
		if subtle.ConstantTimeCompare([]byte(c.Hash), []byte(s.codeHash(personID, PurposePhone, input))) != 1 {
			wrong = true
			return s.store.codeAttempt(ctx, tx, c.ID)
		}
		if err := s.store.useCode(ctx, tx, c.ID, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE persons SET phone_verified_at = $1, updated_at = $1, version = version + 1
			WHERE id = $2 AND phone = $3`, now, personID, c.Target); err != nil {
			return err
		}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: personActor(personID), Action: "identity.phone_verified",
			ObjectType: "person", ObjectID: strconv.FormatInt(personID, 10), Change: c.Target, At: now})
		return err
	})
	if err == nil && wrong {
		return errs.E(errs.Invalid, "identity.error.code_wrong").OnField("code")
	}
	return err
}

// SignInResult is a new session.
type SignInResult struct {
	Token    string // the cookie value; shown to nobody else
	PersonID int64
	NeedsMFA bool // the session waits for the second factor
}

// SignIn checks an e-mail and password and opens a session. Unknown
// addresses, wrong passwords and locked accounts get the same answer, after
// one password hash each, so that nobody learns who has an account: five
// failures in a row lock the account for a while (even the right password
// is refused then), its owner is told by e-mail, and the sign-in message
// says to everyone that repeated failures pause sign-in.
func (s *Service) SignIn(ctx context.Context, email, pw, userAgent string) (SignInResult, error) {
	fail := errs.E(errs.Unauthenticated, "identity.recovery.signin_failed")
	c, err := s.store.credentialsByEmail(ctx, s.db, email)
	if errs.Is(err, errs.NotFound) {
		_, _, _ = s.hasher.Verify(ctx, pw, s.dummy)
		return SignInResult{}, fail
	}
	if err != nil {
		return SignInResult{}, err
	}
	now := s.now()
	if c.LockedUntil != nil && now.Before(*c.LockedUntil) {
		_, _, _ = s.hasher.Verify(ctx, pw, s.dummy)
		return SignInResult{}, fail.Cause(fmt.Errorf("identity: person %d is locked", c.ID))
	}
	if c.PasswordHash == "" {
		_, _, _ = s.hasher.Verify(ctx, pw, s.dummy)
		return SignInResult{}, fail
	}
	ok, rehash, err := s.hasher.Verify(ctx, pw, c.PasswordHash)
	if err != nil {
		return SignInResult{}, err
	}
	if !ok {
		if err := s.signInFailed(ctx, c.ID, now); err != nil {
			return SignInResult{}, err
		}
		return SignInResult{}, fail
	}
	if !c.Verified {
		return SignInResult{}, errs.E(errs.Forbidden, "identity.error.email_unverified")
	}
	var res SignInResult
	err = s.db.Transact(ctx, func(tx *db.Tx) error {
		if err := s.store.clearFailures(ctx, tx, c.ID); err != nil {
			return err
		}
		if rehash {
			if h, err := s.hasher.Hash(ctx, pw); err == nil {
				if _, err := tx.ExecContext(ctx, `UPDATE persons SET password_hash = $1 WHERE id = $2`, h, c.ID); err != nil {
					return err
				}
			}
		}
		res, err = s.openSession(ctx, tx, c.ID, userAgent, now)
		if err != nil {
			return err
		}
		res.NeedsMFA = c.TOTPEnabled
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: personActor(c.ID), Action: "identity.signin",
			ObjectType: "person", ObjectID: strconv.FormatInt(c.ID, 10), Change: userAgent, At: now})
		return err
	})
	return res, err
}

// openSession creates a session. For a person with a second factor it is
// pending (MFAAt unset) until SecondFactor completes it.
func (s *Service) openSession(ctx context.Context, tx *db.Tx, personID int64, userAgent string, now time.Time) (SignInResult, error) {
	token, hash := newToken()
	ss := Session{TokenHash: hash, PersonID: personID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(s.cfg.AbsoluteTimeout), UserAgent: truncate(userAgent, 200)}
	if err := s.store.createSession(ctx, tx, ss); err != nil {
		return SignInResult{}, err
	}
	return SignInResult{Token: token, PersonID: personID}, nil
}

// SessionFromEmailLink opens a session right after the e-mail link proved
// the address (the person just signed up on this device or another).
func (s *Service) SessionFromEmailLink(ctx context.Context, personID int64, userAgent string) (SignInResult, error) {
	var res SignInResult
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		c, err := s.store.credentialsByID(ctx, tx, personID)
		if err != nil {
			return err
		}
		res, err = s.openSession(ctx, tx, personID, userAgent, s.now())
		res.NeedsMFA = c.TOTPEnabled
		return err
	})
	return res, err
}

// signInFailed counts a failed sign-in and, when it locks the account,
// tells the owner at their verified address (the one who failed only sees
// the usual answer).
func (s *Service) signInFailed(ctx context.Context, personID int64, now time.Time) error {
	return s.db.Transact(ctx, func(tx *db.Tx) error {
		locked, err := s.store.recordFailure(ctx, tx, personID, s.cfg.MaxFailures, s.cfg.LockFor, now)
		if err != nil {
			return err
		}
		if _, err := audit.Append(ctx, tx, audit.Entry{Actor: personActor(personID), Action: "identity.signin_failed",
			ObjectType: "person", ObjectID: strconv.FormatInt(personID, 10), Change: map[string]any{"locked": locked}, At: now}); err != nil {
			return err
		}
		if !locked {
			return nil
		}
		p, err := s.store.Person(ctx, tx, personID)
		if err != nil || p.EmailVerifiedAt == nil {
			return err
		}
		return s.notify.Send(ctx, tx, notify.Message{Template: "identity.locked",
			Data: map[string]any{"Name": p.DisplayName(p.Lang), "Minutes": int(s.cfg.LockFor.Minutes()), "ResetURL": s.cfg.BaseURL + "/reset"},
			To:   notify.Recipient{Email: p.Email, Lang: p.Lang}, Channels: []notify.Channel{notify.Email}})
	})
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n]
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }

// SecondFactor completes a pending session with a TOTP code or a recovery
// code, and returns a new token: the session is rotated once it becomes
// complete.
func (s *Service) SecondFactor(ctx context.Context, token, code string) (SignInResult, error) {
	var res SignInResult
	err := s.db.Transact(ctx, func(tx *db.Tx) error {
		now := s.now()
		ss, err := s.store.session(ctx, tx, hashToken(token), now, s.cfg.IdleTimeout)
		if err != nil {
			return err
		}
		c, err := s.store.credentialsByID(ctx, tx, ss.PersonID)
		if err != nil {
			return err
		}
		if !c.TOTPEnabled || ss.MFAAt != nil {
			return errs.E(errs.Conflict, "identity.error.mfa_not_pending")
		}
		if c.LockedUntil != nil && now.Before(*c.LockedUntil) {
			return errs.E(errs.TooMany, "identity.error.locked").With("minutes", int(c.LockedUntil.Sub(now).Minutes())+1)
		}
		how, err := s.checkSecondFactor(ctx, tx, c, code, now)
		if err != nil {
			return err
		}
		if how == "" {
			_, err := s.store.recordFailure(ctx, tx, c.ID, s.cfg.MaxFailures, s.cfg.LockFor, now)
			return err
		}
		if _, err := s.store.revokeSessions(ctx, tx, c.ID, ss.TokenHash, now); err != nil {
			return err
		}
		nt, nh := newToken()
		ss.TokenHash, ss.MFAAt, ss.LastSeenAt = nh, &now, now
		if err := s.store.createSession(ctx, tx, ss); err != nil {
			return err
		}
		if err := s.store.clearFailures(ctx, tx, c.ID); err != nil {
			return err
		}
		res = SignInResult{Token: nt, PersonID: c.ID}
		_, err = audit.Append(ctx, tx, audit.Entry{Actor: personActor(c.ID), Action: "identity.second_factor",
			ObjectType: "person", ObjectID: strconv.FormatInt(c.ID, 10), Change: how, At: now})
		return err
	})
	if err == nil && res.Token == "" {
		return res, errs.E(errs.Unauthenticated, "identity.error.code_wrong").OnField("code")
	}
	if err == nil {
		s.Forget(res.PersonID) // the pending session is gone
	}
	return res, err
}

// checkSecondFactor returns "totp" or "recovery" for a good code, "" for a
// wrong one. It records the TOTP step used (no replay) or spends the
// recovery code.
func (s *Service) checkSecondFactor(ctx context.Context, tx *db.Tx, c credentials, code string, now time.Time) (string, error) {
	secret, err := s.box.Open(c.TOTPSecret, totpAAD(c.ID))
	if err != nil {
		return "", fmt.Errorf("identity: open TOTP secret: %w", err)
	}
	if step, ok := totp.Validate(string(secret), code, now, c.TOTPLastStep); ok {
		_, err := tx.ExecContext(ctx, `UPDATE persons SET totp_last_step = $1 WHERE id = $2`, step, c.ID)
		return "totp", err
	}
	hashes, err := s.store.recoveryHashes(ctx, tx, c.ID)
	if err != nil {
		return "", err
	}
	if i := totp.MatchRecovery(code, hashes); i >= 0 {
		_, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = $1 WHERE person_id = $2 AND code_hash = $3 AND used_at IS NULL`, now, c.ID, hashes[i])
		return "recovery", err
	}
	return "", nil
}

func totpAAD(personID int64) string { return "totp:" + strconv.FormatInt(personID, 10) }
