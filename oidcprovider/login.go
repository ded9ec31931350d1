package oidcprovider

import (
	"bytes"
	"context"
	_ "embed"
	"html/template"
	"net/http"

	"github.com/zitadel/oidc/v3/pkg/op"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/i18n"
)

//go:embed login.html
var loginHTML string

var loginPage = template.Must(template.New("login").Parse(loginHTML))

type loginText struct{ Title, To, Username, Password, Submit, Expired string }

var loginTexts = map[i18n.Lang]loginText{
	i18n.English: {"Sign in", "to continue to", "Username, email or phone", "Password", "Sign in",
		"This sign-in request has expired or was already used. Go back to the application and start again."},
	i18n.Chinese: {"登录", "以继续访问", "用户名、邮箱或手机号", "密码", "登录",
		"此登录请求已过期或已被使用，请返回应用重新开始。"},
}

type loginView struct {
	Lang      i18n.Lang
	T         loginText
	App       string
	RequestID string
	Username  string
	Error     string
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
		render(w, http.StatusOK, v)
		return
	}

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
