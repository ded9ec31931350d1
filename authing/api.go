package authing

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/acssign"
	"github.com/eiam/eiam/i18n"
	"github.com/eiam/eiam/token"
	"github.com/eiam/eiam/wire"
)

// Directory is the part of the directory service this dialect calls.
type Directory interface {
	GetUser(ctx context.Context, instanceID, userID string) (*eiam.User, error)
	FindUser(ctx context.Context, instanceID, kind, value string) (*eiam.User, error)
	CreateUser(ctx context.Context, instanceID, id string, c *eiam.ProfileChange, a eiam.Actor, o eiam.Origin) (*eiam.User, error)
	UpdateUser(ctx context.Context, instanceID, userID string, c *eiam.ProfileChange, a eiam.Actor, o eiam.Origin) (*eiam.User, error)
	DeleteUser(ctx context.Context, instanceID, userID string, a eiam.Actor, o eiam.Origin) error
	Fields(ctx context.Context, instanceID string) ([]*eiam.FieldDefinition, error)
}

// Authenticator checks a password sign-in (directory.SignIn implements it).
type Authenticator interface {
	Authenticate(ctx context.Context, instanceID, login, password string) (*eiam.User, error)
}

// SecretVerifier checks a client secret against an application's stored
// hash (package password implements it).
type SecretVerifier interface {
	Verify(encoded, secret string) (ok, rehash bool, err error)
}

// Tokens issues and verifies tokens (token.Authority implements it).
type Tokens interface {
	StartSession(ctx context.Context, s *eiam.Session, ttl time.Duration) (*eiam.Session, error)
	IssueAccess(ctx context.Context, s *eiam.Session, extra map[string]any) (token.Issued, error)
	IssueID(ctx context.Context, s *eiam.Session, extra map[string]any) (token.Issued, error)
	Verify(ctx context.Context, raw string, want token.Expect) (*token.Principal, error)
	// Sign, JWKS and Issuer make and check management tokens, which have no
	// session (see mgmttoken.go).
	Sign(ctx context.Context, typ string, claims any) (string, error)
	JWKS(ctx context.Context) (jose.JSONWebKeySet, error)
	Issuer(instanceID string) string
}

// Store reads applications, access keys and instances, and sets a new
// session's refresh token.
type Store interface {
	FindApplicationByClientID(ctx context.Context, clientID string) (*eiam.Application, error)
	GetApplication(ctx context.Context, instanceID, id string) (*eiam.Application, error)
	GetAccessKey(ctx context.Context, id string) (*eiam.AccessKey, error)
	GetInstance(ctx context.Context, id string) (*eiam.Instance, error)
	RotateRefresh(ctx context.Context, id, old, next string) (bool, error)
}

var _ Tokens = (*token.Authority)(nil)

// API serves the Authing V3 dialect.
type API struct {
	Directory Directory
	SignIn    Authenticator
	Secrets   SecretVerifier
	Tokens    Tokens
	Store     Store
	// Nonces remembers the nonces of signed management requests; it must
	// be shared by every replica.
	Nonces acssign.NonceStore
	// Clock is the time; nil means time.Now.
	Clock eiam.Clock
	Log   *slog.Logger
}

// Routes registers the dialect's routes with handle.
func (a *API) Routes(handle func(pattern string, h http.Handler)) {
	handle("POST /api/v3/signin", a.wrap(a.signin))
	handle("GET /api/v3/get-profile", a.wrap(a.userCall(a.getProfile, true)))
	handle("POST /api/v3/update-profile", a.wrap(a.userCall(a.updateProfile, false)))

	handle("POST /api/v3/get-management-token", a.wrap(a.managementToken))
	handle("GET /api/v3/get-user", a.wrap(a.adminCall("eiam:GetUser", a.getUser)))
	handle("POST /api/v3/create-user", a.wrap(a.adminCall("eiam:CreateUser", a.createUser)))
	handle("POST /api/v3/update-user", a.wrap(a.adminCall("eiam:UpdateUser", a.updateUser)))
	handle("POST /api/v3/delete-users-batch", a.wrap(a.adminCall("eiam:DeleteUser", a.deleteUsers)))
}

// JWKSHandler serves the signing keys, for GET /oidc/.well-known/jwks.json
// where the SDK's parseAccessToken and parseIDToken look. It is not in
// Routes because the OpenID Connect provider may publish the same path.
func (a *API) JWKSHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		set, err := a.Tokens.JWKS(r.Context())
		if err != nil {
			a.logError(r, err)
			http.Error(w, "signing keys unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_ = json.NewEncoder(w).Encode(set)
	})
}

func (a *API) now() time.Time {
	if a.Clock != nil {
		return a.Clock()
	}
	return time.Now()
}

// call is one request's context.
type call struct {
	lang i18n.Lang
	orig eiam.Origin
	// app is the application the call was made for: by sign-in's client,
	// by the access token, or by x-authing-app-id on management calls.
	app *eiam.Application
	// user is the token's principal on self-service calls.
	user *token.Principal
	// instanceID and key are set on management calls.
	instanceID string
	key        *eiam.AccessKey
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call) error

// wrap gives every handler its language, origin and error envelope.
func (a *API) wrap(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{
			lang: i18n.Negotiate(r.Header.Get("x-authing-lang"), r.Header.Get("Accept-Language")),
			orig: eiam.Origin{Dialect: "authing", RequestID: requestID(r), ClientIP: wire.ClientIP(r.Context())},
		}
		err := refuseQuery(r)
		if err == nil {
			err = h(w, r, c)
		}
		if err != nil {
			a.fail(w, r, c, err)
		}
	})
}

// refuseQuery refuses query parameters on a POST: every POST of this API
// reads its parameters from the JSON body alone (and the management
// signature covers only the body), so a parameter in the query — a userId,
// say — would be ignored while the caller believed it took effect.
func refuseQuery(r *http.Request) error {
	if r.Method != http.MethodPost || r.URL.RawQuery == "" {
		return nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil || len(q) == 0 {
		return eiam.Errorf(eiam.ErrInvalid, "query", "invalid_format", "reason", "a POST takes its parameters in the JSON body")
	}
	return eiam.Errorf(eiam.ErrUnknownField, slices.Sorted(maps.Keys(q))[0], "unknown_field")
}

// requestID is the server's request id; a handler mounted without the
// server's middleware (a test, a tool) still answers with one.
func requestID(r *http.Request) string {
	if id := wire.RequestID(r.Context()); id != "" {
		return id
	}
	return eiam.NewID("req")
}

// envelope is every Authing response: the business status, a message, the
// finer apiCode of an error, the request id and the data.
type envelope struct {
	StatusCode int    `json:"statusCode"`
	Message    string `json:"message"`
	APICode    int    `json:"apiCode,omitempty"`
	RequestID  string `json:"requestId"`
	Data       any    `json:"data,omitempty"`
}

// ok writes a success envelope.
func ok(w http.ResponseWriter, c *call, data any) error {
	writeJSON(w, envelope{StatusCode: http.StatusOK, Message: "", RequestID: c.orig.RequestID, Data: data})
	return nil
}

// writeJSON always answers HTTP 200: Authing's SDKs throw on any other
// status and read the outcome from statusCode (spec §3).
func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, c *call, err error) {
	var sig *acssign.Error
	if errors.As(err, &sig) {
		a.failSignature(w, r, c, sig)
		return
	}
	e := eiam.AsError(err)
	if e.Code == eiam.ErrInternal {
		a.logError(r, err)
	}
	m := errorCodes[e.Code]
	env := envelope{StatusCode: m.status, APICode: m.apiCode, RequestID: c.orig.RequestID,
		Message: i18n.MessageAll(c.lang, renamed(e))}
	switch e.Code {
	case eiam.ErrBadCredentials:
		// Guard reads the attempts left from data.remainCount.
		env.Data = map[string]any{"remainCount": e.Args["remaining"]}
	case eiam.ErrLocked:
		env.Data = map[string]any{"lockedSeconds": e.Args["seconds"]}
	}
	writeJSON(w, env)
}

// failSignature answers a management request whose signature failed. The
// detail and the server's string to sign go to the log only: they help a
// developer, and they help an attacker probe the verifier as much.
func (a *API) failSignature(w http.ResponseWriter, r *http.Request, c *call, e *acssign.Error) {
	if a.Log != nil {
		a.Log.InfoContext(r.Context(), "authing management signature refused",
			"code", e.Code, "detail", e.Detail, "request_id", c.orig.RequestID)
	}
	msg, known := signatureMessages[e.Code]
	if !known {
		msg = signatureMessages["SignatureDoesNotMatch"]
	}
	text := msg[0]
	if c.lang == i18n.Chinese {
		text = msg[1]
	}
	m := errorCodes[eiam.ErrSignature]
	writeJSON(w, envelope{StatusCode: m.status, APICode: m.apiCode, RequestID: c.orig.RequestID, Message: text})
}

func (a *API) logError(r *http.Request, err error) {
	if a.Log != nil {
		a.Log.ErrorContext(r.Context(), "authing request failed", "err", err, "request_id", wire.RequestID(r.Context()))
	}
}

// renamed returns e with canonical attribute names replaced by the Authing
// members the caller sent ("address.locality" becomes "city"), in the
// error and in each of its violations. e itself is not modified.
func renamed(e *eiam.Error) *eiam.Error {
	out := renameOne(e)
	if len(e.Errs) > 0 {
		out.Errs = make([]*eiam.Error, len(e.Errs))
		for i, v := range e.Errs {
			out.Errs[i] = renameOne(v)
		}
	}
	return out
}

func renameOne(e *eiam.Error) *eiam.Error {
	c := *e
	c.Field = wireName(e.Field)
	if len(e.Args) > 0 {
		c.Args = make(map[string]any, len(e.Args))
		for k, v := range e.Args {
			// required_with names the attribute that needs the field.
			if s, isString := v.(string); isString && k == "attr" {
				v = wireName(s)
			}
			c.Args[k] = v
		}
	}
	return &c
}

func wireName(field string) string {
	if n, ok := wireNames[field]; ok {
		return n
	}
	if rest, ok := strings.CutPrefix(field, "custom_fields."); ok {
		return keyCustomData + "." + rest
	}
	return field
}

// readBody reads a bounded request body.
func readBody(r *http.Request) ([]byte, error) {
	return wire.ReadBody(r, wire.MaxBody)
}

// notFoundAsUnknownClient turns a store's not-found of an application or
// access key into the unknown-client error naming what the caller sent.
func notFoundAsUnknownClient(err error, field, id string) error {
	if eiam.ErrorCode(err) == eiam.ErrNotFound {
		return eiam.Errorf(eiam.ErrUnknownClient, field, "unknown_client", "id", id)
	}
	return err
}
