package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"strings"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/directory"
	"github.com/eiam/eiam/internal/parallel"
)

// Users are checked and written in batches: the stored users and claim
// holders of a batch are read with a few queries, and its new users are
// written with a few multi-row statements, in a transaction of their own or
// (on SQLite) as part of one transaction for all (see eiam.BulkWriter). A
// batch of thousands costs tens of megabytes.
const (
	checkBatch = 4000
	writeBatch = 10000
)

// action is what applying one user of the file does, as the check found.
type action uint8

const (
	actCreate action = iota
	actUpdate
	// actUpdateKeepPassword is an update whose password, given in the
	// file, already matches the stored hash (so it is not verified twice).
	actUpdateKeepPassword
	actUnchanged
)

// rawUser is one user of the file as read: its index in its instance's
// users and its JSON.
type rawUser struct {
	k   int
	raw json.RawMessage
}

// eachUserBatch is eachUser in batches of up to n consecutive users of one
// instance.
func eachUserBatch(r io.ReadSeeker, n int, fn func(instance int, batch []rawUser) error) error {
	var batch []rawUser
	cur := -1
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		b := batch
		batch = nil
		return fn(cur, b)
	}
	err := eachUser(r, func(instance, k int, raw json.RawMessage) error {
		if instance != cur || len(batch) == n {
			if err := flush(); err != nil {
				return err
			}
			cur = instance
		}
		batch = append(batch, rawUser{k, raw})
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// users holds what checking and applying the users of one instance need.
type users struct {
	im  *Importer
	dir *directory.Service
	ip  *instancePlan
	// defs are the field definitions as the import leaves them.
	defs map[string]*eiam.FieldDefinition
}

func newUsers(im *Importer, dir *directory.Service, ip *instancePlan, defs []*eiam.FieldDefinition) *users {
	us := &users{im: im, dir: dir, ip: ip, defs: map[string]*eiam.FieldDefinition{}}
	for _, d := range defs {
		us.defs[d.Name] = d
	}
	return us
}

func (us *users) path(k int) string { return index(join(us.ip.path, "users"), k) }

// entry is one user of a batch.
type entry struct {
	k        int
	path     string
	u        *User
	existing *eiam.User // nil when new
	// samePassword: the file's password matches the stored hash.
	samePassword bool
	change       *eiam.ProfileChange
}

// decode decodes a batch on every core; problems go to probs (nil to drop
// them).
func (us *users) decode(batch []rawUser, probs *[]Problem) ([]*entry, error) {
	out := make([]*entry, len(batch))
	found := make([][]Problem, len(batch))
	errs := make([]error, len(batch))
	parallel.For(len(batch), func(i int) {
		path := us.path(batch[i].k)
		u, ps, err := decodeUser(batch[i].raw, path)
		out[i], found[i], errs[i] = &entry{k: batch[i].k, path: path, u: u}, ps, err
	})
	for i, err := range errs {
		if err != nil {
			// A syntax error cannot happen: the first pass read the
			// same bytes.
			return nil, fmt.Errorf("%s: %w", out[i].path, err)
		}
		if probs != nil {
			*probs = append(*probs, found[i]...)
		}
	}
	return out, nil
}

// stored finds the stored user each entry names, by id when it has one,
// else by username, with a few queries for the whole batch; and, with
// verify, whether the passwords of the file match the stored hashes.
func (us *users) stored(ctx context.Context, es []*entry, verify bool) error {
	if us.ip.existing == nil {
		return nil
	}
	inst := us.ip.in.ID
	var names []eiam.Claim
	for _, e := range es {
		if e.u.ID == "" && e.u.Attrs[eiam.AttrUsername] != "" {
			names = append(names, eiam.UsernameClaim(e.u.Attrs[eiam.AttrUsername]))
		}
	}
	holders, err := us.im.store.ClaimHolders(ctx, inst, names)
	if err != nil {
		return fmt.Errorf("look up users by username: %w", err)
	}
	ids := make([]string, 0, len(es))
	idOf := func(e *entry) string {
		if e.u.ID != "" {
			return e.u.ID
		}
		if e.u.Attrs[eiam.AttrUsername] == "" {
			return ""
		}
		return holders[eiam.UsernameClaim(e.u.Attrs[eiam.AttrUsername])]
	}
	for _, e := range es {
		if id := idOf(e); id != "" {
			ids = append(ids, id)
		}
	}
	found, err := us.get(ctx, ids)
	if err != nil {
		return err
	}
	var withPassword []*entry
	for _, e := range es {
		if id := idOf(e); id != "" {
			e.existing = found[id]
		}
		if verify && e.existing != nil && e.u.Password != nil && e.existing.PasswordHash != "" {
			withPassword = append(withPassword, e)
		}
	}
	// argon2id is slow by design: compare the passwords on every core.
	parallel.For(len(withPassword), func(i int) {
		e := withPassword[i]
		ok, _, err := us.im.opts.Hasher.Verify(e.existing.PasswordHash, *e.u.Password)
		e.samePassword = err == nil && ok
	})
	return nil
}

// get reads the stored users with the given ids, a page at a time.
func (us *users) get(ctx context.Context, ids []string) (map[string]*eiam.User, error) {
	out := make(map[string]*eiam.User, len(ids))
	const page = 100 // ListUsers' largest page
	for len(ids) > 0 {
		chunk := ids[:min(page, len(ids))]
		ids = ids[len(chunk):]
		p, err := us.im.store.ListUsers(ctx, us.ip.in.ID, eiam.UserQuery{IDs: chunk, Limit: page})
		if err != nil {
			return nil, fmt.Errorf("read users: %w", err)
		}
		for _, u := range p.Users {
			out[u.ID] = u
		}
	}
	return out, nil
}

// plan sets e.change: the whole user for a new one, what differs for a
// stored one.
func (us *users) plan(e *entry) {
	if e.existing == nil {
		e.change = us.full(e.u)
	} else {
		e.change = us.diff(e.existing, e.u, e.samePassword)
	}
}

// full is the change that creates u.
func (us *users) full(u *User) *eiam.ProfileChange {
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
		c.CustomFields = append(c.CustomFields, us.ops(cv)...)
	}
	return c
}

// diff is the change that makes cur what the file says: only attributes
// the file states and that differ. samePassword tells whether the file's
// password matches cur's hash.
func (us *users) diff(cur *eiam.User, u *User, samePassword bool) *eiam.ProfileChange {
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
	if u.Password != nil && !samePassword {
		c.Password = u.Password
	}
	if u.Status != nil && eiam.Status(*u.Status) != cur.Status {
		s := eiam.Status(*u.Status)
		c.Status = &s
	}
	primary := cur.PrimaryOUID
	if u.PrimaryOUID != nil {
		primary = *u.PrimaryOUID
		if primary == "" {
			primary = us.ip.existing.RootOUID
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
		d := us.defs[cv.Name]
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
			c.CustomFields = append(c.CustomFields, us.ops(cv)...)
		}
	}
	return c
}

// ops are the custom-field operations that set a field to cv's values.
func (us *users) ops(cv CustomValue) []eiam.CustomFieldOp {
	if len(cv.Values) == 0 {
		return []eiam.CustomFieldOp{{Name: cv.Name, Op: eiam.OpRemove}}
	}
	out := []eiam.CustomFieldOp{{Name: cv.Name, Value: cv.Values[0], Op: eiam.OpReplace}}
	if d := us.defs[cv.Name]; d != nil && d.MultiValued() {
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

// userChecker checks the users of one instance, a batch at a time.
type userChecker struct {
	*checker
	*users
	units map[string]bool
	// ids and claims seen so far in this instance, each with the index of
	// the user that had it first. The keys are 128-bit hashes rather than
	// the values, so that a million users fit in a hundred-odd megabytes.
	ids    map[valueKey]int32
	claims map[valueKey]int32
}

// valueKey identifies a value (a user id, a claim) by a 128-bit hash: two
// distinct values of one file collide with a probability far below that
// of a hardware error.
type valueKey [16]byte

func (c *checker) key(kind, value string) valueKey {
	var k valueKey
	var h maphash.Hash
	for i, seed := range c.seeds {
		h.SetSeed(seed)
		h.WriteString(kind)
		h.WriteByte(0)
		h.WriteString(value)
		sum := h.Sum64()
		for j := range 8 {
			k[i*8+j] = byte(sum >> (8 * j))
		}
	}
	return k
}

func newUserChecker(c *checker, us *users) *userChecker {
	units := map[string]bool{}
	for _, ou := range us.ip.in.OrganizationalUnits {
		units[ou.ID] = true
	}
	if us.ip.existing != nil {
		units[us.ip.existing.RootOUID] = true
	}
	return &userChecker{checker: c, users: us, units: units,
		ids: map[valueKey]int32{}, claims: map[valueKey]int32{}}
}

// pendingClaim is a unique value of a user of the batch to look up in the
// database.
type pendingClaim struct {
	e     *entry
	field string
	claim eiam.Claim
	shown string // the value as the file has it
}

// checkedBatch is a batch of users with the work done on each user alone:
// decoded, matched with the stored user, planned and checked by the
// directory. It depends on no other batch.
type checkedBatch struct {
	es      []*entry
	probs   []Problem // of decoding
	checked []error   // of the directory's check
}

// prepare does the work of each user of a batch alone, on every core. It
// reads the database but changes nothing of the checker, so that it can run
// for one batch while finish runs for the one before.
func (uc *userChecker) prepare(ctx context.Context, batch []rawUser) (*checkedBatch, error) {
	cb := &checkedBatch{}
	es, err := uc.decode(batch, &cb.probs)
	if err != nil {
		return nil, err
	}
	if err := uc.stored(ctx, es, true); err != nil {
		return nil, err
	}
	cb.es, cb.checked = es, make([]error, len(es))
	parallel.For(len(es), func(i int) {
		uc.plan(es[i])
		cb.checked[i] = uc.dir.Check(ctx, uc.ip.in.ID, es[i].existing, es[i].change, importActor)
	})
	return cb, nil
}

// finish records what applying each user of a prepared batch does, and
// checks what compares users (duplicates in the file, values held in the
// database) in file order.
func (uc *userChecker) finish(ctx context.Context, cb *checkedBatch) error {
	uc.probs = append(uc.probs, cb.probs...)
	var pending []pendingClaim
	for i, e := range cb.es {
		p, err := uc.user(ctx, e, cb.checked[i])
		if err != nil {
			return err
		}
		pending = append(pending, p...)
		uc.prog.add(1)
	}
	return uc.checkHolders(ctx, pending)
}

// user records what the check of one user found (checked is the error of
// the directory's check) and returns its unique values to look up in the
// database.
func (uc *userChecker) user(ctx context.Context, e *entry, checked error) ([]pendingClaim, error) {
	u, path := e.u, e.path
	if u.ID != "" {
		uc.checkID(join(path, "id"), u.ID)
		uc.firstID(u.ID, e.k, join(path, "id"))
	}
	for _, cv := range u.CustomFields {
		if d := uc.defs[cv.Name]; d != nil && !d.MultiValued() && len(cv.Values) > 1 {
			uc.add(join(path, "custom_fields."+cv.Name), "takes a single value; only checkbox fields take several")
		}
	}
	act := actCreate
	if e.existing != nil {
		if u.ID == "" {
			// Matched by username: no other entry may name the same user.
			key := uc.key("id", e.existing.ID)
			if first, ok := uc.ids[key]; ok {
				uc.add(join(path, "username"), "names stored user %q, as %s does", e.existing.ID, uc.path(int(first)))
			} else {
				uc.ids[key] = int32(e.k)
			}
		}
		switch {
		case e.change.Empty():
			act = actUnchanged
		case u.Password != nil && e.samePassword:
			act = actUpdateKeepPassword
		default:
			act = actUpdate
		}
	}
	uc.ip.users = append(uc.ip.users, act)
	if checked != nil {
		var de *eiam.Error
		if !errors.As(checked, &de) {
			return nil, fmt.Errorf("%s: check user: %w", path, checked)
		}
		uc.addErr(path, checked, nil)
	}
	if err := uc.checkUnits(ctx, path, u); err != nil {
		return nil, err
	}
	return uc.checkClaims(ctx, e), nil
}

// firstID records a user id of the file, reporting a repeat.
func (uc *userChecker) firstID(id string, k int, path string) {
	key := uc.key("id", id)
	if first, ok := uc.ids[key]; ok {
		uc.add(path, "%q is also used by %s", id, uc.path(int(first)))
		return
	}
	uc.ids[key] = int32(k)
}

// checkUnits checks that the units a user names exist in the file or the
// database.
func (uc *userChecker) checkUnits(ctx context.Context, path string, u *User) error {
	check := func(p, id string) error {
		if id == "" || uc.units[id] {
			return nil
		}
		if uc.ip.existing != nil {
			stored, err := notFound(uc.checker.im.store.GetOrgUnit(ctx, uc.ip.in.ID, id))
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
// unique custom fields) that another user of the file holds, and returns
// those to look up in the database: the ones the user does not hold yet.
func (uc *userChecker) checkClaims(ctx context.Context, e *entry) []pendingClaim {
	type claimed struct {
		field, kind, value string
		unchanged          bool
	}
	u, existing := e.u, e.existing
	var list []claimed
	attr := func(a eiam.Attribute) (string, bool) {
		v, ok := u.Attrs[a]
		if !ok && existing != nil {
			return existing.Attrs[a], false
		}
		return v, ok && (existing == nil || existing.Attrs[a] != v)
	}
	if v, changed := attr(eiam.AttrUsername); v != "" {
		list = append(list, claimed{"username", eiam.ClaimUsername, v, !changed && existing != nil})
	}
	if v, changed := attr(eiam.AttrEmail); v != "" {
		list = append(list, claimed{"email", eiam.ClaimEmail, v, !changed && existing != nil})
	}
	region, rc := attr(eiam.AttrPhoneRegion)
	if v, nc := attr(eiam.AttrPhoneNumber); v != "" && region != "" {
		list = append(list, claimed{"phone_number", eiam.ClaimPhone, region + " " + v, !rc && !nc && existing != nil})
	}
	if v, changed := attr(eiam.AttrExternalID); v != "" {
		list = append(list, claimed{"external_id", eiam.ClaimExternalID, v, !changed && existing != nil})
	}
	for _, cv := range u.CustomFields {
		d := uc.defs[cv.Name]
		if d == nil || !d.Unique {
			continue
		}
		for _, v := range cv.Values {
			list = append(list, claimed{"custom_fields." + cv.Name, eiam.ClaimCustomPrefix + cv.Name, v, false})
		}
	}
	var pending []pendingClaim
	for _, cl := range list {
		p := join(e.path, cl.field)
		// The file's own duplicates compare values as the store will:
		// usernames and emails case-insensitively.
		key := uc.key(cl.kind, fileClaimValue(cl.kind, cl.value))
		if first, ok := uc.claims[key]; ok {
			uc.add(p, "%q is also used by %s", cl.value, uc.path(int(first)))
			continue
		}
		uc.claims[key] = int32(e.k)
		if uc.ip.existing == nil || cl.unchanged {
			continue
		}
		claim, err := uc.dir.Claim(ctx, uc.ip.in.ID, cl.kind, cl.value)
		if err != nil {
			continue // an invalid value, reported by the check of the user
		}
		pending = append(pending, pendingClaim{e: e, field: cl.field, claim: claim, shown: cl.value})
	}
	return pending
}

// fileClaimValue normalizes a unique value for comparing the users of a
// file with each other.
func fileClaimValue(kind, value string) string {
	switch kind {
	case eiam.ClaimUsername, eiam.ClaimEmail:
		return strings.ToLower(value)
	}
	return value
}

// checkHolders reports the pending values that another stored user holds.
func (uc *userChecker) checkHolders(ctx context.Context, pending []pendingClaim) error {
	if len(pending) == 0 {
		return nil
	}
	claims := make([]eiam.Claim, len(pending))
	for i, p := range pending {
		claims[i] = p.claim
	}
	holders, err := uc.checker.im.store.ClaimHolders(ctx, uc.ip.in.ID, claims)
	if err != nil {
		return fmt.Errorf("%s: look up unique values: %w", uc.ip.path, err)
	}
	for _, p := range pending {
		holder, ok := holders[p.claim]
		self := p.e.u.ID
		if p.e.existing != nil {
			self = p.e.existing.ID
		}
		if ok && holder != self {
			uc.add(join(p.e.path, p.field), "%q already belongs to user %q in the database", p.shown, holder)
		}
	}
	return nil
}
