package eiam

import "time"

// Operation is what a custom-field change does (spec §2): add sets the value
// (one more element for a multi-value field), replace sets it (as add when
// there is none), remove deletes it (that element for a multi-value field).
type Operation string

// Custom-field operations.
const (
	OpAdd     Operation = "add"
	OpReplace Operation = "replace"
	OpRemove  Operation = "remove"
)

// CustomFieldOp changes one custom field. Value is ignored by a remove of a
// single-value field.
type CustomFieldOp struct {
	Name  string
	Value string
	Op    Operation
	// Path is where the operation appeared in the request, for error
	// messages ("customFields[2]", "CustomFields.2"); empty means the name.
	Path string
}

// ProfileChange is a partial change of a user: only what is present changes.
// Every API decodes its request into one and calls the one update path.
type ProfileChange struct {
	// Attrs sets text attributes; an empty value clears the attribute.
	Attrs map[Attribute]string
	// Flags sets boolean attributes.
	Flags map[Flag]bool
	// CustomFields are applied in order.
	CustomFields []CustomFieldOp
	// CustomFieldsReplace, when true, makes CustomFields the complete new
	// set: fields not named are removed (SCIM PUT, import).
	CustomFieldsReplace bool
	// Password sets a new password (plaintext; hashed by the update path).
	Password *string
	Status   *Status
	// PrimaryOUID moves the user to another primary unit.
	PrimaryOUID *string
	// OUIDs replaces the additional units when non-nil.
	OUIDs *[]string
	// ExpectedVersion, when set, makes the change fail with ErrPrecondition
	// unless the user's version equals it.
	ExpectedVersion *int64
}

// SetAttr records that attribute a is to become v, allocating the map.
func (c *ProfileChange) SetAttr(a Attribute, v string) {
	if c.Attrs == nil {
		c.Attrs = make(map[Attribute]string)
	}
	c.Attrs[a] = v
}

// SetFlag records that flag f is to become v, allocating the map.
func (c *ProfileChange) SetFlag(f Flag, v bool) {
	if c.Flags == nil {
		c.Flags = make(map[Flag]bool)
	}
	c.Flags[f] = v
}

// Empty reports whether the change changes nothing.
func (c *ProfileChange) Empty() bool {
	return len(c.Attrs) == 0 && len(c.Flags) == 0 && len(c.CustomFields) == 0 &&
		!c.CustomFieldsReplace && c.Password == nil && c.Status == nil &&
		c.PrimaryOUID == nil && c.OUIDs == nil
}

// ActorKind says on whose authority a change is made.
type ActorKind string

// Actor kinds. A self-service actor may write only read_write custom fields
// and never email, phone or password.
const (
	ActorSelf        ActorKind = "self"
	ActorApplication ActorKind = "application"
	ActorAccessKey   ActorKind = "access_key"
	ActorAdmin       ActorKind = "admin"
)

// Actor is who makes a change.
type Actor struct {
	Kind ActorKind
	// ID is the user id (self), application id, access key id, or the
	// administrator's name (for example "import").
	ID string
	// ApplicationID is the application the credential was issued to, if any.
	ApplicationID string
}

// SelfService reports whether the actor is a user acting on themselves.
func (a Actor) SelfService() bool { return a.Kind == ActorSelf }

// Origin describes the request that carried a change, for the audit record.
type Origin struct {
	// Dialect names the API surface: "bamboo", "authing", "alibaba-dev",
	// "alibaba-rpc", "scim", "import", "oidc".
	Dialect   string
	RequestID string
	ClientIP  string
	// Device holds the Bamboo device headers when present.
	Device map[string]string
}

// AttrChange is one changed attribute in an audit record. Sensitive values
// are masked before they are recorded.
type AttrChange struct {
	Attribute string `json:"attribute"`
	Old       string `json:"old,omitempty"`
	New       string `json:"new,omitempty"`
}

// Audit actions.
const (
	ActionUserCreate = "user.create"
	ActionUserUpdate = "user.update"
	ActionUserDelete = "user.delete"
)

// AuditRecord is the permanent record of one successful change.
type AuditRecord struct {
	ID         string
	InstanceID string
	UserID     string
	Action     string
	Actor      Actor
	Origin     Origin
	Changes    []AttrChange
	// Version is the user's version after the change.
	Version int64
	At      time.Time
}

// ChangeEvent is written to the outbox in the same transaction as the change,
// for delivery to subscribers after commit.
type ChangeEvent struct {
	// Seq is assigned by the store, increasing.
	Seq        int64
	InstanceID string
	UserID     string
	Type       string
	Version    int64
	// Attributes names what changed (no values: consumers read the user).
	Attributes []string
	At         time.Time
}

// Claim is a value a user holds that must be unique in the instance, in its
// normalized form. Kinds are ClaimUsername, ClaimEmail, ClaimPhone,
// ClaimExternalID and ClaimCustomPrefix+field name.
type Claim struct {
	Kind  string
	Value string
}

// Claim kinds.
const (
	ClaimUsername     = "username"
	ClaimEmail        = "email"
	ClaimPhone        = "phone"
	ClaimExternalID   = "external_id"
	ClaimCustomPrefix = "cf:"
)

// Commit is what the update path asks a store to write atomically: the new
// state of the user, its unique claims (before and after, so the store
// changes only the difference), one audit record and one change event.
type Commit struct {
	User      *User
	OldClaims []Claim
	Claims    []Claim
	// SealedFields names the custom fields whose values are encrypted at
	// rest (definitions marked encrypted).
	SealedFields []string
	Audit        AuditRecord
	Event        ChangeEvent
	// EndSessions revokes every session of the user in the same
	// transaction: disabling a user ends their tokens for good, so that
	// enabling them again does not revive the tokens issued before.
	EndSessions bool
}
