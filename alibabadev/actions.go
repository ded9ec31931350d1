package alibabadev

import (
	"net/http"
	"slices"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/wire"
)

// action is one POST …/users/{userId}/actions/{name} endpoint.
type action struct {
	scope string
	// lookup actions are addressed at the placeholder user "_".
	lookup bool
	h      handlerFunc
}

// actions lists the action endpoints by name.
func (a *API) actions() map[string]action {
	return map[string]action{
		"enable":                            {ScopeUserManage, false, a.setStatus(eiam.StatusEnabled)},
		"disable":                           {ScopeUserManage, false, a.setStatus(eiam.StatusDisabled)},
		"updateUserPassword":                {ScopeUserManage, false, a.updatePassword},
		"setUserPrimaryOrganizationalUnit":  {ScopeUserManage, false, a.setPrimaryUnit},
		"addUserToOrganizationalUnits":      {ScopeUserManage, false, a.changeUnits(true)},
		"removeUserFromOrganizationalUnits": {ScopeUserManage, false, a.changeUnits(false)},
		"getUserIdByUsername":               {ScopeUserRead, true, a.lookupBy(eiam.ClaimUsername, "username")},
		"getUserIdByEmail":                  {ScopeUserRead, true, a.lookupBy(eiam.ClaimEmail, "email")},
		"getUserIdByPhoneNumber":            {ScopeUserRead, true, a.lookupBy(eiam.ClaimPhone, "phoneNumber")},
		"getUserIdByExternalId":             {ScopeUserRead, true, a.lookupByExternalID},
	}
}

// action dispatches the action endpoints. The action is looked up before
// the token is checked only to choose the scope to require; an unknown
// action is answered after authentication like any other request.
func (a *API) action(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("action")
	act, ok := a.actions()[name]
	if !ok || act.lookup != (r.PathValue("userId") == "_") {
		a.serve(w, r, func(http.ResponseWriter, *http.Request, *call) error {
			return eiam.Errorf(eiam.ErrNotFound, "action", "not_found", "id", name)
		}, ScopeUserRead)
		return
	}
	a.serve(w, r, noQuery(act.h), act.scope)
}

// noBody accepts an empty body or {} (the SDK sends none).
func noBody(r *http.Request) error {
	body, err := wire.ReadBody(r, wire.MaxBody)
	if err != nil {
		return err
	}
	_, err = decodeStrings(body, nil)
	return err
}

func (a *API) setStatus(s eiam.Status) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		if err := noBody(r); err != nil {
			return err
		}
		if err := a.update(r, c, &eiam.ProfileChange{Status: &s}); err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, struct{}{})
		return nil
	}
}

func (a *API) updatePassword(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := wire.ReadBody(r, wire.MaxBody)
	if err != nil {
		return err
	}
	v, err := decodeStrings(body, []string{"password"}, "password")
	if err != nil {
		return err
	}
	pw := v["password"]
	if err := a.update(r, c, &eiam.ProfileChange{Password: &pw}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

func (a *API) setPrimaryUnit(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := wire.ReadBody(r, wire.MaxBody)
	if err != nil {
		return err
	}
	v, err := decodeStrings(body, []string{"organizationalUnitId"}, "organizationalUnitId")
	if err != nil {
		return err
	}
	id := v["organizationalUnitId"]
	if err := a.update(r, c, &eiam.ProfileChange{PrimaryOUID: &id}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct{}{})
	return nil
}

// unitAttempts bounds how often a membership change is retried when the
// user changed between reading and writing it.
const unitAttempts = 3

// changeUnits adds units to, or removes them from, the user's additional
// units. The change replaces the whole list, so it is made conditional on
// the version read: a concurrent change makes it fail and be recomputed
// rather than be lost.
func (a *API) changeUnits(add bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		body, err := wire.ReadBody(r, wire.MaxBody)
		if err != nil {
			return err
		}
		ids, err := decodeUnitIDs(body)
		if err != nil {
			return err
		}
		userID := r.PathValue("userId")
		for attempt := 1; ; attempt++ {
			u, err := a.Directory.GetUser(r.Context(), c.instanceID, userID)
			if err != nil {
				return err
			}
			next := slices.Clone(u.OUIDs)
			for _, id := range ids {
				switch {
				case add && !slices.Contains(next, id) && id != u.PrimaryOUID:
					next = append(next, id)
				case !add && id == u.PrimaryOUID:
					return eiam.Errorf(eiam.ErrInvalid, "organizationalUnitIds", "invalid_format",
						"reason", "the primary unit cannot be removed; set another primary unit first")
				case !add:
					next = slices.DeleteFunc(next, func(s string) bool { return s == id })
				}
			}
			change := &eiam.ProfileChange{OUIDs: &next, ExpectedVersion: &u.Version}
			_, err = a.Directory.UpdateUser(r.Context(), c.instanceID, userID, change, c.actor, c.origin)
			if eiam.ErrorCode(err) == eiam.ErrPrecondition && attempt < unitAttempts {
				continue
			}
			if err != nil {
				return err
			}
			writeJSON(w, http.StatusOK, struct{}{})
			return nil
		}
	}
}

func (a *API) lookupBy(kind, key string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, c *call) error {
		body, err := wire.ReadBody(r, wire.MaxBody)
		if err != nil {
			return err
		}
		v, err := decodeStrings(body, []string{key}, key)
		if err != nil {
			return err
		}
		u, err := a.Directory.FindUser(r.Context(), c.instanceID, kind, v[key])
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]string{"userId": u.ID})
		return nil
	}
}

// lookupByExternalID finds a user by external id. Accounts of this
// directory have the source type build_in and the instance as source; any
// other source names no account here. An account without an external id
// answers to its user id, which is what GetUser shows as its external id.
func (a *API) lookupByExternalID(w http.ResponseWriter, r *http.Request, c *call) error {
	body, err := wire.ReadBody(r, wire.MaxBody)
	if err != nil {
		return err
	}
	v, err := decodeStrings(body, []string{"userExternalId", "userSourceType", "userSourceId"}, "userExternalId")
	if err != nil {
		return err
	}
	ext := v["userExternalId"]
	notFound := eiam.Errorf(eiam.ErrNotFound, "external_id", "user_not_found", "id", ext)
	if t := v["userSourceType"]; t != "" && t != SourceBuiltIn {
		return notFound
	}
	if s := v["userSourceId"]; s != "" && s != c.instanceID {
		return notFound
	}
	u, err := a.Directory.FindUser(r.Context(), c.instanceID, eiam.ClaimExternalID, ext)
	if eiam.ErrorCode(err) == eiam.ErrNotFound {
		u, err = a.Directory.GetUser(r.Context(), c.instanceID, ext)
		if err == nil && u.Attr(eiam.AttrExternalID) != "" {
			return notFound
		}
		if eiam.ErrorCode(err) == eiam.ErrNotFound {
			return notFound
		}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"userId": u.ID})
	return nil
}
