package oidcprovider

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"html/template"
	"net/http"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/i18n"
)

//go:embed login.html
var loginHTML string

var loginPage = template.Must(template.New("login").Parse(loginHTML))

type loginText struct{ Title, To, Username, Password, Submit, Expired, OtherBrowser string }

var loginTexts = map[i18n.Lang]loginText{
	i18n.English: {"Sign in", "to continue to", "Username, email or phone", "Password", "Sign in",
		"This sign-in request has expired or was already used. Go back to the application and start again.",
		"This sign-in form was not opened in this browser. Go back to the application and start again."},
	i18n.Chinese: {"登录", "以继续访问", "用户名、邮箱或手机号", "密码", "登录",
		"此登录请求已过期或已被使用，请返回应用重新开始。",
		"此登录表单不是在本浏览器中打开的，请返回应用重新开始。"},
}

type loginView struct {
	Lang      i18n.Lang
	T         loginText
	App       string
	RequestID string
	Binding   string // the form's proof that it was shown in this browser
	Username  string
	Error     string
}

// The sign-in page sets a random value in the browser that opens it, a
// cookie. The form carries a MAC of that value and the request id
// (formBinding), and a sign-in is taken only from a browser whose cookie
// matches. Without it, a page elsewhere could post a sign-in to the
// attacker's own account from the victim's browser, for an authorization
// request the attacker started (login CSRF), and the application would
// take the victim for the attacker. SameSite keeps another site's form
// from sending the cookie at all; the MAC ties each form to its browser
// while several sign-ins run in tabs side by side.
//
// Under an https:// public URL the cookie is __Host-eiam_browser: Secure,
// Path=/ and no Domain, so that neither a sibling subdomain nor a
// plain-HTTP man in the middle can plant one of their own. Path=/ also
// holds when a proxy serves eiam under a path of the public URL.
const (
	browserCookie       = "eiam_browser"
	secureBrowserCookie = "__Host-eiam_browser"
)

// browserCookieName is the cookie's name under the issuer.
func browserCookieName(issuer string) (name string, secure bool) {
	if strings.HasPrefix(issuer, "https://") {
		return secureBrowserCookie, true
	}
	return browserCookie, false
}

// formBinding returns the MAC of a browser's cookie value and a request.
func (p *Provider) formBinding(browser, requestID string) string {
	m := hmac.New(sha256.New, p.loginKey[:])
	m.Write([]byte(browser))
	m.Write([]byte{0})
	m.Write([]byte(requestID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// browserID returns the browser's cookie value, setting a new one when the
// request carries none.
func browserID(w http.ResponseWriter, r *http.Request, issuer string) string {
	name, secure := browserCookieName(issuer)
	if c, err := r.Cookie(name); err == nil && len(c.Value) == base64.RawURLEncoding.EncodedLen(32) {
		return c.Value
	}
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand does not fail on supported platforms
	id := base64.RawURLEncoding.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: name, Value: id, Path: "/", HttpOnly: true, Secure: secure,
		SameSite: http.SameSiteLaxMode})
	return id
}

// maxLoginForm bounds the sign-in form; it holds three short fields.
const maxLoginForm = 16 << 10

// login is the sign-in page of an authorization request: GET shows the
// form, POST checks the password (with the directory's lockout) and, on
// success, starts the session the request's tokens will point at and
// returns the browser to the op package's callback, which issues the code.
func (p *Provider) login(w http.ResponseWriter, r *http.Request, ip *instanceProvider) {
	lang := i18n.Negotiate(r.URL.Query().Get("ui_locales"), r.Header.Get("Accept-Language"))
	v := loginView{Lang: lang, T: loginTexts[lang]}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")

	var id string
	switch r.Method {
	case http.MethodGet:
		id = r.URL.Query().Get("authRequestID")
	case http.MethodPost:
		r.Body = http.MaxBytesReader(w, r.Body, maxLoginForm)
		if err := r.ParseForm(); err != nil {
			v.Error = v.T.Expired
			render(w, http.StatusBadRequest, v)
			return
		}
		id = r.PostForm.Get("authRequestID")
	default:
		h.Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	ctx := r.Context()
	ar, app, err := p.pending(ctx, ip, id)
	if err != nil {
		v.Error = v.T.Expired
		render(w, http.StatusBadRequest, v)
		return
	}
	v.RequestID, v.App, v.Username = ar.ID, app.Name, ar.LoginHint
	if r.Method == http.MethodGet {
		v.Binding = p.formBinding(browserID(w, r, ip.storage.issuer), ar.ID)
		render(w, http.StatusOK, v)
		return
	}
	name, _ := browserCookieName(ip.storage.issuer)
	c, err := r.Cookie(name)
	if err != nil || !hmac.Equal([]byte(r.PostForm.Get("binding")), []byte(p.formBinding(c.Value, ar.ID))) {
		v.Error, v.RequestID = v.T.OtherBrowser, ""
		render(w, http.StatusForbidden, v)
		return
	}
	v.Binding = r.PostForm.Get("binding")

	v.Username = r.PostForm.Get("username")
	u, err := p.opts.SignIn.Authenticate(ctx, ip.storage.instanceID, v.Username, r.PostForm.Get("password"))
	if err != nil {
		e := eiam.AsError(err)
		if e.Code == eiam.ErrInternal {
			p.opts.Log.Error("oidc sign-in", "instance", ip.storage.instanceID, "error", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		v.Error = i18n.Message(lang, e)
		render(w, http.StatusUnauthorized, v)
		return
	}
	s, err := p.opts.Tokens.StartSession(ctx, &eiam.Session{InstanceID: ip.storage.instanceID, Kind: eiam.SessionUser,
		UserID: u.ID, ApplicationID: app.ID, Scopes: ar.Scopes, Dialect: Dialect}, p.opts.SessionTTL)
	if err != nil {
		p.opts.Log.Error("oidc sign-in: start session", "error", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	done, err := p.opts.Store.CompleteAuthRequest(ctx, ar.ID, u.ID, s.ID, s.CreatedAt)
	if err != nil || !done {
		// Signed in twice for one request (two tabs): the first wins.
		ip.storage.revoke(ctx, s.ID, "sign-in request already completed")
		v.Error, v.RequestID = v.T.Expired, ""
		render(w, http.StatusBadRequest, v)
		return
	}
	cb := op.AuthCallbackURL(ip.op)(op.ContextWithIssuer(ctx, ip.storage.issuer), ar.ID)
	http.Redirect(w, r, cb, http.StatusSeeOther)
}

// pending returns a live, not yet signed-in request of the instance and
// its application.
func (p *Provider) pending(ctx context.Context, ip *instanceProvider, id string) (*eiam.AuthRequest, *eiam.Application, error) {
	if id == "" {
		return nil, nil, errNoRequest
	}
	ar, err := ip.storage.live(p.opts.Store.GetAuthRequest(ctx, id))
	if err != nil || ar.Done() || ar.Redeemed {
		return nil, nil, errNoRequest
	}
	app, err := ip.storage.application(ctx, ar.ClientID)
	if err != nil {
		return nil, nil, errNoRequest
	}
	return ar, app, nil
}

func render(w http.ResponseWriter, status int, v loginView) {
	var buf bytes.Buffer
	if err := loginPage.Execute(&buf, v); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}
