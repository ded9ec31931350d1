package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/eiam/eiam"
)

var _ eiam.AuthRequestStore = (*Store)(nil)

// authRequestParams is the JSON form of the immutable protocol parameters
// of an authorization request.
type authRequestParams struct {
	RedirectURI         string   `json:"redirect_uri"`
	Scopes              []string `json:"scopes"`
	State               string   `json:"state,omitempty"`
	Nonce               string   `json:"nonce,omitempty"`
	ResponseType        string   `json:"response_type"`
	ResponseMode        string   `json:"response_mode,omitempty"`
	CodeChallenge       string   `json:"code_challenge,omitempty"`
	CodeChallengeMethod string   `json:"code_challenge_method,omitempty"`
	LoginHint           string   `json:"login_hint,omitempty"`
}

// CreateAuthRequest records a new authorization request.
func (s *Store) CreateAuthRequest(ctx context.Context, r *eiam.AuthRequest) error {
	var e encoder
	params := e.json(authRequestParams{RedirectURI: r.RedirectURI, Scopes: nonNil(r.Scopes), State: r.State,
		Nonce: r.Nonce, ResponseType: r.ResponseType, ResponseMode: r.ResponseMode, CodeChallenge: r.CodeChallenge,
		CodeChallengeMethod: r.CodeChallengeMethod, LoginHint: r.LoginHint})
	args := []any{r.ID, r.InstanceID, r.ClientID, params, r.UserID, r.SessionID, e.time(r.AuthTime),
		e.time(r.CreatedAt), e.time(r.ExpiresAt)}
	if e.err != nil {
		return fmt.Errorf("create auth request: %w", e.err)
	}
	_, err := s.write.ExecContext(ctx, s.q(`INSERT INTO auth_requests (id, instance_id, client_id, request, user_id,
		session_id, auth_time, created_at, expires_at) VALUES (`+placeholders(len(args))+`)`), args...)
	return wrap(err, "create auth request %s", r.ID)
}

const authRequestColumns = `id, instance_id, client_id, request, user_id, session_id, auth_time, redeemed, created_at, expires_at`

// GetAuthRequest returns ErrNotFound when the request does not exist.
func (s *Store) GetAuthRequest(ctx context.Context, id string) (*eiam.AuthRequest, error) {
	return s.scanAuthRequest(s.read.QueryRowContext(ctx, s.q(`SELECT `+authRequestColumns+` FROM auth_requests WHERE id = ?`), id), id)
}

// GetAuthRequestByCode returns ErrNotFound when no request holds the code.
func (s *Store) GetAuthRequestByCode(ctx context.Context, codeHash string) (*eiam.AuthRequest, error) {
	return s.scanAuthRequest(s.read.QueryRowContext(ctx, s.q(`SELECT `+authRequestColumns+` FROM auth_requests WHERE code_hash = ?`), codeHash), "code")
}

func (s *Store) scanAuthRequest(row *sql.Row, id string) (*eiam.AuthRequest, error) {
	var (
		r                         eiam.AuthRequest
		params                    string
		authTime, created, expire int64
	)
	err := row.Scan(&r.ID, &r.InstanceID, &r.ClientID, &params, &r.UserID, &r.SessionID, &authTime, &r.Redeemed, &created, &expire)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("auth_request", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get auth request %s: %w", id, err)
	}
	var p authRequestParams
	if err := fromJSON(params, &p); err != nil {
		return nil, fmt.Errorf("get auth request %s: %w", id, err)
	}
	r.RedirectURI, r.Scopes, r.State, r.Nonce = p.RedirectURI, p.Scopes, p.State, p.Nonce
	r.ResponseType, r.ResponseMode, r.CodeChallenge, r.CodeChallengeMethod = p.ResponseType, p.ResponseMode, p.CodeChallenge, p.CodeChallengeMethod
	r.LoginHint = p.LoginHint
	r.AuthTime, r.CreatedAt, r.ExpiresAt = timeFromDB(authTime), timeFromDB(created), timeFromDB(expire)
	return &r, nil
}

// CompleteAuthRequest records the sign-in once (compare-and-set on an empty
// user).
func (s *Store) CompleteAuthRequest(ctx context.Context, id, userID, sessionID string, authTime time.Time) (bool, error) {
	var e encoder
	res, err := s.write.ExecContext(ctx, s.q(`UPDATE auth_requests SET user_id = ?, session_id = ?, auth_time = ?
		WHERE id = ? AND user_id = ''`), userID, sessionID, e.time(authTime), id)
	return affectedOne(res, err, "complete auth request %s", id)
}

// SetAuthCode attaches a code to a completed request that has none.
func (s *Store) SetAuthCode(ctx context.Context, id, codeHash string) (bool, error) {
	res, err := s.write.ExecContext(ctx, s.q(`UPDATE auth_requests SET code_hash = ?
		WHERE id = ? AND user_id <> '' AND code_hash IS NULL`), codeHash, id)
	return affectedOne(res, err, "set code of auth request %s", id)
}

// RedeemAuthRequest marks the code redeemed; the row count says who won.
func (s *Store) RedeemAuthRequest(ctx context.Context, id string) (bool, error) {
	res, err := s.write.ExecContext(ctx, s.q(`UPDATE auth_requests SET redeemed = TRUE WHERE id = ? AND NOT redeemed`), id)
	return affectedOne(res, err, "redeem auth request %s", id)
}

func affectedOne(res sql.Result, err error, format string, args ...any) (bool, error) {
	if err != nil {
		return false, wrap(err, format, args...)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap(err, format, args...)
	}
	return n == 1, nil
}
