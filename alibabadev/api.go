package alibabadev

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/i18n"
	"github.com/eiam/eiam/token"
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
}

// Tokens starts client sessions and issues and verifies their access tokens.
type Tokens interface {
	StartSession(ctx context.Context, s *eiam.Session, ttl time.Duration) (*eiam.Session, error)
	IssueAccess(ctx context.Context, s *eiam.Session, extra map[string]any) (token.Issued, error)
	Verify(ctx context.Context, raw string, want token.Expect) (*token.Principal, error)
}

// Store reads applications (the OAuth clients) and organizational units
// (for their names in the user object).
type Store interface {
	// GetApplication returns ErrNotFound when the application does not exist.
	GetApplication(ctx context.Context, instanceID, id string) (*eiam.Application, error)
	// GetOrgUnit returns ErrNotFound when the unit does not exist.
	GetOrgUnit(ctx context.Context, instanceID, id string) (*eiam.OrgUnit, error)
}

// SecretVerifier checks a client secret against its stored hash; package
// password implements it.
type SecretVerifier interface {
	Verify(encoded, secret string) (ok, rehash bool, err error)
}

// ClientSessionTTL bounds the life of the session behind each
// client_credentials token; the token itself lives as long as the token
// authority's access lifetime allows within it.
const ClientSessionTTL = 2 * time.Hour

// dialect names this API in audit records and sessions.
const dialect = "alibaba-dev"

// API serves the developer API dialect.
type API struct {
	Directory Directory
	Tokens    Tokens
	Store     Store
	Secrets   SecretVerifier
	// Clock is the time source of expires_in; time.Now when nil.
	Clock eiam.Clock
	Log   *slog.Logger
}

// Routes registers the dialect's routes with handle.
func (a *API) Routes(handle func(pattern string, h http.Handler)) {
	const users = "/v2/{instanceId}/{applicationId}/users"
	handle("POST /v2/{instanceId}/{applicationId}/oauth2/token", http.HandlerFunc(a.token))
	handle("POST "+users, a.wrap(a.createUser, ScopeUserManage))
	handle("GET "+users, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.serve(w, r, a.listUsers, ScopeUserRead) // reads its own query
	}))
	handle("GET "+users+"/{userId}", a.wrap(a.getUser, ScopeUserRead))
	handle("PATCH "+users+"/{userId}", a.wrap(a.patchUser, ScopeUserManage))
	handle("DELETE "+users+"/{userId}", a.wrap(a.deleteUser, ScopeUserManage))
	handle("POST "+users+"/{userId}/actions/{action}", http.HandlerFunc(a.action))
}

// call is one authenticated request's context.
type call struct {
	instanceID string
	appID      string
	actor      eiam.Actor
	origin     eiam.Origin
}

type handlerFunc func(w http.ResponseWriter, r *http.Request, c *call) error

// wrap authenticates a user-API request — a live access token of this
// instance issued to the application in the path, carrying scope (or the
// manage scope, which includes reading) — refuses query parameters, which
// the endpoint does not define, and renders errors.
func (a *API) wrap(h handlerFunc, scope string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.serve(w, r, noQuery(h), scope)
	})
}

// noQuery refuses query parameters on an endpoint that defines none: they
// would be ignored, while the caller believed (of a userId, say) that they
// took effect.
func noQuery(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		if r.URL.RawQuery == "" {
			return h(w, r, c)
		}
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil || len(q) == 0 {
			return eiam.Errorf(eiam.ErrInvalid, "query", "invalid_format", "reason", "this endpoint takes no query parameters")
		}
		return eiam.Errorf(eiam.ErrUnknownField, slices.Sorted(maps.Keys(q))[0], "unknown_field")
	}
}

func (a *API) serve(w http.ResponseWriter, r *http.Request, h handlerFunc, scope string) {
	r = withRequestID(r)
	lang := i18n.Negotiate(r.Header.Get("Accept-Language"))
	c, err := a.authenticate(r, scope)
	if err == nil {
		err = h(w, r, c)
	}
	if err != nil {
		a.fail(w, r, lang, err)
	}
}

func (a *API) authenticate(r *http.Request, scope string) (*call, error) {
	instanceID, appID := r.PathValue("instanceId"), r.PathValue("applicationId")
	invalid := eiam.Errorf(eiam.ErrUnauthenticated, "token", "token_invalid")
	raw := wire.BearerToken(r.Header.Get("Authorization"))
	if raw == "" {
		return nil, invalid
	}
	p, err := a.Tokens.Verify(r.Context(), raw, token.Expect{InstanceID: instanceID, Audience: appID, Use: token.UseAccess})
	if err != nil {
		return nil, err
	}
	// The audience check already ties the token to the path's application;
	// the session is checked too, as it is what was authenticated.
	if p.ApplicationID != appID || p.InstanceID != instanceID {
		return nil, invalid
	}
	if p.Kind != eiam.SessionClient {
		// A user's token, even one issued to this application, does not
		// make the application an administrator of the directory.
		return nil, eiam.Errorf(eiam.ErrForbidden, "", "forbidden", "scope", scope)
	}
	if !p.HasScope(scope) && !p.HasScope(ScopeUserManage) {
		return nil, eiam.Errorf(eiam.ErrForbidden, "", "forbidden", "scope", scope)
	}
	return &call{
		instanceID: instanceID, appID: appID,
		actor: eiam.Actor{Kind: eiam.ActorApplication, ID: appID, ApplicationID: appID},
		origin: eiam.Origin{
			Dialect: dialect, RequestID: wire.RequestID(r.Context()), ClientIP: wire.ClientIP(r.Context()),
		},
	}, nil
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, lang i18n.Lang, err error) {
	e := eiam.AsError(err)
	if e.Code == eiam.ErrInternal && a.Log != nil {
		a.Log.ErrorContext(r.Context(), "alibaba developer API request failed", "err", err, "request_id", wire.RequestID(r.Context()))
	}
	m := mapError(e)
	switch e.Code {
	case eiam.ErrUnauthenticated:
		// Every token failure reads the same to the caller (RFC 6750 §3.1).
		e = eiam.Errorf(eiam.ErrUnauthenticated, "token", "token_invalid")
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	case eiam.ErrForbidden:
		if s, ok := e.Args["scope"].(string); ok {
			w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", scope="`+s+`"`)
		}
	}
	msg := localize(lang, e)
	writeJSON(w, m.status, errorBody{RequestID: wire.RequestID(r.Context()), Code: m.code, Message: msg, Error: m.oauth, ErrorDescription: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// withRequestID makes sure r's context carries a request id: the server's
// middleware assigns one; served without it, the API makes its own so the
// body and the audit record agree.
func withRequestID(r *http.Request) *http.Request {
	if wire.RequestID(r.Context()) != "" {
		return r
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	return r.WithContext(wire.WithRequestID(r.Context(), hex.EncodeToString(b[:])))
}

func (a *API) now() time.Time {
	if a.Clock != nil {
		return a.Clock()
	}
	return time.Now()
}

func (a *API) createUser(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := wire.ReadBody(r, wire.MaxBody)
	if err != nil {
		return err
	}
	change, err := DecodeCreate(body)
	if err != nil {
		return err
	}
	u, err := a.Directory.CreateUser(r.Context(), c.instanceID, "", change, c.actor, c.origin)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"userId": u.ID})
	return nil
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request, c *call) error {
	u, err := a.Directory.GetUser(r.Context(), c.instanceID, r.PathValue("userId"))
	if err != nil {
		return err
	}
	defs, err := a.Directory.Fields(r.Context(), c.instanceID)
	if err != nil {
		return err
	}
	names := make(map[string]string)
	for _, id := range UnitIDs(u) {
		ou, err := a.Store.GetOrgUnit(r.Context(), c.instanceID, id)
		switch {
		case err == nil:
			names[id] = ou.Name
		case eiam.ErrorCode(err) != eiam.ErrNotFound:
			return err
		}
	}
	writeJSON(w, http.StatusOK, EncodeUser(u, names, defs))
	return nil
}

// listQueryKeys are the query parameters ListUsers defines.
var listQueryKeys = []string{"pageNumber", "pageSize", "organizationalUnitId"}

func (a *API) listUsers(w http.ResponseWriter, r *http.Request, c *call) error {
	q, err := DecodeListQuery(r.URL.RawQuery)
	if err != nil {
		return err
	}
	page, err := a.Directory.ListUsers(r.Context(), c.instanceID, q)
	if err != nil {
		return err
	}
	items := make([]ListItem, len(page.Users))
	for i, u := range page.Users {
		items[i] = EncodeListItem(u)
	}
	writeJSON(w, http.StatusOK, struct {
		TotalCount int64      `json:"totalCount"`
		Data       []ListItem `json:"data"`
	}{page.Total, items})
	return nil
}

// DecodeListQuery reads ListUsers' query: pageNumber (from 1), pageSize
// (1–100, default 20) and organizationalUnitId. Other parameters are
// refused by name.
func DecodeListQuery(rawQuery string) (eiam.UserQuery, error) {
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return eiam.UserQuery{}, eiam.Errorf(eiam.ErrInvalid, "query", "invalid_format", "reason", "not a URL query")
	}
	for _, k := range slices.Sorted(maps.Keys(vals)) {
		if !slices.Contains(listQueryKeys, k) {
			return eiam.UserQuery{}, eiam.Errorf(eiam.ErrUnknownField, k, "unknown_field")
		}
		if len(vals[k]) > 1 {
			return eiam.UserQuery{}, eiam.Errorf(eiam.ErrInvalid, k, "duplicate_key")
		}
	}
	number, err := intParam(vals.Get("pageNumber"), "pageNumber", 1, 1, 1<<31-1)
	if err != nil {
		return eiam.UserQuery{}, err
	}
	size, err := intParam(vals.Get("pageSize"), "pageSize", 20, 1, 100)
	if err != nil {
		return eiam.UserQuery{}, err
	}
	return eiam.UserQuery{
		Limit: size, Offset: (number - 1) * size, OUID: vals.Get("organizationalUnitId"), WithTotal: true,
	}, nil
}

// intParam parses a decimal parameter in [lo, hi]; empty gives def.
func intParam(s, name string, def, lo, hi int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, eiam.Errorf(eiam.ErrInvalid, name, "invalid_format", "reason", "an integer from "+strconv.Itoa(lo)+" to "+strconv.Itoa(hi))
	}
	return n, nil
}

func (a *API) patchUser(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := wire.ReadBody(r, wire.MaxBody)
	if err != nil {
		return err
	}
	change, err := DecodePatch(body)
	if err != nil {
		return err
	}
	if err := a.update(r, c, change); err != nil {
		return err
	}
	// The seed answers PatchUser with {} and HTTP 200.
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// update applies a change; an empty one writes nothing (no audit record
// of a non-change) but still answers 404 for a user that does not exist.
func (a *API) update(r *http.Request, c *call, change *eiam.ProfileChange) error {
	userID := r.PathValue("userId")
	if change.Empty() {
		_, err := a.Directory.GetUser(r.Context(), c.instanceID, userID)
		return err
	}
	_, err := a.Directory.UpdateUser(r.Context(), c.instanceID, userID, change, c.actor, c.origin)
	return err
}

func (a *API) deleteUser(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := a.Directory.DeleteUser(r.Context(), c.instanceID, r.PathValue("userId"), c.actor, c.origin); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}
