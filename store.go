package eiam

import (
	"context"
	"time"
)

// UserStore keeps users, their unique claims, the audit log and the outbox.
// Implementations enforce uniqueness of claims themselves, so that of N
// concurrent claims of one value exactly one succeeds, across replicas.
type UserStore interface {
	// GetUser returns ErrNotFound when the user does not exist.
	GetUser(ctx context.Context, instanceID, userID string) (*User, error)
	// LookupUser finds a user by a claim (kind and normalized value);
	// ErrNotFound when none holds it.
	LookupUser(ctx context.Context, instanceID string, claim Claim) (*User, error)
	// ClaimHolders returns the id of the user holding each of claims that
	// is held; the others are absent from the map. It checks many claims
	// at once (an import).
	ClaimHolders(ctx context.Context, instanceID string, claims []Claim) (map[Claim]string, error)
	// ListUsers returns one page of users matching q.
	ListUsers(ctx context.Context, instanceID string, q UserQuery) (*UserPage, error)
	// CreateUser writes a new user with its claims, audit record and event
	// in one transaction. It returns ErrConflict naming the claim's field
	// when a claim is taken, ErrConflict on "id" when the id exists.
	CreateUser(ctx context.Context, c *Commit) error
	// CreateUsers is CreateUser for many users in one transaction: every
	// user is written or none is. It returns the error CreateUser would
	// return for the first user that cannot be written.
	CreateUsers(ctx context.Context, cs []*Commit) error
	// BulkWriter returns a writer for the new users of a large import.
	BulkWriter() BulkWriter
	// UpdateUser reads the current user, calls apply with it, and commits
	// what apply returns in one transaction; no other change of that user
	// can interleave. When apply returns an error, nothing is written and
	// the error is returned. ErrNotFound when the user does not exist;
	// ErrConflict when a new claim is taken.
	UpdateUser(ctx context.Context, instanceID, userID string, apply func(cur *User) (*Commit, error)) (*User, error)
	// DeleteUser is UpdateUser for a deletion: apply's Commit.User is
	// ignored, the user and its claims are removed, the audit record and
	// event are written.
	DeleteUser(ctx context.Context, instanceID, userID string, apply func(cur *User) (*Commit, error)) error
}

// BulkWriter writes the new users of a large import, a batch at a time.
// Each CreateUsers call writes its whole batch or none of it, as
// UserStore.CreateUsers does; but the store may keep the batches of several
// calls in one transaction, made durable only by Commit (SQLite, where a
// transaction rewrites every index page it touched, so a million users in
// thousands of transactions would rewrite the indexes thousands of times).
// While a writer holds such a transaction, other writes of the same store
// wait for it: call Commit before any other write. After an error the
// writer's uncommitted batches are gone.
type BulkWriter interface {
	CreateUsers(ctx context.Context, cs []*Commit) error
	// Commit makes what the writer wrote durable; the writer may be used
	// again afterwards.
	Commit() error
	// Rollback discards what the writer wrote since the last Commit.
	Rollback() error
}

// UserQuery selects users. Zero values mean "no filter".
type UserQuery struct {
	// Limit is the page size (1–100; 20 when 0).
	Limit int
	// After is an opaque keyset cursor from a previous page.
	After string
	// Offset skips users (for APIs that page by number); ignored with After.
	Offset int
	// UsernamePrefix and DisplayNamePrefix match case-insensitively.
	UsernamePrefix    string
	DisplayNamePrefix string
	// Claim selects the user holding one claim (email, phone, external id,
	// a unique custom field).
	Claim  *Claim
	OUID   string
	Status Status
	IDs    []string
	// WithTotal asks for the total count of matching users.
	WithTotal bool
}

// UserPage is one page of users.
type UserPage struct {
	Users []*User
	// Next is the cursor of the next page; empty on the last page.
	Next string
	// Total is the number of matching users, when asked for.
	Total int64
}

// InstanceStore keeps instances and their organizational units.
type InstanceStore interface {
	// GetInstance returns ErrNotFound when the instance does not exist.
	GetInstance(ctx context.Context, id string) (*Instance, error)
	// PutInstance creates or updates an instance (and creates its root
	// unit when new). It reports whether anything changed.
	PutInstance(ctx context.Context, in *Instance) (changed bool, err error)
	GetOrgUnit(ctx context.Context, instanceID, id string) (*OrgUnit, error)
	// PutOrgUnit creates or updates a unit and reports whether anything changed.
	PutOrgUnit(ctx context.Context, ou *OrgUnit) (changed bool, err error)
	ListOrgUnits(ctx context.Context, instanceID string) ([]*OrgUnit, error)
}

// ApplicationStore keeps applications.
type ApplicationStore interface {
	// GetApplication returns ErrNotFound when the application does not exist.
	GetApplication(ctx context.Context, instanceID, id string) (*Application, error)
	// FindApplicationByClientID looks across instances (client ids are unique).
	FindApplicationByClientID(ctx context.Context, clientID string) (*Application, error)
	// PutApplication creates or replaces an application; ErrConflict when
	// its client id belongs to another application.
	PutApplication(ctx context.Context, app *Application) error
}

// AccessKeyStore keeps access keys; secrets are encrypted at rest.
type AccessKeyStore interface {
	// GetAccessKey returns ErrNotFound when the key does not exist.
	GetAccessKey(ctx context.Context, id string) (*AccessKey, error)
	PutAccessKey(ctx context.Context, k *AccessKey) error
}

// FieldStore keeps custom field definitions.
type FieldStore interface {
	// ListFields returns every definition of the instance, enabled or not.
	ListFields(ctx context.Context, instanceID string) ([]*FieldDefinition, error)
	// GetField returns ErrNotFound when the definition does not exist.
	GetField(ctx context.Context, instanceID, id string) (*FieldDefinition, error)
	// PutField creates or replaces a definition; ErrConflict when another
	// definition of the instance has the same name.
	PutField(ctx context.Context, f *FieldDefinition) error
	// DeleteField removes a definition; ErrNotFound when absent.
	DeleteField(ctx context.Context, instanceID, id string) error
}

// AuditStore reads the audit log and the outbox (they are written by
// UserStore in the transaction of each change).
type AuditStore interface {
	// ListAudit returns the audit records of a user, oldest first.
	ListAudit(ctx context.Context, instanceID, userID string) ([]*AuditRecord, error)
	// ListEvents returns outbox events with Seq > after, oldest first.
	ListEvents(ctx context.Context, after int64, limit int) ([]*ChangeEvent, error)
}

// EpochStore counts the changes that can make what a server keeps in memory
// stale, so that several servers on one database can cache and still see
// every such change at once.
type EpochStore interface {
	// SecurityEpoch returns a counter that grows, in the same transaction,
	// with every change that can end a token's validity — a session
	// revoked; a user disabled, deleted or given a new password — and with
	// every write or removal of an application, access key or custom field
	// definition. Other changes (profile updates, refresh-token rotation,
	// new sessions) leave it alone. Rows of those kinds read after the
	// counter read N are current for as long as it still reads N.
	SecurityEpoch(ctx context.Context) (int64, error)
}

// Store is everything a server needs from its database.
type Store interface {
	UserStore
	InstanceStore
	ApplicationStore
	AccessKeyStore
	FieldStore
	AuditStore
	SessionStore
	SigningKeyStore
	NonceStore
	LoginStore
	AuthRequestStore
	EpochStore
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	Close() error
}

// Clock returns the current time; injected so tests are deterministic.
type Clock func() time.Time
