package directory

import (
	"context"
	"time"

	"github.com/eiam/eiam"
)

// Lockout is the sign-in failure policy: after MaxAttempts consecutive
// failures the account locks for LockFor, doubling with every further
// failure up to MaxLock.
type Lockout struct {
	MaxAttempts int
	LockFor     time.Duration
	MaxLock     time.Duration
}

// DefaultLockout allows ten attempts (Bamboo reports the remainder), then
// locks for five minutes, doubling up to a day.
var DefaultLockout = Lockout{MaxAttempts: 10, LockFor: 5 * time.Minute, MaxLock: 24 * time.Hour}

func (l Lockout) until(now time.Time, failures int) time.Time {
	if failures < l.MaxAttempts {
		return time.Time{}
	}
	d := l.LockFor
	for i := l.MaxAttempts; i < failures && d < l.MaxLock; i++ {
		d *= 2
	}
	return now.Add(min(d, l.MaxLock))
}

// Verifier checks a password against a stored hash; package password
// implements it.
type Verifier interface {
	Verify(encoded, secret string) (ok, rehash bool, err error)
	Dummy(secret string)
}

// SignInStore is what sign-in needs beyond the directory's store.
type SignInStore interface {
	eiam.LoginStore
	LookupUser(ctx context.Context, instanceID string, c eiam.Claim) (*eiam.User, error)
}

// Rehasher upgrades a stored password hash to the current parameters; the
// store implements it (sqlstore.Store.RehashPassword). It reports false
// when the stored hash is no longer old.
type Rehasher interface {
	RehashPassword(ctx context.Context, instanceID, userID, old, next string) (bool, error)
}

// SignIn authenticates users by password with lockout. Failures of an
// unknown user and of a wrong password are indistinguishable to the caller,
// in message and in time.
type SignIn struct {
	Store     SignInStore
	Passwords Verifier
	Lockout   Lockout
	Clock     eiam.Clock
	// Rehash, when set with a Passwords that can also Hash, upgrades the
	// hash of a password whose parameters are not the current ones, on
	// the first sign-in that proves it.
	Rehash Rehasher
}

// Authenticate finds the user by username, email or phone number and
// checks the password. Errors: ErrBadCredentials (Args "remaining": attempts
// left), ErrLocked (Args "seconds": until unlock), ErrForbidden for a
// disabled user with the right password.
func (s *SignIn) Authenticate(ctx context.Context, instanceID, login, pw string) (*eiam.User, error) {
	now := time.Now
	if s.Clock != nil {
		now = s.Clock
	}
	lock := s.Lockout
	if lock.MaxAttempts == 0 {
		lock = DefaultLockout
	}
	u, err := s.find(ctx, instanceID, login)
	if err != nil {
		if eiam.ErrorCode(err) != eiam.ErrNotFound {
			return nil, err
		}
		s.Passwords.Dummy(pw)
		return nil, eiam.Errorf(eiam.ErrBadCredentials, "password", "bad_credentials", "remaining", lock.MaxAttempts)
	}
	st, err := s.Store.GetLoginState(ctx, instanceID, u.ID)
	if err != nil {
		return nil, err
	}
	if t := now(); st.LockedUntil.After(t) {
		s.Passwords.Dummy(pw)
		return nil, eiam.Errorf(eiam.ErrLocked, "username", "locked", "seconds", int(st.LockedUntil.Sub(t).Seconds())+1)
	}
	ok, rehash := false, false
	if u.PasswordHash != "" {
		ok, rehash, err = s.Passwords.Verify(u.PasswordHash, pw)
		if err != nil {
			ok = false
		}
	} else {
		s.Passwords.Dummy(pw)
	}
	if !ok {
		st, err := s.Store.RecordLoginFailure(ctx, instanceID, u.ID, func(n int) time.Time { return lock.until(now(), n) })
		if err != nil {
			return nil, err
		}
		if !st.LockedUntil.IsZero() {
			return nil, eiam.Errorf(eiam.ErrLocked, "username", "locked", "seconds", int(st.LockedUntil.Sub(now()).Seconds())+1)
		}
		return nil, eiam.Errorf(eiam.ErrBadCredentials, "password", "bad_credentials", "remaining", max(lock.MaxAttempts-st.Failures, 0))
	}
	if st.Failures > 0 {
		if err := s.Store.ResetLogin(ctx, instanceID, u.ID); err != nil {
			return nil, err
		}
	}
	if u.Status != eiam.StatusEnabled {
		return nil, eiam.Errorf(eiam.ErrForbidden, "username", "forbidden")
	}
	if rehash {
		s.rehash(ctx, u, pw)
	}
	return u, nil
}

// rehash upgrades u's password hash. It is best effort: the sign-in has
// succeeded whatever happens here, and the next one tries again.
func (s *SignIn) rehash(ctx context.Context, u *eiam.User, pw string) {
	h, ok := s.Passwords.(PasswordHasher)
	if !ok || s.Rehash == nil {
		return
	}
	next, err := h.Hash(pw)
	if err != nil {
		return
	}
	if done, err := s.Rehash.RehashPassword(ctx, u.InstanceID, u.ID, u.PasswordHash, next); err == nil && done {
		u.PasswordHash = next
	}
}

func (s *SignIn) find(ctx context.Context, instanceID, login string) (*eiam.User, error) {
	claims := []eiam.Claim{eiam.UsernameClaim(login)}
	if containsByte(login, '@') {
		claims = append(claims, eiam.EmailClaim(login))
	}
	if region, number := splitPhone(login); allDigits(number) && len(number) >= 6 {
		claims = append(claims, eiam.PhoneClaim(region, number))
	}
	for _, c := range claims {
		u, err := s.Store.LookupUser(ctx, instanceID, c)
		if err == nil {
			return u, nil
		}
		if eiam.ErrorCode(err) != eiam.ErrNotFound {
			return nil, err
		}
	}
	return nil, eiam.Errorf(eiam.ErrNotFound, "username", "user_not_found", "id", login)
}

func containsByte(s string, c byte) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return true
		}
	}
	return false
}
