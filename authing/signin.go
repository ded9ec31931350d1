package authing

import (
	"encoding/base64"
	"strings"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/wire"
)

// SignInRequest is a decoded POST /api/v3/signin body
// (SigninByCredentialsDto) with connection PASSWORD.
type SignInRequest struct {
	// Login is the username, email, phone number or account the user gave;
	// LoginKind is which passwordPayload member carried it.
	Login     string
	LoginKind string
	Password  string
	// ClientID and ClientSecret come from the body (client_secret_post);
	// SecretGiven tells an empty secret from none.
	ClientID     string
	ClientSecret string
	SecretGiven  bool
	// Scope is options.scope, "" when absent.
	Scope string
}

// passwordLogins are the passwordPayload members that name the user.
var passwordLogins = []string{"username", "email", "phone", "account"}

// DecodeSignin reads a sign-in body. Only connection PASSWORD is offered;
// PASSCODE, LDAP and AD are refused by name. options members are accepted
// and, except scope and a plain passwordEncryptType, ignored: they tune
// flows (captcha, auto-registration, tenants) that eiam does not have, and
// none of them asks for a change that could silently not happen.
func DecodeSignin(body []byte) (*SignInRequest, error) {
	members, err := wire.DecodeObject(body, "")
	if err != nil {
		return nil, err
	}
	req := &SignInRequest{}
	d := &decoder{}
	var connection string
	var payload *wire.Member
	var others []string
	connGiven := true // false only once a connection of the wrong type was reported
	for _, m := range members {
		switch m.Key {
		case "connection":
			connection, err = wire.String(m.Value, m.Key)
			connGiven = err == nil
			d.fail(err)
		case "passwordPayload":
			payload = &m
		case "passCodePayload", "ldapPayload", "adPayload":
			// Judged once the connection is known: with an unsupported
			// connection the connection is the error to report.
			others = append(others, m.Key)
		case keyOptions:
			d.options(m, map[string]func(wire.Member){
				"scope": func(o wire.Member) {
					req.Scope, err = wire.String(o.Value, o.Key)
					d.fail(err)
				},
				"passwordEncryptType": d.plainPassword,
				"clientIp":            d.ignoreString,
				"tenantId":            d.ignoreString,
				"captchaCode":         d.ignoreString,
				"captchaToken":        d.ignoreString,
				"autoRegister":        d.ignoreBool,
				"context":             d.ignoreAny,
				"customData":          d.ignoreAny,
			})
		case "client_id":
			req.ClientID, err = wire.String(m.Value, m.Key)
			d.fail(err)
		case "client_secret":
			req.ClientSecret, err = wire.String(m.Value, m.Key)
			req.SecretGiven = err == nil && !wire.IsNull(m.Value)
			d.fail(err)
		default:
			d.fail(eiam.Errorf(eiam.ErrUnknownField, m.Key, "unknown_field"))
		}
	}
	switch {
	case !connGiven:
	case connection == "":
		d.fail(eiam.Errorf(eiam.ErrMissing, "connection", "required"))
	case connection != "PASSWORD":
		d.fail(eiam.Errorf(eiam.ErrInvalid, "connection", "invalid_enum", "allowed", "PASSWORD"))
	case payload == nil:
		d.fail(eiam.Errorf(eiam.ErrMissing, "passwordPayload", "required"))
	default:
		d.passwordPayload(req, *payload)
	}
	if connection == "PASSWORD" {
		for _, k := range others {
			d.fail(eiam.Errorf(eiam.ErrUnknownField, k, "unknown_field"))
		}
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	return req, nil
}

func (d *decoder) passwordPayload(req *SignInRequest, m wire.Member) {
	members, err := wire.DecodeObject(m.Value, m.Key)
	if err != nil {
		d.fail(err)
		return
	}
	// A member of the wrong type is reported once, not also as missing.
	reported := false
	for _, f := range members {
		path := f.Path(m.Key)
		v, err := wire.String(f.Value, path)
		if err != nil {
			d.fail(err)
			reported = true
			continue
		}
		switch {
		case f.Key == "password":
			req.Password = v
		case isLogin(f.Key):
			if v == "" {
				continue
			}
			if req.LoginKind != "" {
				d.fail(eiam.Errorf(eiam.ErrInvalid, path, "invalid_format", "reason", "give only one of username, email, phone and account"))
				continue
			}
			req.Login, req.LoginKind = v, f.Key
		default:
			d.fail(eiam.Errorf(eiam.ErrUnknownField, path, "unknown_field"))
		}
	}
	if reported {
		return
	}
	if req.LoginKind == "" {
		d.fail(eiam.Errorf(eiam.ErrMissing, m.Key+".username", "required"))
	}
	if req.Password == "" {
		d.fail(eiam.Errorf(eiam.ErrMissing, m.Key+".password", "required"))
	}
}

func isLogin(k string) bool {
	for _, l := range passwordLogins {
		if k == l {
			return true
		}
	}
	return false
}

func (d *decoder) ignoreString(m wire.Member) {
	_, err := wire.String(m.Value, m.Key)
	d.fail(err)
}

func (d *decoder) ignoreBool(m wire.Member) {
	if !wire.IsNull(m.Value) {
		_, err := wire.Bool(m.Value, m.Key)
		d.fail(err)
	}
}

func (d *decoder) ignoreAny(wire.Member) {}

// basicCredentials reads "Basic base64(client_id:client_secret)" as the SDK
// writes it (client_secret_basic). ok is false for any other Authorization:
// the SDK also sends a previously set access token there, which sign-in
// ignores. The id and secret are not form-decoded, because the SDK does not
// encode them.
func basicCredentials(h string) (id, secret string, ok bool, err error) {
	h = strings.TrimSpace(h)
	if len(h) < 6 || !strings.EqualFold(h[:6], "basic ") {
		return "", "", false, nil
	}
	raw, derr := base64.StdEncoding.DecodeString(strings.TrimSpace(h[6:]))
	if derr != nil {
		return "", "", true, eiam.Errorf(eiam.ErrInvalid, "Authorization", "invalid_format", "reason", "Basic credentials are not base64")
	}
	id, secret, found := strings.Cut(string(raw), ":")
	if !found || id == "" {
		return "", "", true, eiam.Errorf(eiam.ErrInvalid, "Authorization", "invalid_format", "reason", "Basic credentials must be client_id:client_secret")
	}
	return id, secret, true, nil
}

// Scopes eiam grants in a sign-in: the OpenID Connect standard ones, which
// only reveal the user's own data to the application they signed in to.
var standardScopes = map[string]bool{
	"openid": true, "profile": true, "email": true, "phone": true, "address": true, "offline_access": true,
}

// defaultScope is what the SDK's AuthenticationClient asks for by default.
const defaultScope = "openid profile"

// grantScopes returns the scopes granted for requested (defaultScope when
// empty), in the order asked, without repetitions. An application whose
// scopes list names standard scopes is limited to those; one that names
// none (only vendor scopes, or nothing) may have every standard scope.
// Scopes neither standard nor granted to the application are dropped, as
// OAuth lets a server grant less than was asked.
func grantScopes(requested string, app *eiam.Application) []string {
	if strings.TrimSpace(requested) == "" {
		requested = defaultScope
	}
	listsStandard := false
	for _, s := range app.Scopes {
		listsStandard = listsStandard || standardScopes[s]
	}
	var out []string
	seen := map[string]bool{}
	for _, s := range strings.Fields(requested) {
		if seen[s] {
			continue
		}
		seen[s] = true
		if app.HasScope(s) || (standardScopes[s] && !listsStandard) {
			out = append(out, s)
		}
	}
	return out
}

// idClaims are the profile claims of an id_token for the granted scopes,
// in Authing's forms (gender M/F/U, updated_at ISO-8601). Unset claims are
// left out.
func idClaims(u *eiam.User, scopes []string) map[string]any {
	has := map[string]bool{}
	for _, s := range scopes {
		has[s] = true
	}
	out := map[string]any{}
	set := func(k, v string) {
		if v != "" {
			out[k] = v
		}
	}
	if has["profile"] {
		set("name", u.Attr(eiam.AttrName))
		set("nickname", u.Attr(eiam.AttrNickname))
		set("given_name", u.Attr(eiam.AttrGivenName))
		set("middle_name", u.Attr(eiam.AttrMiddleName))
		set("family_name", u.Attr(eiam.AttrFamilyName))
		set("preferred_username", u.Attr(eiam.AttrPreferredName))
		set("birthdate", u.Attr(eiam.AttrBirthdate))
		set("gender", genderOut[u.Attr(eiam.AttrGender)])
		set("picture", u.Attr(eiam.AttrPicture))
		set("profile", u.Attr(eiam.AttrProfile))
		set("website", u.Attr(eiam.AttrWebsite))
		set("zoneinfo", u.Attr(eiam.AttrZoneinfo))
		set("locale", u.Attr(eiam.AttrLocale))
		if t, ok := isoTime(u.UpdatedAt).(string); ok {
			out["updated_at"] = t
		}
	}
	if has["email"] && u.Attr(eiam.AttrEmail) != "" {
		out["email"] = u.Attr(eiam.AttrEmail)
		out["email_verified"] = u.EmailVerified
	}
	if has["phone"] && u.Attr(eiam.AttrPhoneNumber) != "" {
		out["phone_number"] = u.Attr(eiam.AttrPhoneNumber)
		out["phone_number_verified"] = u.PhoneVerified
	}
	if has["address"] {
		addr := map[string]any{}
		for k, a := range map[string]eiam.Attribute{
			"formatted": eiam.AttrAddress, "street_address": eiam.AttrStreetAddress, "locality": eiam.AttrLocality,
			"region": eiam.AttrRegion, "postal_code": eiam.AttrPostalCode, "country": eiam.AttrCountry,
		} {
			if v := u.Attr(a); v != "" {
				addr[k] = v
			}
		}
		if len(addr) > 0 {
			out["address"] = addr
		}
	}
	return out
}
