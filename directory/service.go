package directory

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/internal/parallel"
)

// Store is what the service needs from the database.
type Store interface {
	eiam.UserStore
	eiam.FieldStore
	eiam.InstanceStore
}

// PasswordHasher hashes passwords; package password implements it.
type PasswordHasher interface {
	Hash(secret string) (string, error)
}

// Indexer derives blind indexes of encrypted unique values; the master key
// implements it.
type Indexer interface {
	BlindIndex(value, purpose string) string
}

// Options configure a Service.
type Options struct {
	Clock     eiam.Clock
	Passwords PasswordHasher
	Index     Indexer
	// Policy is the password policy; DefaultPolicy when zero.
	Policy PasswordPolicy
	// Phones, when set, remembers which phone numbers are valid; an
	// import, which checks every user and then writes them, sets it.
	Phones *PhoneMemo
}

// Service is the directory's one update path.
type Service struct {
	store     Store
	now       eiam.Clock
	passwords PasswordHasher
	index     Indexer
	policy    PasswordPolicy
	phones    *PhoneMemo
}

var _ interface {
	UpdateUser(context.Context, string, string, *eiam.ProfileChange, eiam.Actor, eiam.Origin) (*eiam.User, error)
} = (*Service)(nil)

// New returns a Service over store.
func New(store Store, opts Options) *Service {
	s := &Service{store: store, now: opts.Clock, passwords: opts.Passwords, index: opts.Index, policy: opts.Policy,
		phones: opts.Phones}
	if s.now == nil {
		s.now = time.Now
	}
	if s.policy == (PasswordPolicy{}) {
		s.policy = DefaultPolicy
	}
	return s
}

// GetUser returns a user of the instance; ErrNotFound otherwise.
func (s *Service) GetUser(ctx context.Context, instanceID, userID string) (*eiam.User, error) {
	return s.store.GetUser(ctx, instanceID, userID)
}

// ListUsers returns a page of users.
func (s *Service) ListUsers(ctx context.Context, instanceID string, q eiam.UserQuery) (*eiam.UserPage, error) {
	return s.store.ListUsers(ctx, instanceID, q)
}

// FindUser finds a user by a unique value given as a caller wrote it:
// kind is eiam.ClaimUsername, ClaimEmail, ClaimExternalID, ClaimPhone
// ("region number", "+region number" or "+E164") or ClaimCustomPrefix+name.
func (s *Service) FindUser(ctx context.Context, instanceID, kind, value string) (*eiam.User, error) {
	claim, err := s.Claim(ctx, instanceID, kind, value)
	if err != nil {
		return nil, err
	}
	return s.store.LookupUser(ctx, instanceID, claim)
}

// Claim is the claim FindUser looks up for a unique value given as a
// caller wrote it, for looking up many at once (eiam.UserStore.ClaimHolders).
func (s *Service) Claim(ctx context.Context, instanceID, kind, value string) (eiam.Claim, error) {
	switch {
	case kind == eiam.ClaimUsername:
		return eiam.UsernameClaim(value), nil
	case kind == eiam.ClaimEmail:
		return eiam.EmailClaim(value), nil
	case kind == eiam.ClaimExternalID:
		return eiam.ExternalIDClaim(value), nil
	case kind == eiam.ClaimPhone:
		region, number := splitPhone(value)
		return eiam.PhoneClaim(region, number), nil
	case strings.HasPrefix(kind, eiam.ClaimCustomPrefix):
		defs, err := s.fieldMap(ctx, instanceID)
		if err != nil {
			return eiam.Claim{}, err
		}
		name := strings.TrimPrefix(kind, eiam.ClaimCustomPrefix)
		d := defs[name]
		if d == nil || !d.Unique {
			return eiam.Claim{}, eiam.Errorf(eiam.ErrCustomField, "custom_fields."+name, "undeclared_field")
		}
		return s.customClaim(d, value), nil
	}
	return eiam.Claim{}, eiam.Errorf(eiam.ErrInvalid, "kind", "invalid_enum", "allowed", "username, email, phone, external_id")
}

// splitPhone reads "86 138…", "+86 138…" or "86-138…"; a bare number is
// taken to be Chinese (+86), the default region of the seeds.
func splitPhone(v string) (region, number string) {
	v = strings.TrimPrefix(strings.TrimSpace(v), "+")
	if r, n, ok := strings.Cut(v, " "); ok {
		return r, strings.TrimSpace(n)
	}
	if r, n, ok := strings.Cut(v, "-"); ok {
		return r, n
	}
	return "86", v
}

// Fields returns the instance's custom field definitions.
func (s *Service) Fields(ctx context.Context, instanceID string) ([]*eiam.FieldDefinition, error) {
	return s.store.ListFields(ctx, instanceID)
}

func (s *Service) fieldMap(ctx context.Context, instanceID string) (map[string]*eiam.FieldDefinition, error) {
	list, err := s.store.ListFields(ctx, instanceID)
	if err != nil {
		return nil, fmt.Errorf("list custom fields of %s: %w", instanceID, err)
	}
	m := make(map[string]*eiam.FieldDefinition, len(list))
	for _, d := range list {
		m[d.Name] = d
	}
	return m, nil
}

// PutField validates and stores a custom field definition, assigning an id
// to a new one.
func (s *Service) PutField(ctx context.Context, f *eiam.FieldDefinition) error {
	if err := ValidateFieldDefinition(f); err != nil {
		return err
	}
	normalizeDefinition(f)
	now := s.now().UTC()
	if f.ID == "" {
		f.ID = eiam.NewID("ufd")
	}
	if f.CreatedAt.IsZero() {
		f.CreatedAt = now
	}
	f.UpdatedAt = now
	return s.store.PutField(ctx, f)
}

// CreateUser creates a user in the instance from change (which must set a
// username). id may be empty to have one assigned.
func (s *Service) CreateUser(ctx context.Context, instanceID, id string, change *eiam.ProfileChange, actor eiam.Actor, origin eiam.Origin) (*eiam.User, error) {
	inst, err := s.store.GetInstance(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	defs, err := s.fieldMap(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	hash, hashErr := s.hashPassword(change)
	unitExists := func(id string) (bool, error) {
		_, err := s.store.GetOrgUnit(ctx, instanceID, id)
		if eiam.ErrorCode(err) == eiam.ErrNotFound {
			return false, nil
		}
		return err == nil, err
	}
	commit, err := s.planCreate(inst, NewUser{ID: id, Change: change}, defs, unitExists, actor, origin, hash, hashErr, s.now().UTC())
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateUser(ctx, commit); err != nil {
		return nil, err
	}
	return commit.User, nil
}

// NewUser is one user for PrepareUsers: its id (empty to have one
// assigned) and the change that creates it.
type NewUser struct {
	ID     string
	Change *eiam.ProfileChange
}

// ItemError is the error of one user of PrepareUsers.
type ItemError struct {
	// Index is the user's index in the batch.
	Index int
	Err   error
}

func (e *ItemError) Error() string { return fmt.Sprintf("user %d: %v", e.Index, e.Err) }
func (e *ItemError) Unwrap() error { return e.Err }

// PreparedUsers are new users checked and planned by PrepareUsers, ready
// to be written.
type PreparedUsers struct {
	commits []*eiam.Commit
}

// UsersWriter writes new users: the store (eiam.UserStore) or a bulk
// writer of it (eiam.BulkWriter).
type UsersWriter interface {
	CreateUsers(ctx context.Context, cs []*eiam.Commit) error
}

// PrepareUsers does CreateUser's work up to writing for many users: the
// path of bulk imports, which prepare a batch while the previous one is
// written (PreparedUsers.Write). The instance, its field definitions and
// its units are read once, and the users are checked and their passwords
// hashed on every core. A user's invalid change is an *ItemError.
func (s *Service) PrepareUsers(ctx context.Context, instanceID string, users []NewUser, actor eiam.Actor, origin eiam.Origin) (*PreparedUsers, error) {
	inst, err := s.store.GetInstance(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	defs, err := s.fieldMap(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	units, err := s.store.ListOrgUnits(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(units))
	for _, ou := range units {
		known[ou.ID] = true
	}
	unitExists := func(id string) (bool, error) { return known[id], nil }
	now := s.now().UTC()
	commits := make([]*eiam.Commit, len(users))
	errs := make([]error, len(users))
	parallel.For(len(users), func(i int) {
		hash, hashErr := s.hashPassword(users[i].Change)
		commits[i], errs[i] = s.planCreate(inst, users[i], defs, unitExists, actor, origin, hash, hashErr, now)
	})
	for i, err := range errs {
		if err != nil {
			return nil, &ItemError{Index: i, Err: err}
		}
	}
	return &PreparedUsers{commits: commits}, nil
}

// Write writes the prepared users with w (the store or one of its bulk
// writers), all or none, and returns them as stored.
func (p *PreparedUsers) Write(ctx context.Context, w UsersWriter) ([]*eiam.User, error) {
	if err := w.CreateUsers(ctx, p.commits); err != nil {
		return nil, err
	}
	out := make([]*eiam.User, len(p.commits))
	for i, c := range p.commits {
		out[i] = c.User
	}
	return out, nil
}

// planCreate computes the commit that creates a user: the id, the
// password (hashed by the caller, hashErr the error of hashing it), the
// units and the rule engine, checked in that order.
func (s *Service) planCreate(inst *eiam.Instance, nu NewUser, defs map[string]*eiam.FieldDefinition, unitExists func(id string) (bool, error),
	actor eiam.Actor, origin eiam.Origin, hash string, hashErr error, now time.Time) (*eiam.Commit, error) {
	id := nu.ID
	if id == "" {
		id = eiam.NewOrderedID("user", now)
	} else if e := checkID(id); e != nil {
		return nil, e
	}
	if hashErr != nil {
		return nil, hashErr
	}
	c := nu.Change
	for _, ou := range namedUnits(c) {
		ok, err := unitExists(ou)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, eiam.Errorf(eiam.ErrInvalid, "organizational_unit_id", "not_found", "id", ou)
		}
	}
	blank := &eiam.User{
		InstanceID: inst.ID, ID: id, Status: eiam.StatusEnabled,
		Attrs: map[eiam.Attribute]string{}, CustomFields: map[string][]string{},
		PrimaryOUID: inst.RootOUID, CreatedAt: now,
	}
	commit, err := s.plan(blank, c, defs, actor, origin, hash, now, true)
	if err != nil {
		return nil, err
	}
	commit.OldClaims = nil
	return commit, nil
}

// UpdateUser applies change to the user on behalf of actor. It is the one
// path by which an existing user changes. A failed call changes nothing.
func (s *Service) UpdateUser(ctx context.Context, instanceID, userID string, change *eiam.ProfileChange, actor eiam.Actor, origin eiam.Origin) (*eiam.User, error) {
	defs, err := s.fieldMap(ctx, instanceID)
	if err != nil {
		return nil, err
	}
	// Hashing is slow by design, so it happens before the store takes the
	// user's lock, not inside it.
	hash, err := s.hashPassword(change)
	if err != nil {
		return nil, err
	}
	if err := s.checkUnits(ctx, instanceID, change); err != nil {
		return nil, err
	}
	now := s.now().UTC()
	return s.store.UpdateUser(ctx, instanceID, userID, func(cur *eiam.User) (*eiam.Commit, error) {
		return s.plan(cur, change, defs, actor, origin, hash, now, false)
	})
}

// DeleteUser removes a user, writing an audit record and a change event.
func (s *Service) DeleteUser(ctx context.Context, instanceID, userID string, actor eiam.Actor, origin eiam.Origin) error {
	if actor.SelfService() {
		return eiam.Errorf(eiam.ErrForbidden, "", "forbidden")
	}
	defs, err := s.fieldMap(ctx, instanceID)
	if err != nil {
		return err
	}
	now := s.now().UTC()
	return s.store.DeleteUser(ctx, instanceID, userID, func(cur *eiam.User) (*eiam.Commit, error) {
		return &eiam.Commit{
			OldClaims: s.claims(cur, defs),
			Audit:     audit(cur, eiam.ActionUserDelete, actor, origin, nil, cur.Version+1, now),
			Event:     event(cur, "user.deleted", nil, cur.Version+1, now),
		}, nil
	})
}

// Check validates change against cur (nil for a new user) without writing
// anything: import uses it to report every problem of a file before it
// writes any of it.
func (s *Service) Check(ctx context.Context, instanceID string, cur *eiam.User, change *eiam.ProfileChange, actor eiam.Actor) error {
	defs, err := s.fieldMap(ctx, instanceID)
	if err != nil {
		return err
	}
	creating := cur == nil
	if creating {
		cur = &eiam.User{InstanceID: instanceID, Status: eiam.StatusEnabled,
			Attrs: map[eiam.Attribute]string{}, CustomFields: map[string][]string{}}
	}
	var hash string
	if change.Password != nil {
		if e := s.policy.Check(*change.Password); e != nil {
			return e
		}
		hash = "unhashed"
	}
	_, err = s.plan(cur, change, defs, actor, eiam.Origin{}, hash, s.now().UTC(), creating)
	return err
}

func (s *Service) hashPassword(c *eiam.ProfileChange) (string, error) {
	if c.Password == nil {
		return "", nil
	}
	if e := s.policy.Check(*c.Password); e != nil {
		return "", e
	}
	if s.passwords == nil {
		return "", fmt.Errorf("directory: no password hasher configured")
	}
	return s.passwords.Hash(*c.Password)
}

// namedUnits are the organizational units a change names: its primary unit
// and its units, as given.
func namedUnits(c *eiam.ProfileChange) []string {
	var ids []string
	if c.PrimaryOUID != nil && *c.PrimaryOUID != "" {
		ids = append(ids, *c.PrimaryOUID)
	}
	if c.OUIDs != nil {
		ids = append(ids, *c.OUIDs...)
	}
	return ids
}

func (s *Service) checkUnits(ctx context.Context, instanceID string, c *eiam.ProfileChange) error {
	for _, id := range namedUnits(c) {
		if _, err := s.store.GetOrgUnit(ctx, instanceID, id); err != nil {
			if eiam.ErrorCode(err) == eiam.ErrNotFound {
				return eiam.Errorf(eiam.ErrInvalid, "organizational_unit_id", "not_found", "id", id)
			}
			return err
		}
	}
	return nil
}

func checkID(id string) *eiam.Error {
	if len(id) > 64 {
		return eiam.Errorf(eiam.ErrInvalid, "id", "too_long", "max", 64)
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !isAlnum(c) && c != '_' && c != '-' {
			return eiam.Errorf(eiam.ErrInvalid, "id", "invalid_format", "reason", "letters, digits, _ and -")
		}
	}
	return nil
}

// plan computes the commit that applies change to cur: the whole rule
// engine. It never mutates cur. All violations are collected and returned
// together so a caller can fix a request in one round trip.
func (s *Service) plan(cur *eiam.User, c *eiam.ProfileChange, defs map[string]*eiam.FieldDefinition,
	actor eiam.Actor, origin eiam.Origin, passwordHash string, now time.Time, creating bool) (*eiam.Commit, error) {

	if c.ExpectedVersion != nil && *c.ExpectedVersion != cur.Version && !creating {
		return nil, eiam.Errorf(eiam.ErrPrecondition, "version", "version_mismatch",
			"expected", *c.ExpectedVersion, "actual", cur.Version)
	}
	var errs []*eiam.Error
	add := func(e *eiam.Error) {
		if e != nil {
			errs = append(errs, e)
		}
	}
	next := cur.Clone()
	self := actor.SelfService()

	// Attributes in a stable order, so the first reported error is stable.
	attrs := slices.Sorted(maps.Keys(c.Attrs))
	for _, a := range attrs {
		v := c.Attrs[a]
		r, known := rules[a]
		switch {
		case !known:
			add(eiam.Errorf(eiam.ErrUnknownField, string(a), "unknown_field"))
			continue
		case self && !r.selfWritable:
			add(eiam.Errorf(eiam.ErrForbidden, string(a), "not_self_writable"))
			continue
		}
		if v == "" {
			if a == eiam.AttrUsername {
				add(eiam.Errorf(eiam.ErrMissing, string(a), "required"))
				continue
			}
			delete(next.Attrs, a)
			continue
		}
		if e := validateAttr(a, v, now); e != nil {
			add(e)
			continue
		}
		next.Attrs[a] = v
	}
	if creating && next.Attrs[eiam.AttrUsername] == "" && c.Attrs[eiam.AttrUsername] == "" {
		add(eiam.Errorf(eiam.ErrMissing, string(eiam.AttrUsername), "required"))
	}

	for f, v := range c.Flags {
		if self {
			add(eiam.Errorf(eiam.ErrForbidden, string(f), "not_self_writable"))
			continue
		}
		switch f {
		case eiam.FlagEmailVerified:
			next.EmailVerified = v
		case eiam.FlagPhoneNumberVerified:
			next.PhoneVerified = v
		default:
			add(eiam.Errorf(eiam.ErrUnknownField, string(f), "unknown_field"))
		}
	}

	// Cross-attribute rules: a phone number needs its region and must be
	// valid in it; a new email or phone needs its verified flag (Alibaba
	// seeds); a cleared one is no longer verified.
	_, numberSet := c.Attrs[eiam.AttrPhoneNumber]
	_, regionSet := c.Attrs[eiam.AttrPhoneRegion]
	if (numberSet || regionSet) && next.Attrs[eiam.AttrPhoneNumber] != "" {
		region := next.Attrs[eiam.AttrPhoneRegion]
		switch {
		case region == "":
			add(eiam.Errorf(eiam.ErrMissing, string(eiam.AttrPhoneRegion), "required_with", "attr", "phone_number"))
		case !s.phones.validPhone(region, next.Attrs[eiam.AttrPhoneNumber]) && !hasErr(errs, eiam.AttrPhoneNumber, eiam.AttrPhoneRegion):
			add(eiam.Errorf(eiam.ErrInvalid, string(eiam.AttrPhoneNumber), "invalid_phone", "region", region))
		}
	}
	if numberSet && next.Attrs[eiam.AttrPhoneNumber] == "" {
		delete(next.Attrs, eiam.AttrPhoneRegion)
		next.PhoneVerified = false
	}
	if v, ok := c.Attrs[eiam.AttrEmail]; ok && !self {
		if _, flag := c.Flags[eiam.FlagEmailVerified]; v != "" && !flag && v != cur.Attrs[eiam.AttrEmail] {
			add(eiam.Errorf(eiam.ErrMissing, string(eiam.FlagEmailVerified), "required_with", "attr", "email"))
		}
		if v == "" {
			next.EmailVerified = false
		}
	}
	if numberSet && !self {
		if _, flag := c.Flags[eiam.FlagPhoneNumberVerified]; next.Attrs[eiam.AttrPhoneNumber] != "" && !flag &&
			next.Attrs[eiam.AttrPhoneNumber] != cur.Attrs[eiam.AttrPhoneNumber] {
			add(eiam.Errorf(eiam.ErrMissing, string(eiam.FlagPhoneNumberVerified), "required_with", "attr", "phone_number"))
		}
	}

	errs = append(errs, applyCustomFields(next, c, defs, actor, now)...)
	if creating {
		errs = append(errs, requireCustomFields(next, defs)...)
	}

	if c.Password != nil {
		if self {
			add(eiam.Errorf(eiam.ErrForbidden, "password", "not_self_writable"))
		} else {
			next.PasswordHash = passwordHash
			next.PasswordChangedAt = now
		}
	}
	if c.Status != nil {
		switch {
		case self:
			add(eiam.Errorf(eiam.ErrForbidden, "status", "not_self_writable"))
		case *c.Status != eiam.StatusEnabled && *c.Status != eiam.StatusDisabled:
			add(eiam.Errorf(eiam.ErrInvalid, "status", "invalid_enum", "allowed", "enabled, disabled"))
		default:
			next.Status = *c.Status
		}
	}
	if c.PrimaryOUID != nil || c.OUIDs != nil {
		if self {
			add(eiam.Errorf(eiam.ErrForbidden, "organizational_units", "not_self_writable"))
		} else {
			if c.PrimaryOUID != nil && *c.PrimaryOUID != "" {
				next.PrimaryOUID = *c.PrimaryOUID
			}
			if c.OUIDs != nil {
				next.OUIDs = dedupe(*c.OUIDs, next.PrimaryOUID)
			}
		}
	}
	if len(errs) > 0 {
		return nil, eiam.Join(errs)
	}

	next.Version = cur.Version + 1
	next.UpdatedAt = now
	changes := s.diff(cur, next, defs, creating)
	action, typ := eiam.ActionUserUpdate, "user.updated"
	if creating {
		action, typ = eiam.ActionUserCreate, "user.created"
	}
	names := make([]string, len(changes))
	for i, ch := range changes {
		names[i] = ch.Attribute
	}
	return &eiam.Commit{
		User:         next,
		OldClaims:    s.claims(cur, defs),
		Claims:       s.claims(next, defs),
		SealedFields: sealedFields(defs),
		Audit:        audit(next, action, actor, origin, changes, next.Version, now),
		Event:        event(next, typ, names, next.Version, now),
		EndSessions:  !creating && cur.Status == eiam.StatusEnabled && next.Status == eiam.StatusDisabled,
	}, nil
}

func hasErr(errs []*eiam.Error, attrs ...eiam.Attribute) bool {
	for _, e := range errs {
		for _, a := range attrs {
			if e.Field == string(a) {
				return true
			}
		}
	}
	return false
}

func dedupe(ids []string, skip string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != skip && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// claims lists the unique values u holds, normalized.
func (s *Service) claims(u *eiam.User, defs map[string]*eiam.FieldDefinition) []eiam.Claim {
	out := []eiam.Claim{eiam.UsernameClaim(u.Attrs[eiam.AttrUsername])}
	if v := u.Attrs[eiam.AttrEmail]; v != "" {
		out = append(out, eiam.EmailClaim(v))
	}
	if v := u.Attrs[eiam.AttrPhoneNumber]; v != "" {
		out = append(out, eiam.PhoneClaim(u.Attrs[eiam.AttrPhoneRegion], v))
	}
	if v := u.Attrs[eiam.AttrExternalID]; v != "" {
		out = append(out, eiam.ExternalIDClaim(v))
	}
	for _, name := range slices.Sorted(maps.Keys(u.CustomFields)) {
		d := defs[name]
		if d == nil || !d.Unique {
			continue
		}
		for _, v := range u.CustomFields[name] {
			out = append(out, s.customClaim(d, v))
		}
	}
	return out
}

// customClaim is the claim of a unique custom field value; an encrypted
// field claims a blind index so the value is never stored in clear.
func (s *Service) customClaim(d *eiam.FieldDefinition, v string) eiam.Claim {
	kind := eiam.ClaimCustomPrefix + d.Name
	if d.Encrypted && s.index != nil {
		return eiam.Claim{Kind: kind, Value: s.index.BlindIndex(v, d.InstanceID+":"+kind)}
	}
	return eiam.Claim{Kind: kind, Value: v}
}

func sealedFields(defs map[string]*eiam.FieldDefinition) []string {
	var out []string
	for name, d := range defs {
		if d.Encrypted {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// diff lists what changed between two states, masking sensitive values.
func (s *Service) diff(old, next *eiam.User, defs map[string]*eiam.FieldDefinition, creating bool) []eiam.AttrChange {
	var out []eiam.AttrChange
	record := func(name, o, n string, sensitive bool) {
		if o == n {
			return
		}
		if sensitive {
			o, n = maskIf(o), maskIf(n)
		}
		out = append(out, eiam.AttrChange{Attribute: name, Old: truncate(o), New: truncate(n)})
	}
	keys := slices.Sorted(maps.Keys(rules))
	for _, a := range keys {
		record(string(a), old.Attrs[a], next.Attrs[a], rules[a].sensitive)
	}
	record(string(eiam.FlagEmailVerified), boolText(old.EmailVerified, creating), boolText(next.EmailVerified, false), false)
	record(string(eiam.FlagPhoneNumberVerified), boolText(old.PhoneVerified, creating), boolText(next.PhoneVerified, false), false)
	names := slices.Sorted(maps.Keys(next.CustomFields))
	for name := range old.CustomFields {
		if _, ok := next.CustomFields[name]; !ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		d := defs[name]
		record("custom_fields."+name, strings.Join(old.CustomFields[name], ","), strings.Join(next.CustomFields[name], ","), d != nil && d.Encrypted)
	}
	if old.PasswordHash != next.PasswordHash {
		out = append(out, eiam.AttrChange{Attribute: "password", New: "[changed]"})
	}
	record("status", statusText(old.Status, creating), string(next.Status), false)
	record("primary_organizational_unit_id", unlessCreating(old.PrimaryOUID, creating), next.PrimaryOUID, false)
	record("organizational_unit_ids", strings.Join(old.OUIDs, ","), strings.Join(next.OUIDs, ","), false)
	return out
}

func unlessCreating(s string, creating bool) string {
	if creating {
		return ""
	}
	return s
}

func statusText(s eiam.Status, creating bool) string {
	if creating {
		return ""
	}
	return string(s)
}

func boolText(b, blank bool) string {
	if blank || !b {
		return ""
	}
	return "true"
}

func maskIf(v string) string {
	if v == "" {
		return ""
	}
	return mask(v)
}

// truncate keeps audit rows bounded whatever a custom field holds.
func truncate(s string) string {
	const max = 512
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func audit(u *eiam.User, action string, actor eiam.Actor, origin eiam.Origin, changes []eiam.AttrChange, version int64, now time.Time) eiam.AuditRecord {
	return eiam.AuditRecord{
		ID: eiam.NewOrderedID("aud", now), InstanceID: u.InstanceID, UserID: u.ID, Action: action,
		Actor: actor, Origin: origin, Changes: changes, Version: version, At: now,
	}
}

func event(u *eiam.User, typ string, attrs []string, version int64, now time.Time) eiam.ChangeEvent {
	return eiam.ChangeEvent{InstanceID: u.InstanceID, UserID: u.ID, Type: typ, Version: version, Attributes: attrs, At: now}
}
