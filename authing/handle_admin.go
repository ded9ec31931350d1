package authing

import (
	"context"
	"net/http"
	"strings"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/acssign"
	"github.com/eiam/eiam/wire"
)

// adminCall authenticates a management call and checks that its access key
// may perform action in the call's user pool. The request is authenticated
// either by the authing-node-sdk 4.x signature ("authorization: authing
// AK:sig", verified by package acssign, nonce claimed once) or by a
// management token from get-management-token sent as Bearer.
func (a *API) adminCall(action string, h func(w http.ResponseWriter, r *http.Request, c *call, body []byte) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		body, err := readBody(r)
		if err != nil {
			return err
		}
		auth := strings.TrimSpace(r.Header.Get("Authorization"))
		var key *eiam.AccessKey
		tokenPool := ""
		if len(auth) >= 8 && strings.EqualFold(auth[:8], "authing ") {
			key, err = a.verifySignature(r, body)
		} else if raw := wire.BearerToken(auth); raw != "" {
			key, tokenPool, err = a.verifyManagementToken(r.Context(), raw)
		} else {
			err = eiam.Errorf(eiam.ErrUnauthenticated, "Authorization", "required")
		}
		if err != nil {
			return err
		}
		inst, err := a.adminInstance(r, c, key, tokenPool)
		if err != nil {
			return err
		}
		if !key.Allows(action, inst) {
			return eiam.Errorf(eiam.ErrForbidden, "", "forbidden")
		}
		// Checked after the permission, so that a key learns nothing of
		// the pools it may not use.
		if _, err := a.Store.GetInstance(r.Context(), inst); err != nil {
			if eiam.ErrorCode(err) == eiam.ErrNotFound {
				return eiam.Errorf(eiam.ErrNotFound, "x-authing-userpool-id", "not_found", "id", inst)
			}
			return err
		}
		c.instanceID, c.key = inst, key
		return h(w, r, c, body)
	}
}

// verifySignature checks an authing-node-sdk 4.x request signature and
// returns the access key that made it.
func (a *API) verifySignature(r *http.Request, body []byte) (*eiam.AccessKey, error) {
	req, err := acssign.NewRequest(r, body)
	if err != nil {
		return nil, err
	}
	var key *eiam.AccessKey
	v := acssign.Verifier{
		Secret: func(ctx context.Context, p *acssign.Parsed) (string, error) {
			k, err := a.Store.GetAccessKey(ctx, p.AccessKeyID)
			if err != nil {
				return "", notFoundAsUnknownClient(err, "accessKeyId", p.AccessKeyID)
			}
			if k.Disabled {
				return "", eiam.Errorf(eiam.ErrUnknownClient, "accessKeyId", "unknown_client", "id", p.AccessKeyID)
			}
			key = k
			return k.Secret, nil
		},
		Nonces: a.Nonces,
		Now:    a.now,
	}
	if _, err := v.Authenticate(r.Context(), req); err != nil {
		return nil, err
	}
	return key, nil
}

// adminInstance finds the user pool of a management call: the pool of the
// application named by x-authing-app-id, x-authing-userpool-id, the pool of
// the management token, and failing all of those the one pool the access
// key is limited to. Those that are given must agree. (authing-node-sdk 4.x
// sends neither header unless told a tenant id, so a key limited to one
// instance is what makes it work unchanged.) Both headers are covered by
// the request signature.
func (a *API) adminInstance(r *http.Request, c *call, key *eiam.AccessKey, tokenPool string) (string, error) {
	inst := ""
	if id := strings.TrimSpace(r.Header.Get("x-authing-app-id")); id != "" {
		app, err := a.Store.FindApplicationByClientID(r.Context(), id)
		if err != nil {
			return "", notFoundAsUnknownClient(err, "x-authing-app-id", id)
		}
		if app.Disabled {
			return "", eiam.Errorf(eiam.ErrUnknownClient, "x-authing-app-id", "unknown_client", "id", id)
		}
		c.app, inst = app, app.InstanceID
	}
	if pool := strings.TrimSpace(r.Header.Get("x-authing-userpool-id")); pool != "" {
		if inst != "" && pool != inst {
			return "", eiam.Errorf(eiam.ErrInvalid, "x-authing-userpool-id", "invalid_format",
				"reason", "it is not the user pool of x-authing-app-id")
		}
		inst = pool
	}
	if tokenPool != "" {
		if inst != "" && inst != tokenPool {
			return "", eiam.Errorf(eiam.ErrForbidden, "x-authing-userpool-id", "wrong_instance", "id", inst)
		}
		inst = tokenPool
	}
	if inst == "" {
		inst = onlyInstance(key)
	}
	if inst == "" {
		return "", eiam.Errorf(eiam.ErrMissing, "x-authing-userpool-id", "required")
	}
	return inst, nil
}

// onlyInstance returns the instance a key is limited to, if exactly one and
// not a pattern.
func onlyInstance(k *eiam.AccessKey) string {
	if len(k.Instances) == 1 && !strings.Contains(k.Instances[0], "*") {
		return k.Instances[0]
	}
	return ""
}

// actor is the access key acting, with the application the call named.
func (c *call) actor() eiam.Actor {
	a := eiam.Actor{Kind: eiam.ActorAccessKey, ID: c.key.ID}
	if c.app != nil {
		a.ApplicationID = c.app.ID
	}
	return a
}

// resolveUser finds the user a management call names.
func (a *API) resolveUser(ctx context.Context, inst string, ref UserRef) (*eiam.User, error) {
	kind := userIDTypes[ref.Type]
	if kind == "" {
		return a.Directory.GetUser(ctx, inst, ref.ID)
	}
	return a.Directory.FindUser(ctx, inst, kind, ref.ID)
}

// getUser serves GET /api/v3/get-user. A body (the Go SDK sends its
// parameters as JSON on GET too) is not read: the query is what is signed.
func (a *API) getUser(w http.ResponseWriter, r *http.Request, c *call, _ []byte) error {
	ref, view, err := DecodeGetUser(r.URL.Query())
	if err != nil {
		return err
	}
	u, err := a.resolveUser(r.Context(), c.instanceID, ref)
	if err != nil {
		return err
	}
	defs, err := a.Directory.Fields(r.Context(), c.instanceID)
	if err != nil {
		return err
	}
	return ok(w, c, EncodeUser(u, defs, view))
}

// updateUser serves POST /api/v3/update-user.
func (a *API) updateUser(w http.ResponseWriter, r *http.Request, c *call, body []byte) error {
	req, err := DecodeUpdateUser(body)
	if err != nil {
		return err
	}
	defs, err := a.Directory.Fields(r.Context(), c.instanceID)
	if err != nil {
		return err
	}
	if err := checkCustomData(req.Change, defs); err != nil {
		return err
	}
	u, err := a.resolveUser(r.Context(), c.instanceID, req.User)
	if err != nil {
		return err
	}
	if !req.Change.Empty() {
		u, err = a.Directory.UpdateUser(r.Context(), c.instanceID, u.ID, req.Change, c.actor(), c.orig)
		if err != nil {
			return err
		}
	}
	return ok(w, c, EncodeUser(u, defs, View{CustomData: true, Admin: true}))
}

// createUser serves POST /api/v3/create-user.
func (a *API) createUser(w http.ResponseWriter, r *http.Request, c *call, body []byte) error {
	req, err := DecodeCreateUser(body)
	if err != nil {
		return err
	}
	defs, err := a.Directory.Fields(r.Context(), c.instanceID)
	if err != nil {
		return err
	}
	if err := checkCustomData(req.Change, defs); err != nil {
		return err
	}
	u, err := a.Directory.CreateUser(r.Context(), c.instanceID, "", req.Change, c.actor(), c.orig)
	if err != nil {
		return err
	}
	return ok(w, c, EncodeUser(u, defs, View{CustomData: true, DepartmentIDs: true, Admin: true}))
}

// deleteUsers serves POST /api/v3/delete-users-batch. Every user is found
// before any is deleted, so that a batch naming an unknown user deletes
// nothing; each deletion is then its own transaction with its own audit
// record.
func (a *API) deleteUsers(w http.ResponseWriter, r *http.Request, c *call, body []byte) error {
	req, err := DecodeDeleteUsers(body)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(req.Users))
	seen := map[string]bool{}
	for _, ref := range req.Users {
		u, err := a.resolveUser(r.Context(), c.instanceID, ref)
		if err != nil {
			return err
		}
		if !seen[u.ID] {
			seen[u.ID] = true
			ids = append(ids, u.ID)
		}
	}
	for _, id := range ids {
		if err := a.Directory.DeleteUser(r.Context(), c.instanceID, id, c.actor(), c.orig); err != nil {
			return err
		}
	}
	return ok(w, c, map[string]bool{"success": true})
}
