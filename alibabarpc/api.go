package alibabarpc

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/acssign"
	"github.com/eiam/eiam/i18n"
	"github.com/eiam/eiam/wire"
)

// Directory is the part of the directory service this dialect calls.
type Directory interface {
	CreateUser(ctx context.Context, instanceID, id string, c *eiam.ProfileChange, a eiam.Actor, o eiam.Origin) (*eiam.User, error)
	UpdateUser(ctx context.Context, instanceID, userID string, c *eiam.ProfileChange, a eiam.Actor, o eiam.Origin) (*eiam.User, error)
	DeleteUser(ctx context.Context, instanceID, userID string, a eiam.Actor, o eiam.Origin) error
	GetUser(ctx context.Context, instanceID, userID string) (*eiam.User, error)
	FindUser(ctx context.Context, instanceID, kind, value string) (*eiam.User, error)
	ListUsers(ctx context.Context, instanceID string, q eiam.UserQuery) (*eiam.UserPage, error)
	Fields(ctx context.Context, instanceID string) ([]*eiam.FieldDefinition, error)
	// PutField validates and stores a definition, assigning an id to a new one.
	PutField(ctx context.Context, f *eiam.FieldDefinition) error
}

// Store reads access keys, organizational units and single custom field
// definitions, and removes definitions.
type Store interface {
	// GetAccessKey returns ErrNotFound when the key does not exist.
	GetAccessKey(ctx context.Context, id string) (*eiam.AccessKey, error)
	// GetOrgUnit returns ErrNotFound when the unit does not exist.
	GetOrgUnit(ctx context.Context, instanceID, id string) (*eiam.OrgUnit, error)
	// GetField returns ErrNotFound when the definition does not exist.
	GetField(ctx context.Context, instanceID, id string) (*eiam.FieldDefinition, error)
	// DeleteField returns ErrNotFound when the definition does not exist.
	DeleteField(ctx context.Context, instanceID, id string) error
}

// Nonces remembers signature nonces across replicas (eiam.NonceStore).
type Nonces interface {
	ClaimNonce(ctx context.Context, key, nonce string, expires time.Time) (fresh bool, err error)
}

// MaxBody bounds a request body. A thousand custom fields of a kilobyte
// each fit.
const MaxBody = 1 << 20

// maxParams bounds the number of parameters of one request.
const maxParams = 5000

// dialect names this API in audit records.
const dialect = "alibaba-rpc"

// API serves the signed RPC dialect at "/".
type API struct {
	Directory Directory
	Store     Store
	Nonces    Nonces
	// Clock is the time source of the timestamp window; time.Now when nil.
	Clock eiam.Clock
	// Window is the tolerated clock skew; acssign.DefaultWindow (15 min)
	// when zero.
	Window time.Duration
	// Recommend returns the error envelope's Recommend link; nil gives the
	// vendor's troubleshooting page, which explains the same codes.
	Recommend func(code, requestID string) string
	Log       *slog.Logger
}

// Routes registers the API at "/" for every method. A server that also
// serves something else at "GET /" must instead dispatch on Match.
func (a *API) Routes(handle func(pattern string, h http.Handler)) {
	handle("/{$}", a)
}

// Match reports whether r is an RPC call: path "/" with an Action parameter
// (query or form body) or an x-acs-action header. To look into a form body
// it reads it and puts it back, so the request can still be served.
func Match(r *http.Request) bool {
	if r.URL.Path != "/" {
		return false
	}
	if r.Header.Get("x-acs-action") != "" || r.URL.Query().Has("Action") {
		return true
	}
	if r.Method != http.MethodPost || r.Body == nil || !isForm(r) {
		return false
	}
	peek, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	rest := r.Body
	r.Body = readCloser{io.MultiReader(bytes.NewReader(peek), rest), rest}
	if err != nil {
		return false
	}
	form, err := url.ParseQuery(string(peek))
	return err == nil && form.Has("Action")
}

// readCloser is a body put back together after Match read its start.
type readCloser struct {
	io.Reader
	io.Closer
}

func isForm(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "application/x-www-form-urlencoded"
}

// call is one authenticated request's context.
type call struct {
	action string
	params map[string]string
	key    *eiam.AccessKey
	actor  eiam.Actor
	origin eiam.Origin
}

// ServeHTTP authenticates the request (signature, access key, time window,
// nonce), checks the version, the action and the key's permission for the
// action in the instance, and runs the action.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r = withRequestID(r)
	lang := i18n.Negotiate(r.Header.Get("Accept-Language"))
	resp, names, err := a.serve(r, lang)
	if err != nil {
		a.fail(w, r, lang, names, err)
		return
	}
	resp["RequestId"] = wire.RequestID(r.Context())
	writeJSON(w, http.StatusOK, resp)
}

// serve runs the request and returns the response body without its
// RequestId, or the error and the names its fields are spelled with.
func (a *API) serve(r *http.Request, lang i18n.Lang) (map[string]any, map[string]string, error) {
	c, err := a.authenticate(r, lang)
	if err != nil {
		return nil, userNames, err
	}
	spec := actionSpecs[c.action]
	out, err := spec.run(a, r.Context(), c)
	return out, spec.names, err
}

// authenticate checks everything but the action's own parameters.
func (a *API) authenticate(r *http.Request, lang i18n.Lang) (*call, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		return nil, gateway("method_not_allowed", lang)
	}
	body, err := wire.ReadBody(r, MaxBody)
	if err != nil {
		return nil, err
	}
	if len(body) > 0 && (r.Method != http.MethodPost || !isForm(r)) {
		// Only form bodies carry parameters here; any other body would be
		// signed (V3 hashes it) yet never read, and the caller would
		// believe its content took effect.
		return nil, eiam.Errorf(eiam.ErrInvalid, "body", "invalid_format",
			"reason", "only an application/x-www-form-urlencoded body is read")
	}
	areq, err := acssign.NewRequest(r, body)
	if err != nil {
		return nil, err
	}
	switch acssign.Detect(areq) {
	case acssign.SchemeV1, acssign.SchemeV3, "":
	default:
		// acssign also knows the Authing scheme; it is not this API's.
		return nil, gateway("wrong_scheme", lang)
	}
	if len(areq.Query)+len(areq.Form) > maxParams {
		return nil, eiam.Errorf(eiam.ErrInvalid, "body", "too_long", "max", maxParams)
	}
	var key *eiam.AccessKey
	v := &acssign.Verifier{
		Secret: a.secret(lang, &key),
		Nonces: nonceStore{a.Nonces, a.now},
		Window: a.Window,
		Now:    a.now,
	}
	p, err := v.Authenticate(r.Context(), areq)
	if err != nil {
		return nil, err
	}
	if p.SecurityToken != "" {
		// eiam issues no STS tokens, so one cannot be valid.
		return nil, gateway("sts_unsupported", lang)
	}
	switch {
	case p.Version == "":
		return nil, gateway("missing_version", lang)
	case p.Version != Version:
		return nil, gateway("invalid_version", lang)
	case p.Action == "":
		return nil, gateway("missing_action", lang)
	}
	if _, ok := actionSpecs[p.Action]; !ok {
		return nil, gateway("action_not_found", lang)
	}
	params := make(map[string]string, len(p.Params))
	for k, vs := range p.Params {
		params[k] = vs[0]
	}
	instanceID := params["InstanceId"]
	if instanceID == "" {
		return nil, eiam.Errorf(eiam.ErrMissing, "InstanceId", "required")
	}
	if !key.Allows("eiam:"+p.Action, instanceID) {
		return nil, eiam.Errorf(eiam.ErrForbidden, "", "forbidden")
	}
	return &call{
		action: p.Action, params: params, key: key,
		actor: eiam.Actor{Kind: eiam.ActorAccessKey, ID: key.ID},
		origin: eiam.Origin{
			Dialect: dialect, RequestID: wire.RequestID(r.Context()), ClientIP: wire.ClientIP(r.Context()),
		},
	}, nil
}

// secret looks up the access key of a parsed request for the verifier and
// keeps it in *key for the permission check.
func (a *API) secret(lang i18n.Lang, key **eiam.AccessKey) func(ctx context.Context, p *acssign.Parsed) (string, error) {
	return func(ctx context.Context, p *acssign.Parsed) (string, error) {
		k, err := a.Store.GetAccessKey(ctx, p.AccessKeyID)
		switch {
		case eiam.ErrorCode(err) == eiam.ErrNotFound:
			return "", gateway("key_not_found", lang)
		case err != nil:
			return "", err
		case k.Disabled:
			return "", gateway("key_inactive", lang)
		}
		*key = k
		return k.Secret, nil
	}
}

// nonceStore adapts eiam's nonce store to acssign's. Nonces are kept per
// access key under a prefix of this API, so other users of the store (the
// Authing management API signs with the same keys) never collide with it.
type nonceStore struct {
	store Nonces
	now   func() time.Time
}

func (n nonceStore) Claim(ctx context.Context, accessKeyID, nonce string, ttl time.Duration) (bool, error) {
	return n.store.ClaimNonce(ctx, "acs:"+accessKeyID, nonce, n.now().Add(ttl))
}

func (a *API) now() time.Time {
	if a.Clock != nil {
		return a.Clock()
	}
	return time.Now()
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, lang i18n.Lang, names map[string]string, err error) {
	var out *rpcError
	var re *rpcError
	switch {
	case errors.As(err, &re):
		out = re
	default:
		if se, ok := fromSignature(err); ok {
			out = se
			break
		}
		e := eiam.AsError(err)
		if e.Code == eiam.ErrInternal && a.Log != nil {
			a.Log.ErrorContext(r.Context(), "alibaba RPC request failed", "err", err, "request_id", wire.RequestID(r.Context()))
		}
		m := mapError(e, names)
		out = &rpcError{status: m.status, code: m.code, message: i18n.MessageAll(lang, renamed(e, names))}
	}
	id := wire.RequestID(r.Context())
	recommend := "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(out.code) + "&product=Eiam&requestId=" + url.QueryEscape(id)
	if a.Recommend != nil {
		recommend = a.Recommend(out.code, id)
	}
	writeJSON(w, out.status, errorBody{RequestID: id, HostID: r.Host, Code: out.code, Message: out.message, Recommend: recommend})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// withRequestID makes sure r's context carries a request id: the server's
// middleware assigns one; served without it, the API makes its own (in the
// vendor's upper-case UUID form) so the body and the audit record agree.
func withRequestID(r *http.Request) *http.Request {
	if wire.RequestID(r.Context()) != "" {
		return r
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := strings.ToUpper(hex.EncodeToString(b[:]))
	id := h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	return r.WithContext(wire.WithRequestID(r.Context(), id))
}
