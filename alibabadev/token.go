package alibabadev

import (
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/i18n"
	"github.com/eiam/eiam/wire"
)

// GrantClientCredentials is the only grant this endpoint offers: the
// developer API is for applications acting for themselves.
const GrantClientCredentials = "client_credentials"

// TokenResponse is the token endpoint's answer. expires_at is in Unix
// seconds (unlike the user object's milliseconds), as the vendor sends it.
type TokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	ExpiresAt   int64  `json:"expires_at"`
	// Scope is the granted scope (RFC 6749 §5.1 requires it when it
	// differs from the requested one, as when none was requested).
	Scope string `json:"scope"`
}

// TokenRequest is what the token endpoint reads from a request.
type TokenRequest struct {
	GrantType string
	// ClientID and ClientSecret come from HTTP Basic or the parameters.
	ClientID     string
	ClientSecret string
	// Basic is true when the client authenticated with HTTP Basic.
	Basic bool
	// Scopes are the requested scopes, deduplicated, in request order.
	Scopes []string
}

// dummyVerifier is implemented by password.Hasher: it spends the time of
// one verification, so an unknown client is not told apart by timing.
type dummyVerifier interface{ Dummy(secret string) }

func (a *API) token(w http.ResponseWriter, r *http.Request) {
	r = withRequestID(r)
	lang := i18n.Negotiate(r.Header.Get("Accept-Language"))
	resp, err := a.issueToken(r)
	if err != nil {
		if h := r.Header.Get("Authorization"); eiam.ErrorCode(err) == eiam.ErrUnknownClient && len(h) > 6 && strings.EqualFold(h[:6], "basic ") {
			// RFC 6749 §5.2: a client that used Basic is told which scheme.
			w.Header().Set("WWW-Authenticate", `Basic realm="eiam"`)
		}
		w.Header().Set("Cache-Control", "no-store")
		a.fail(w, r, lang, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

func (a *API) issueToken(r *http.Request) (*TokenResponse, error) {
	instanceID, appID := r.PathValue("instanceId"), r.PathValue("applicationId")
	params, err := tokenParams(r)
	if err != nil {
		return nil, err
	}
	tr, err := DecodeTokenRequest(params, r.Header.Get("Authorization"))
	if err != nil {
		return nil, err
	}
	app, err := a.authenticateClient(r, instanceID, appID, tr)
	if err != nil {
		return nil, err
	}
	switch tr.GrantType {
	case "":
		return nil, eiam.Errorf(eiam.ErrMissing, "grant_type", "required")
	case GrantClientCredentials:
	default:
		e := eiam.Errorf(eiam.ErrInvalid, "grant_type", "invalid_enum", "allowed", GrantClientCredentials)
		e.Detail = oauthUnsupportedGrant
		return nil, e
	}
	scopes, err := grantScopes(app, tr.Scopes)
	if err != nil {
		return nil, err
	}
	s, err := a.Tokens.StartSession(r.Context(), &eiam.Session{
		InstanceID: instanceID, Kind: eiam.SessionClient, ApplicationID: app.ID, Scopes: scopes, Dialect: dialect,
	}, ClientSessionTTL)
	if err != nil {
		return nil, err
	}
	iss, err := a.Tokens.IssueAccess(r.Context(), s, nil)
	if err != nil {
		return nil, err
	}
	return &TokenResponse{
		AccessToken: iss.Token, TokenType: "Bearer",
		ExpiresIn: int64(iss.ExpiresAt.Sub(a.now()).Round(time.Second) / time.Second),
		ExpiresAt: iss.ExpiresAt.Unix(), Scope: strings.Join(scopes, " "),
	}, nil
}

// authenticateClient checks that the client is the application of the path,
// enabled and confidential, and that its secret is right. Every failure is
// the same invalid_client, whatever went wrong.
func (a *API) authenticateClient(r *http.Request, instanceID, appID string, tr *TokenRequest) (*eiam.Application, error) {
	fail := eiam.Errorf(eiam.ErrUnknownClient, "client_id", "unknown_client", "id", tr.ClientID)
	if tr.ClientID == "" {
		return nil, fail
	}
	app, err := a.Store.GetApplication(r.Context(), instanceID, appID)
	if err != nil && eiam.ErrorCode(err) != eiam.ErrNotFound {
		return nil, err
	}
	clientID := ""
	if app != nil {
		clientID = app.ClientID
		if clientID == "" {
			clientID = app.ID
		}
	}
	if app == nil || app.Disabled || app.SecretHash == "" || clientID != tr.ClientID {
		if d, ok := a.Secrets.(dummyVerifier); ok {
			d.Dummy(tr.ClientSecret)
		}
		return nil, fail
	}
	ok, _, err := a.Secrets.Verify(app.SecretHash, tr.ClientSecret)
	if err != nil {
		// A stored hash that cannot be read is the server's fault, not
		// the client's; it is logged as internal.
		return nil, err
	}
	if !ok {
		return nil, fail
	}
	return app, nil
}

// grantScopes intersects the requested scopes with the application's; no
// request means all of the application's scopes. A scope the application
// was not granted is an error rather than silently dropped.
func grantScopes(app *eiam.Application, requested []string) ([]string, error) {
	if len(requested) == 0 {
		requested = app.Scopes
	}
	for _, s := range requested {
		if !app.HasScope(s) {
			e := eiam.Errorf(eiam.ErrInvalid, "scope", "invalid_enum", "allowed", strings.Join(app.Scopes, " "))
			e.Detail = oauthInvalidScope
			return nil, e
		}
	}
	if len(requested) == 0 {
		e := eiam.Errorf(eiam.ErrInvalid, "scope", "invalid_enum", "allowed", ScopeUserManage+" "+ScopeUserRead)
		e.Detail = oauthInvalidScope
		return nil, e
	}
	return slices.Clone(requested), nil
}

// maxTokenBody bounds a token request's form body.
const maxTokenBody = 16 << 10

// tokenParams merges the query and, for a form body, the body's parameters
// (a body value wins): the generated SDK sends everything in the query of
// an empty POST, the vendor's documentation shows a form body. A parameter
// repeated within one of them is refused (RFC 6749 §3.2).
func tokenParams(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	if err := mergeParams(out, r.URL.RawQuery); err != nil {
		return nil, err
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/x-www-form-urlencoded" {
		body, err := wire.ReadBody(r, maxTokenBody)
		if err != nil {
			return nil, err
		}
		if err := mergeParams(out, string(body)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func mergeParams(out map[string]string, raw string) error {
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return eiam.Errorf(eiam.ErrInvalid, "body", "invalid_format", "reason", "not URL-encoded parameters")
	}
	for k, vs := range vals {
		if len(vs) > 1 {
			return eiam.Errorf(eiam.ErrInvalid, k, "duplicate_key")
		}
		out[k] = vs[0]
	}
	return nil
}

// DecodeTokenRequest reads the token parameters and the client credentials
// of an Authorization header. Unknown parameters are ignored, as RFC 6749
// §3.2 requires of a token endpoint. A client may authenticate with HTTP
// Basic or with client_id/client_secret parameters, not both (§2.3).
func DecodeTokenRequest(params map[string]string, authorization string) (*TokenRequest, error) {
	tr := &TokenRequest{GrantType: params["grant_type"]}
	if len(authorization) > 6 && strings.EqualFold(authorization[:6], "basic ") {
		id, secret, good := parseBasic(strings.TrimSpace(authorization[6:]))
		if !good {
			return nil, eiam.Errorf(eiam.ErrUnknownClient, "client_id", "unknown_client", "id", "")
		}
		if _, dup := params["client_secret"]; dup {
			return nil, eiam.Errorf(eiam.ErrInvalid, "client_secret", "invalid_format",
				"reason", "the client authenticated with HTTP Basic already")
		}
		if p, ok := params["client_id"]; ok && p != id {
			return nil, eiam.Errorf(eiam.ErrUnknownClient, "client_id", "unknown_client", "id", p)
		}
		tr.ClientID, tr.ClientSecret, tr.Basic = id, secret, true
	} else {
		tr.ClientID, tr.ClientSecret = params["client_id"], params["client_secret"]
	}
	for _, s := range strings.Fields(params["scope"]) {
		if !slices.Contains(tr.Scopes, s) {
			tr.Scopes = append(tr.Scopes, s)
		}
	}
	return tr, nil
}

// parseBasic decodes Basic credentials; RFC 6749 §2.3.1 has the client
// form-encode its id and secret before base64.
func parseBasic(v string) (id, secret string, ok bool) {
	r := &http.Request{Header: http.Header{"Authorization": {"Basic " + v}}}
	id, secret, ok = r.BasicAuth()
	if !ok {
		return "", "", false
	}
	if u, err := url.QueryUnescape(id); err == nil {
		id = u
	}
	if u, err := url.QueryUnescape(secret); err == nil {
		secret = u
	}
	return id, secret, true
}
