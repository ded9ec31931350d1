package cache

import (
	"context"
	"slices"
	"time"

	"github.com/eiam/eiam"
)

// Limits of what a Store keeps in memory.
const (
	maxApplications = 10_000
	maxAccessKeys   = 10_000
	maxInstances    = 10_000 // field definition lists
)

// Store is an eiam.Store that serves applications, access keys and custom
// field definitions from memory for as long as the security epoch stays
// where it was when it read them. Everything else, every write included,
// goes to the store it wraps. It returns copies, so callers may change what
// they get.
type Store struct {
	eiam.Store
	epoch   *Epoch
	apps    *Map[appKey, *eiam.Application]
	clients *Map[string, *eiam.Application]
	keys    *Map[string, *eiam.AccessKey]
	fields  *Map[string, []*eiam.FieldDefinition]
}

type appKey struct{ instanceID, id string }

var _ eiam.Store = (*Store)(nil)

// New returns a caching Store over s.
func New(s eiam.Store) *Store {
	return &Store{
		Store:   s,
		epoch:   NewEpoch(s),
		apps:    NewMap[appKey, *eiam.Application](maxApplications),
		clients: NewMap[string, *eiam.Application](maxApplications),
		keys:    NewMap[string, *eiam.AccessKey](maxAccessKeys),
		fields:  NewMap[string, []*eiam.FieldDefinition](maxInstances),
	}
}

// SecurityEpoch reads the security epoch, sharing one query among the
// callers that ask at the same time (see Epoch).
func (s *Store) SecurityEpoch(ctx context.Context) (int64, error) {
	return s.epoch.Read(ctx)
}

// GetApplication returns ErrNotFound when the application does not exist.
func (s *Store) GetApplication(ctx context.Context, instanceID, id string) (*eiam.Application, error) {
	epoch, err := s.SecurityEpoch(ctx)
	if err != nil {
		return nil, err
	}
	app, err := s.apps.Get(epoch, appKey{instanceID, id}, func() (*eiam.Application, error) {
		return s.Store.GetApplication(ctx, instanceID, id)
	})
	if err != nil {
		return nil, err
	}
	return cloneApp(app), nil
}

// FindApplicationByClientID returns ErrNotFound when no application has the
// client id.
func (s *Store) FindApplicationByClientID(ctx context.Context, clientID string) (*eiam.Application, error) {
	epoch, err := s.SecurityEpoch(ctx)
	if err != nil {
		return nil, err
	}
	app, err := s.clients.Get(epoch, clientID, func() (*eiam.Application, error) {
		return s.Store.FindApplicationByClientID(ctx, clientID)
	})
	if err != nil {
		return nil, err
	}
	return cloneApp(app), nil
}

// GetAccessKey returns ErrNotFound when the key does not exist.
func (s *Store) GetAccessKey(ctx context.Context, id string) (*eiam.AccessKey, error) {
	epoch, err := s.SecurityEpoch(ctx)
	if err != nil {
		return nil, err
	}
	k, err := s.keys.Get(epoch, id, func() (*eiam.AccessKey, error) {
		return s.Store.GetAccessKey(ctx, id)
	})
	if err != nil {
		return nil, err
	}
	c := *k
	c.Actions, c.Instances = slices.Clone(k.Actions), slices.Clone(k.Instances)
	return &c, nil
}

// ListFields returns every definition of the instance, enabled or not.
func (s *Store) ListFields(ctx context.Context, instanceID string) ([]*eiam.FieldDefinition, error) {
	epoch, err := s.SecurityEpoch(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.fields.Get(epoch, instanceID, func() ([]*eiam.FieldDefinition, error) {
		return s.Store.ListFields(ctx, instanceID)
	})
	if err != nil {
		return nil, err
	}
	out := make([]*eiam.FieldDefinition, len(list))
	for i, f := range list {
		c := *f
		c.Items = slices.Clone(f.Items)
		out[i] = &c
	}
	return out, nil
}

func cloneApp(a *eiam.Application) *eiam.Application {
	c := *a
	c.RedirectURIs, c.Scopes = slices.Clone(a.RedirectURIs), slices.Clone(a.Scopes)
	return &c
}

// The writes that can move the security epoch (see eiam.EpochStore) mark
// the request they are made for (see Request), before they begin.

func (s *Store) UpdateUser(ctx context.Context, instanceID, userID string, apply func(cur *eiam.User) (*eiam.Commit, error)) (*eiam.User, error) {
	wrote(ctx)
	return s.Store.UpdateUser(ctx, instanceID, userID, apply)
}

func (s *Store) DeleteUser(ctx context.Context, instanceID, userID string, apply func(cur *eiam.User) (*eiam.Commit, error)) error {
	wrote(ctx)
	return s.Store.DeleteUser(ctx, instanceID, userID, apply)
}

func (s *Store) RevokeSession(ctx context.Context, id string, at time.Time) error {
	wrote(ctx)
	return s.Store.RevokeSession(ctx, id, at)
}

func (s *Store) RevokeUserSessions(ctx context.Context, instanceID, userID string, at time.Time) (int, error) {
	wrote(ctx)
	return s.Store.RevokeUserSessions(ctx, instanceID, userID, at)
}

func (s *Store) PutApplication(ctx context.Context, app *eiam.Application) error {
	wrote(ctx)
	return s.Store.PutApplication(ctx, app)
}

func (s *Store) PutAccessKey(ctx context.Context, k *eiam.AccessKey) error {
	wrote(ctx)
	return s.Store.PutAccessKey(ctx, k)
}

func (s *Store) PutField(ctx context.Context, f *eiam.FieldDefinition) error {
	wrote(ctx)
	return s.Store.PutField(ctx, f)
}

func (s *Store) DeleteField(ctx context.Context, instanceID, id string) error {
	wrote(ctx)
	return s.Store.DeleteField(ctx, instanceID, id)
}
