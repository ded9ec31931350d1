package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/eiam/eiam"
)

var (
	_ eiam.SessionStore    = (*Store)(nil)
	_ eiam.SigningKeyStore = (*Store)(nil)
	_ eiam.NonceStore      = (*Store)(nil)
	_ eiam.LoginStore      = (*Store)(nil)
)

const sessionColumns = `id, instance_id, kind, user_id, application_id, scopes, dialect, created_at,
	expires_at, revoked_at, refresh_hash, prev_refresh_hash`

// CreateSession records a new session.
func (s *Store) CreateSession(ctx context.Context, ss *eiam.Session) error {
	var e encoder
	args := []any{ss.ID, ss.InstanceID, string(ss.Kind), ss.UserID, ss.ApplicationID, e.json(nonNil(ss.Scopes)),
		ss.Dialect, e.time(ss.CreatedAt), e.time(ss.ExpiresAt), e.time(ss.RevokedAt), ss.RefreshHash, ss.PrevRefreshHash}
	if e.err != nil {
		return fmt.Errorf("create session: %w", e.err)
	}
	_, err := s.write.ExecContext(ctx, s.q(`INSERT INTO sessions (`+sessionColumns+`) VALUES (`+placeholders(len(args))+`)`), args...)
	return wrap(err, "create session %s", ss.ID)
}

// GetSession returns ErrNotFound when the session does not exist.
func (s *Store) GetSession(ctx context.Context, id string) (*eiam.Session, error) {
	var (
		ss                        eiam.Session
		kind, scopes              string
		created, expires, revoked int64
	)
	err := s.queryRow(ctx, `SELECT `+sessionColumns+` FROM sessions WHERE id = ?`, id).Scan(
		&ss.ID, &ss.InstanceID, &kind, &ss.UserID, &ss.ApplicationID, &scopes, &ss.Dialect,
		&created, &expires, &revoked, &ss.RefreshHash, &ss.PrevRefreshHash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("session", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get session %s: %w", id, err)
	}
	ss.Kind = eiam.SessionKind(kind)
	ss.CreatedAt, ss.ExpiresAt, ss.RevokedAt = timeFromDB(created), timeFromDB(expires), timeFromDB(revoked)
	if err := fromJSON(scopes, &ss.Scopes); err != nil {
		return nil, fmt.Errorf("get session %s: %w", id, err)
	}
	return &ss, nil
}

// RevokeSession marks a session revoked; revoking twice keeps the first time.
func (s *Store) RevokeSession(ctx context.Context, id string, at time.Time) error {
	var e encoder
	_, err := s.write.ExecContext(ctx, s.q(`UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at = 0`), e.time(at), id)
	return wrap(err, "revoke session %s", id)
}

// RevokeUserSessions revokes every live session of a user.
func (s *Store) RevokeUserSessions(ctx context.Context, instanceID, userID string, at time.Time) (int, error) {
	var e encoder
	res, err := s.write.ExecContext(ctx, s.q(`UPDATE sessions SET revoked_at = ?
		WHERE instance_id = ? AND user_id = ? AND revoked_at = 0`), e.time(at), instanceID, userID)
	if err != nil {
		return 0, fmt.Errorf("revoke sessions of %s: %w", userID, err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// RotateRefresh swaps the refresh hash when old is current (compare and
// swap in one statement, so two concurrent uses of one refresh token cannot
// both succeed).
func (s *Store) RotateRefresh(ctx context.Context, id, old, next string) (bool, error) {
	res, err := s.write.ExecContext(ctx, s.q(`UPDATE sessions SET prev_refresh_hash = refresh_hash, refresh_hash = ?
		WHERE id = ? AND refresh_hash = ?`), next, id, old)
	if err != nil {
		return false, fmt.Errorf("rotate refresh of %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// PurgeExpired deletes sessions, nonces and authorization requests that expired before cutoff and
// reports how many rows went.
func (s *Store) PurgeExpired(ctx context.Context, cutoff time.Time) (int64, error) {
	var e encoder
	t := e.time(cutoff)
	var total int64
	for _, q := range []string{`DELETE FROM sessions WHERE expires_at < ?`, `DELETE FROM nonces WHERE expires_at < ?`,
		`DELETE FROM auth_requests WHERE expires_at < ?`} {
		res, err := s.write.ExecContext(ctx, s.q(q), t)
		if err != nil {
			return total, fmt.Errorf("purge expired: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}

func signingKeyPurpose(id string) string { return "signing_key:" + id }

// ListSigningKeys returns every signing key, private keys decrypted.
func (s *Store) ListSigningKeys(ctx context.Context) ([]*eiam.SigningKey, error) {
	if s.key == nil {
		return nil, errors.New("list signing keys: no master key to decrypt them")
	}
	rows, err := s.read.QueryContext(ctx, `SELECT id, algorithm, private, created_at, active_at, retire_at FROM signing_keys ORDER BY created_at`)
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	defer rows.Close()
	var out []*eiam.SigningKey
	for rows.Next() {
		var (
			k                       eiam.SigningKey
			sealed                  string
			created, active, retire int64
		)
		if err := rows.Scan(&k.ID, &k.Algorithm, &sealed, &created, &active, &retire); err != nil {
			return nil, fmt.Errorf("list signing keys: %w", err)
		}
		if k.PrivateKeyPEM, err = s.key.OpenString(sealed, signingKeyPurpose(k.ID)); err != nil {
			return nil, fmt.Errorf("signing key %s: %w", k.ID, err)
		}
		k.CreatedAt, k.ActiveAt, k.RetireAt = timeFromDB(created), timeFromDB(active), timeFromDB(retire)
		out = append(out, &k)
	}
	return out, rows.Err()
}

// PutSigningKey creates or updates a key (only its schedule can change).
func (s *Store) PutSigningKey(ctx context.Context, k *eiam.SigningKey) error {
	if s.key == nil {
		return errors.New("put signing key: no master key to encrypt it")
	}
	var e encoder
	args := []any{k.ID, k.Algorithm, s.key.SealString(k.PrivateKeyPEM, signingKeyPurpose(k.ID)),
		e.time(k.CreatedAt), e.time(k.ActiveAt), e.time(k.RetireAt)}
	_, err := s.write.ExecContext(ctx, s.q(`INSERT INTO signing_keys (id, algorithm, private, created_at, active_at, retire_at)
		VALUES (`+placeholders(len(args))+`) ON CONFLICT (id) DO UPDATE SET active_at = excluded.active_at,
		retire_at = excluded.retire_at`), args...)
	return wrap(err, "put signing key %s", k.ID)
}

// ClaimNonce records a nonce until expires in one upsert, so of two
// replicas claiming one nonce at once exactly one succeeds. A record whose
// expiry has passed (by this server's clock) is taken over; a live one
// makes the claim fail.
func (s *Store) ClaimNonce(ctx context.Context, scope, nonce string, expires time.Time) (bool, error) {
	var e encoder
	exp := e.time(expires)
	now := e.time(time.Now())
	// A claim is a write of its own through group commit, so that the
	// claims of concurrent signed requests share a sync with each other and
	// with the updates they carry, rather than each costing a commit on
	// SQLite's one writer connection. Its key sorts it apart from users.
	err := s.writeUser(ctx, "nonce:"+scope, nonce, writeOpts{}, func(ctx context.Context, tx *writeTx) error {
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO nonces (scope, nonce, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (scope, nonce) DO UPDATE SET expires_at = excluded.expires_at
			WHERE nonces.expires_at < ?`), scope, nonce, exp, now)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return callerError{errNonceUsed}
		}
		return nil
	})
	switch {
	case errors.Is(err, errNonceUsed):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("claim nonce: %w", err)
	}
	return true, nil
}

// errNonceUsed is how a nonce claim that found the nonce live fails, alone
// in its batch.
var errNonceUsed = errors.New("nonce already used")

// GetLoginState returns the zero state when nothing is recorded.
func (s *Store) GetLoginState(ctx context.Context, instanceID, userID string) (eiam.LoginState, error) {
	var (
		st     eiam.LoginState
		locked int64
	)
	err := s.queryRow(ctx, `SELECT failures, locked_until FROM login_failures
		WHERE instance_id = ? AND user_id = ?`, instanceID, userID).Scan(&st.Failures, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return eiam.LoginState{}, nil
	}
	if err != nil {
		return st, fmt.Errorf("get login state of %s: %w", userID, err)
	}
	st.LockedUntil = timeFromDB(locked)
	return st, nil
}

// RecordLoginFailure counts a failure atomically (one upsert that
// increments) and applies the lock lockUntil asks for.
func (s *Store) RecordLoginFailure(ctx context.Context, instanceID, userID string, lockUntil func(int) time.Time) (eiam.LoginState, error) {
	var st eiam.LoginState
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO login_failures (instance_id, user_id, failures, locked_until)
			VALUES (?, ?, 1, 0) ON CONFLICT (instance_id, user_id) DO UPDATE SET failures = login_failures.failures + 1`),
			instanceID, userID); err != nil {
			return err
		}
		var locked int64
		if err := tx.QueryRowContext(ctx, s.q(`SELECT failures, locked_until FROM login_failures
			WHERE instance_id = ? AND user_id = ?`), instanceID, userID).Scan(&st.Failures, &locked); err != nil {
			return err
		}
		st.LockedUntil = timeFromDB(locked)
		if until := lockUntil(st.Failures); !until.IsZero() {
			var e encoder
			st.LockedUntil = until
			_, err := tx.ExecContext(ctx, s.q(`UPDATE login_failures SET locked_until = ? WHERE instance_id = ? AND user_id = ?`),
				e.time(until), instanceID, userID)
			return err
		}
		return nil
	})
	return st, wrap(err, "record login failure of %s", userID)
}

// ResetLogin forgets a user's failures.
func (s *Store) ResetLogin(ctx context.Context, instanceID, userID string) error {
	_, err := s.write.ExecContext(ctx, s.q(`DELETE FROM login_failures WHERE instance_id = ? AND user_id = ?`), instanceID, userID)
	return wrap(err, "reset login of %s", userID)
}

// RehashPassword replaces a user's password hash with one of the same
// password under new parameters, when the stored hash is still old. It is
// not a change of the user: no version, audit record or event, and
// PasswordChangedAt stays, so no session ends.
func (s *Store) RehashPassword(ctx context.Context, instanceID, userID, old, next string) (bool, error) {
	res, err := s.write.ExecContext(ctx, s.q(`UPDATE users SET password_hash = ?
		WHERE instance_id = ? AND id = ? AND password_hash = ?`), next, instanceID, userID, old)
	return affectedOne(res, err, "rehash password of %s", userID)
}
