package importer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/directory"
)

// users checks the users of one instance with dir, a directory.Service that
// sees the planned field definitions.
func (c *checker) users(ctx context.Context, dir *directory.Service, ip *instancePlan) error {
	defs := map[string]*eiam.FieldDefinition{}
	for _, d := range c.planned[ip.in.ID] {
		defs[d.Name] = d
	}
	units := map[string]bool{}
	for _, ou := range ip.in.OrganizationalUnits {
		units[ou.ID] = true
	}
	if ip.existing != nil {
		units[ip.existing.RootOUID] = true
	}
	uc := &userChecker{checker: c, dir: dir, ip: ip, defs: defs, units: units,
		ids: map[string]string{}, claims: map[eiam.Claim]string{}}
	for k := range ip.in.Users {
		up, err := uc.user(ctx, index(join(ip.path, "users"), k), &ip.in.Users[k])
		if err != nil {
			return err
		}
		ip.users = append(ip.users, up)
		c.prog.user()
	}
	return nil
}

type userChecker struct {
	*checker
	dir   *directory.Service
	ip    *instancePlan
	defs  map[string]*eiam.FieldDefinition
	units map[string]bool
	// ids and claims seen so far in this instance, with the path of the
	// user that had them first.
	ids    map[string]string
	claims map[eiam.Claim]string
}

func (uc *userChecker) user(ctx context.Context, path string, u *User) (*userPlan, error) {
	inst := uc.ip.in.ID
	up := &userPlan{path: path, id: u.ID}
	if u.ID != "" {
		uc.checkID(join(path, "id"), u.ID)
		uc.unique(uc.ids, u.ID, join(path, "id"))
	}
	for _, cv := range u.CustomFields {
		if d := uc.defs[cv.Name]; d != nil && !d.MultiValued() && len(cv.Values) > 1 {
			uc.add(join(path, "custom_fields."+cv.Name), "takes a single value; only checkbox fields take several")
		}
	}

	// Which stored user this entry is: by id when given, else by username.
	var err error
	if uc.ip.existing != nil {
		switch username := u.Attrs[eiam.AttrUsername]; {
		case u.ID != "":
			up.existing, err = notFound(uc.im.store.GetUser(ctx, inst, u.ID))
		case username != "":
			up.existing, err = notFound(uc.dir.FindUser(ctx, inst, eiam.ClaimUsername, username))
		}
		if err != nil {
			return nil, fmt.Errorf("%s: look up user: %w", path, err)
		}
	}
	if up.existing != nil {
		up.id = up.existing.ID
		if u.ID == "" {
			// Matched by username: no other entry may name the same user.
			if first, ok := uc.ids[up.id]; ok {
				uc.add(join(path, "username"), "names stored user %q, as %s does", up.id, strings.TrimSuffix(first, ".id"))
			} else {
				uc.ids[up.id] = join(path, "id")
			}
		}
		if up.change, err = uc.diff(up.existing, u); err != nil {
			return nil, err
		}
	} else {
		up.change = uc.full(u)
	}
	if err := uc.dir.Check(ctx, inst, up.existing, up.change, importActor); err != nil {
		var de *eiam.Error
		if !errors.As(err, &de) {
			return nil, fmt.Errorf("%s: check user: %w", path, err)
		}
		uc.addErr(path, err, nil)
	}
	if err := uc.checkUnits(ctx, path, u); err != nil {
		return nil, err
	}
	if err := uc.checkClaims(ctx, path, u, up); err != nil {
		return nil, err
	}
	return up, nil
}

// full is the change that creates u.
func (uc *userChecker) full(u *User) *eiam.ProfileChange {
	c := &eiam.ProfileChange{}
	for a, v := range u.Attrs {
		c.SetAttr(a, v)
	}
	// A new email or phone needs its verified flag; the file's absence of
	// one means "not verified".
	if u.EmailVerified != nil {
		c.SetFlag(eiam.FlagEmailVerified, *u.EmailVerified)
	} else if u.Attrs[eiam.AttrEmail] != "" {
		c.SetFlag(eiam.FlagEmailVerified, false)
	}
	if u.PhoneNumberVerified != nil {
		c.SetFlag(eiam.FlagPhoneNumberVerified, *u.PhoneNumberVerified)
	} else if u.Attrs[eiam.AttrPhoneNumber] != "" {
		c.SetFlag(eiam.FlagPhoneNumberVerified, false)
	}
	c.Password = u.Password
	if u.Status != nil {
		s := eiam.Status(*u.Status)
		c.Status = &s
	}
	if u.PrimaryOUID != nil && *u.PrimaryOUID != "" {
		c.PrimaryOUID = u.PrimaryOUID
	}
	c.OUIDs = u.OUIDs
	for _, cv := range u.CustomFields {
		c.CustomFields = append(c.CustomFields, uc.ops(cv)...)
	}
	return c
}

// diff is the change that makes cur what the file says: only attributes
// the file states and that differ.
func (uc *userChecker) diff(cur *eiam.User, u *User) (*eiam.ProfileChange, error) {
	c := &eiam.ProfileChange{}
	for a, v := range u.Attrs {
		if cur.Attrs[a] != v {
			c.SetAttr(a, v)
		}
	}
	_, emailChanged := c.Attrs[eiam.AttrEmail]
	switch {
	case u.EmailVerified != nil && (emailChanged || *u.EmailVerified != cur.EmailVerified):
		c.SetFlag(eiam.FlagEmailVerified, *u.EmailVerified)
	case u.EmailVerified == nil && emailChanged && c.Attrs[eiam.AttrEmail] != "":
		c.SetFlag(eiam.FlagEmailVerified, false)
	}
	_, numberChanged := c.Attrs[eiam.AttrPhoneNumber]
	_, regionChanged := c.Attrs[eiam.AttrPhoneRegion]
	phoneChanged := numberChanged || regionChanged
	switch {
	case u.PhoneNumberVerified != nil && (phoneChanged || *u.PhoneNumberVerified != cur.PhoneVerified):
		c.SetFlag(eiam.FlagPhoneNumberVerified, *u.PhoneNumberVerified)
	case u.PhoneNumberVerified == nil && phoneChanged && c.Attrs[eiam.AttrPhoneNumber] != "":
		c.SetFlag(eiam.FlagPhoneNumberVerified, false)
	}
	if u.Password != nil {
		same := false
		if cur.PasswordHash != "" {
			ok, _, err := uc.im.opts.Hasher.Verify(cur.PasswordHash, *u.Password)
			same = err == nil && ok
		}
		if !same {
			c.Password = u.Password
		}
	}
	if u.Status != nil && eiam.Status(*u.Status) != cur.Status {
		s := eiam.Status(*u.Status)
		c.Status = &s
	}
	primary := cur.PrimaryOUID
	if u.PrimaryOUID != nil {
		primary = *u.PrimaryOUID
		if primary == "" {
			primary = uc.ip.existing.RootOUID
		}
		if primary != cur.PrimaryOUID {
			c.PrimaryOUID = &primary
		}
	}
	if u.OUIDs != nil {
		var want []string
		for _, id := range *u.OUIDs {
			if id != primary && !slices.Contains(want, id) {
				want = append(want, id)
			}
		}
		if !sameSet(want, cur.OUIDs) {
			c.OUIDs = u.OUIDs
		}
	}
	for _, cv := range u.CustomFields {
		d := uc.defs[cv.Name]
		want := slices.Clone(cv.Values)
		if d != nil && d.DataType == eiam.TypeBoolean {
			for i := range want {
				want[i] = strings.ToLower(want[i])
			}
		}
		have := cur.CustomFields[cv.Name]
		same := slices.Equal(want, have)
		if d != nil && d.MultiValued() {
			same = sameSet(want, have)
		}
		if !same {
			c.CustomFields = append(c.CustomFields, uc.ops(cv)...)
		}
	}
	return c, nil
}

// ops are the custom-field operations that set a field to cv's values.
func (uc *userChecker) ops(cv CustomValue) []eiam.CustomFieldOp {
	if len(cv.Values) == 0 {
		return []eiam.CustomFieldOp{{Name: cv.Name, Op: eiam.OpRemove}}
	}
	out := []eiam.CustomFieldOp{{Name: cv.Name, Value: cv.Values[0], Op: eiam.OpReplace}}
	if d := uc.defs[cv.Name]; d != nil && d.MultiValued() {
		for _, v := range cv.Values[1:] {
			out = append(out, eiam.CustomFieldOp{Name: cv.Name, Value: v, Op: eiam.OpAdd})
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// checkUnits checks that the units a user names exist in the file or the
// database.
func (uc *userChecker) checkUnits(ctx context.Context, path string, u *User) error {
	check := func(p, id string) error {
		if id == "" || uc.units[id] {
			return nil
		}
		if uc.ip.existing != nil {
			stored, err := notFound(uc.im.store.GetOrgUnit(ctx, uc.ip.in.ID, id))
			if err != nil {
				return fmt.Errorf("%s: read unit %s: %w", p, id, err)
			}
			if stored != nil {
				uc.units[id] = true
				return nil
			}
		}
		uc.add(p, "unknown organizational unit %q", id)
		return nil
	}
	if u.PrimaryOUID != nil {
		if err := check(join(path, "primary_organizational_unit_id"), *u.PrimaryOUID); err != nil {
			return err
		}
	}
	if u.OUIDs != nil {
		for i, id := range *u.OUIDs {
			if err := check(index(join(path, "organizational_unit_ids"), i), id); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkClaims reports unique values (username, email, phone, external id,
// unique custom fields) that another user of the file or of the database
// holds.
func (uc *userChecker) checkClaims(ctx context.Context, path string, u *User, up *userPlan) error {
	type claimed struct {
		field, kind, value string
		claim              eiam.Claim
		unchanged          bool
	}
	var list []claimed
	attr := func(a eiam.Attribute) (string, bool) {
		v, ok := u.Attrs[a]
		if !ok && up.existing != nil {
			return up.existing.Attrs[a], false
		}
		return v, ok && (up.existing == nil || up.existing.Attrs[a] != v)
	}
	if v, changed := attr(eiam.AttrUsername); v != "" {
		list = append(list, claimed{"username", eiam.ClaimUsername, v, eiam.UsernameClaim(v), !changed && up.existing != nil})
	}
	if v, changed := attr(eiam.AttrEmail); v != "" {
		list = append(list, claimed{"email", eiam.ClaimEmail, v, eiam.EmailClaim(v), !changed && up.existing != nil})
	}
	region, rc := attr(eiam.AttrPhoneRegion)
	if v, nc := attr(eiam.AttrPhoneNumber); v != "" && region != "" {
		list = append(list, claimed{"phone_number", eiam.ClaimPhone, region + " " + v, eiam.PhoneClaim(region, v), !rc && !nc && up.existing != nil})
	}
	if v, changed := attr(eiam.AttrExternalID); v != "" {
		list = append(list, claimed{"external_id", eiam.ClaimExternalID, v, eiam.ExternalIDClaim(v), !changed && up.existing != nil})
	}
	for _, cv := range u.CustomFields {
		d := uc.defs[cv.Name]
		if d == nil || !d.Unique {
			continue
		}
		for _, v := range cv.Values {
			kind := eiam.ClaimCustomPrefix + cv.Name
			list = append(list, claimed{"custom_fields." + cv.Name, kind, v, eiam.Claim{Kind: kind, Value: v}, false})
		}
	}
	for _, cl := range list {
		p := join(path, cl.field)
		if first, ok := uc.claims[cl.claim]; ok {
			uc.add(p, "%q is also used by %s", cl.value, first)
			continue
		}
		uc.claims[cl.claim] = path
		if uc.ip.existing == nil || cl.unchanged {
			continue
		}
		holder, err := notFound(uc.dir.FindUser(ctx, uc.ip.in.ID, cl.kind, cl.value))
		if err != nil {
			if eiam.ErrorCode(err) != eiam.ErrInternal {
				continue // an invalid value, reported by the check of the user
			}
			return fmt.Errorf("%s: look up %s: %w", p, cl.field, err)
		}
		if holder != nil && holder.ID != up.id {
			uc.add(p, "%q already belongs to user %q in the database", cl.value, holder.ID)
		}
	}
	return nil
}
