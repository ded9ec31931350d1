package alibabarpc

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"slices"

	"github.com/eiam/eiam"
)

// actionSpec is one action: what it runs and how its errors name fields.
type actionSpec struct {
	run   func(a *API, ctx context.Context, c *call) (map[string]any, error)
	names map[string]string
}

// actionSpecs lists every action served. The access key must allow
// "eiam:" + the action name in the request's instance.
var actionSpecs = map[string]actionSpec{
	"CreateUser":         {(*API).createUser, userNames},
	"UpdateUser":         {(*API).updateUser, userNames},
	"GetUser":            {(*API).getUser, userNames},
	"ListUsers":          {(*API).listUsers, userNames},
	"DeleteUser":         {(*API).deleteUser, userNames},
	"EnableUser":         {setStatus(eiam.StatusEnabled), userNames},
	"DisableUser":        {setStatus(eiam.StatusDisabled), userNames},
	"CreateCustomField":  {(*API).createCustomField, fieldDefNames},
	"GetCustomField":     {(*API).getCustomField, fieldDefNames},
	"DeleteCustomField":  {(*API).deleteCustomField, fieldDefNames},
	"EnableCustomField":  {setFieldDisabled(false), fieldDefNames},
	"DisableCustomField": {setFieldDisabled(true), fieldDefNames},
}

// Actions returns the names of the actions served, sorted.
func Actions() []string {
	out := make([]string, 0, len(actionSpecs))
	for name := range actionSpecs {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

func (a *API) createUser(ctx context.Context, c *call) (map[string]any, error) {
	req, err := DecodeCreateUser(c.params)
	if err != nil {
		return nil, err
	}
	id := ""
	if req.ClientToken != "" {
		id = ClientTokenUserID(req.InstanceID, c.key.ID, req.ClientToken)
	}
	u, err := a.Directory.CreateUser(ctx, req.InstanceID, id, req.Change, c.actor, c.origin)
	if id != "" && eiam.ErrorCode(err) == eiam.ErrConflict && eiam.AsError(err).Field == "id" {
		// A retry of a request that created the user: the token's id is
		// taken, by that user. Answer as the first time did.
		u, err = a.Directory.GetUser(ctx, req.InstanceID, id)
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"UserId": u.ID}, nil
}

// idEncoding is the alphabet of eiam's ids (see eiam.NewID).
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// ClientTokenUserID is the id CreateUser gives the user of a ClientToken:
// derived from the instance, the access key and the token, so a retried
// request names the same user and the store's unique id refuses a second
// one. The vendor keeps tokens for 24 hours; eiam's never expire, which is
// stricter only for a caller that reuses a token for a different user.
func ClientTokenUserID(instanceID, accessKeyID, clientToken string) string {
	sum := sha256.Sum256([]byte(instanceID + "\x00" + accessKeyID + "\x00" + clientToken))
	return "user_" + idEncoding.EncodeToString(sum[:16])
}

func (a *API) updateUser(ctx context.Context, c *call) (map[string]any, error) {
	req, err := DecodeUpdateUser(c.params)
	if err != nil {
		return nil, err
	}
	return map[string]any{}, a.update(ctx, c, req.InstanceID, req.UserID, req.Change)
}

// update applies a change; an empty one writes nothing (no audit record of
// a non-change) but still fails for a user that does not exist.
func (a *API) update(ctx context.Context, c *call, instanceID, userID string, change *eiam.ProfileChange) error {
	if change.Empty() {
		_, err := a.Directory.GetUser(ctx, instanceID, userID)
		return err
	}
	_, err := a.Directory.UpdateUser(ctx, instanceID, userID, change, c.actor, c.origin)
	return err
}

func setStatus(s eiam.Status) func(a *API, ctx context.Context, c *call) (map[string]any, error) {
	return func(a *API, ctx context.Context, c *call) (map[string]any, error) {
		req, err := DecodeUserRequest(c.params)
		if err != nil {
			return nil, err
		}
		return map[string]any{}, a.update(ctx, c, req.InstanceID, req.UserID, &eiam.ProfileChange{Status: &s})
	}
}

func (a *API) deleteUser(ctx context.Context, c *call) (map[string]any, error) {
	req, err := DecodeUserRequest(c.params)
	if err != nil {
		return nil, err
	}
	return map[string]any{}, a.Directory.DeleteUser(ctx, req.InstanceID, req.UserID, c.actor, c.origin)
}

func (a *API) getUser(ctx context.Context, c *call) (map[string]any, error) {
	req, err := DecodeUserRequest(c.params)
	if err != nil {
		return nil, err
	}
	u, err := a.Directory.GetUser(ctx, req.InstanceID, req.UserID)
	if err != nil {
		return nil, err
	}
	defs, err := a.Directory.Fields(ctx, req.InstanceID)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string)
	for _, id := range UnitIDs(u) {
		ou, err := a.Store.GetOrgUnit(ctx, req.InstanceID, id)
		switch {
		case err == nil:
			names[id] = ou.Name
		case eiam.ErrorCode(err) != eiam.ErrNotFound:
			return nil, err
		}
	}
	return map[string]any{"User": EncodeUser(u, names, defs)}, nil
}

func (a *API) listUsers(ctx context.Context, c *call) (map[string]any, error) {
	req, err := DecodeListUsers(c.params)
	if err != nil {
		return nil, err
	}
	out := map[string]any{"TotalCount": 0, "Users": []ListItem{}}
	if req.Cursor {
		out["MaxResults"] = req.Query.Limit
	}
	none, err := a.resolveFilters(ctx, req)
	if err != nil || none {
		return out, err
	}
	page, err := a.Directory.ListUsers(ctx, req.InstanceID, req.Query)
	if err != nil {
		return nil, err
	}
	items := make([]ListItem, len(page.Users))
	for i, u := range page.Users {
		items[i] = EncodeListItem(u)
	}
	out["TotalCount"], out["Users"] = page.Total, items
	if req.Cursor && page.Next != "" {
		out["NextToken"] = page.Next
	}
	return out, nil
}

// resolveFilters turns the exact filters on unique values into user ids
// intersected with UserIds. It reports true when nothing can match.
func (a *API) resolveFilters(ctx context.Context, req *ListUsersRequest) (none bool, err error) {
	if req.None {
		return true, nil
	}
	ids := req.Query.IDs
	restrict := func(id string) {
		if ids == nil {
			ids = []string{id}
		} else if slices.Contains(ids, id) {
			ids = []string{id}
		} else {
			ids = []string{}
		}
	}
	for _, f := range []struct{ kind, value string }{
		{eiam.ClaimEmail, req.Email}, {eiam.ClaimPhone, req.Phone}, {eiam.ClaimExternalID, req.ExternalID},
	} {
		if f.value == "" {
			continue
		}
		u, err := a.findUser(ctx, req.InstanceID, f.kind, f.value)
		if eiam.ErrorCode(err) == eiam.ErrNotFound {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		restrict(u.ID)
	}
	if ids != nil && len(ids) == 0 {
		return true, nil
	}
	req.Query.IDs = ids
	return false, nil
}

// findUser finds a user by a unique value. An account without an external
// id answers to its user id, which is what GetUser shows as its external id.
func (a *API) findUser(ctx context.Context, instanceID, kind, value string) (*eiam.User, error) {
	u, err := a.Directory.FindUser(ctx, instanceID, kind, value)
	if kind != eiam.ClaimExternalID || eiam.ErrorCode(err) != eiam.ErrNotFound {
		return u, err
	}
	byID, err2 := a.Directory.GetUser(ctx, instanceID, value)
	if err2 != nil || byID.Attr(eiam.AttrExternalID) != "" {
		return nil, err
	}
	return byID, nil
}

func (a *API) createCustomField(ctx context.Context, c *call) (map[string]any, error) {
	req, err := DecodeCreateCustomField(c.params)
	if err != nil {
		return nil, err
	}
	if err := a.Directory.PutField(ctx, req.Field); err != nil {
		return nil, err
	}
	return map[string]any{"FieldId": req.Field.ID}, nil
}

func (a *API) getCustomField(ctx context.Context, c *call) (map[string]any, error) {
	req, err := DecodeFieldRequest(c.params)
	if err != nil {
		return nil, err
	}
	f, err := a.Store.GetField(ctx, req.InstanceID, req.FieldID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"CustomField": EncodeCustomField(f)}, nil
}

func (a *API) deleteCustomField(ctx context.Context, c *call) (map[string]any, error) {
	req, err := DecodeFieldRequest(c.params)
	if err != nil {
		return nil, err
	}
	return map[string]any{}, a.Store.DeleteField(ctx, req.InstanceID, req.FieldID)
}

func setFieldDisabled(disabled bool) func(a *API, ctx context.Context, c *call) (map[string]any, error) {
	return func(a *API, ctx context.Context, c *call) (map[string]any, error) {
		req, err := DecodeFieldRequest(c.params)
		if err != nil {
			return nil, err
		}
		f, err := a.Store.GetField(ctx, req.InstanceID, req.FieldID)
		if err != nil {
			return nil, err
		}
		if f.Disabled == disabled {
			return map[string]any{}, nil
		}
		f.Disabled = disabled
		return map[string]any{}, a.Directory.PutField(ctx, f)
	}
}
