package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/eiam/eiam"
)

const appColumns = `instance_id, id, name, client_id, secret_hash, redirect_uris, scopes, disabled, created_at`

// GetApplication returns ErrNotFound when the application does not exist in
// the instance.
func (s *Store) GetApplication(ctx context.Context, instanceID, id string) (*eiam.Application, error) {
	app, err := scanApp(s.queryRow(ctx, `SELECT `+appColumns+` FROM applications
		WHERE instance_id = ? AND id = ?`, instanceID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("application_id", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get application %s: %w", id, err)
	}
	return app, nil
}

// FindApplicationByClientID looks across instances; ErrNotFound when no
// application has the client id.
func (s *Store) FindApplicationByClientID(ctx context.Context, clientID string) (*eiam.Application, error) {
	app, err := scanApp(s.queryRow(ctx, `SELECT `+appColumns+` FROM applications
		WHERE client_id = ?`, clientID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("client_id", clientID)
	}
	if err != nil {
		return nil, fmt.Errorf("find application %s: %w", clientID, err)
	}
	return app, nil
}

func scanApp(row scanner) (*eiam.Application, error) {
	var (
		a            eiam.Application
		uris, scopes string
		created      int64
	)
	if err := row.Scan(&a.InstanceID, &a.ID, &a.Name, &a.ClientID, &a.SecretHash, &uris, &scopes,
		&a.Disabled, &created); err != nil {
		return nil, err
	}
	a.CreatedAt = timeFromDB(created)
	if err := errors.Join(fromJSON(uris, &a.RedirectURIs), fromJSON(scopes, &a.Scopes)); err != nil {
		return nil, fmt.Errorf("decode application %s: %w", a.ID, err)
	}
	return &a, nil
}

// PutApplication creates or replaces an application (its creation time is
// kept from the first write). ErrConflict on "client_id" when another
// application has the client id.
func (s *Store) PutApplication(ctx context.Context, app *eiam.Application) error {
	var e encoder
	args := []any{app.InstanceID, app.ID, app.Name, app.ClientID, app.SecretHash,
		e.json(nonNil(app.RedirectURIs)), e.json(nonNil(app.Scopes)), app.Disabled, e.time(app.CreatedAt)}
	if e.err != nil {
		return fmt.Errorf("put application %s: %w", app.ID, e.err)
	}
	_, err := s.write.ExecContext(ctx, s.q(`INSERT INTO applications (`+appColumns+`)
		VALUES (`+placeholders(len(args))+`) ON CONFLICT (instance_id, id) DO UPDATE SET
		name = excluded.name, client_id = excluded.client_id, secret_hash = excluded.secret_hash,
		redirect_uris = excluded.redirect_uris, scopes = excluded.scopes, disabled = excluded.disabled`), args...)
	// The primary key is the upsert's target, so the only unique key left
	// to violate is client_id.
	if err != nil && s.d.IsUniqueViolation(err) {
		return conflict("client_id")
	}
	return wrap(err, "put application %s", app.ID)
}

// GetAccessKey returns ErrNotFound when the key does not exist.
func (s *Store) GetAccessKey(ctx context.Context, id string) (*eiam.AccessKey, error) {
	var (
		k                          eiam.AccessKey
		sealed, actions, instances string
		created                    int64
	)
	err := s.queryRow(ctx, `SELECT id, secret, actions, instances, disabled, created_at
		FROM access_keys WHERE id = ?`, id).Scan(&k.ID, &sealed, &actions, &instances, &k.Disabled, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("access_key_id", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get access key %s: %w", id, err)
	}
	k.CreatedAt = timeFromDB(created)
	if s.key == nil {
		return nil, fmt.Errorf("get access key %s: no master key to decrypt its secret", id)
	}
	if k.Secret, err = s.key.OpenString(sealed, accessKeyPurpose(id)); err != nil {
		return nil, fmt.Errorf("get access key %s: %w", id, err)
	}
	if err := errors.Join(fromJSON(actions, &k.Actions), fromJSON(instances, &k.Instances)); err != nil {
		return nil, fmt.Errorf("get access key %s: %w", id, err)
	}
	return &k, nil
}

func accessKeyPurpose(id string) string { return "access_key:" + id }

// PutAccessKey creates or replaces an access key; its secret is stored
// encrypted with the master key, and its creation time is kept from the
// first write.
func (s *Store) PutAccessKey(ctx context.Context, k *eiam.AccessKey) error {
	if s.key == nil {
		return fmt.Errorf("put access key %s: no master key to encrypt its secret", k.ID)
	}
	var e encoder
	args := []any{k.ID, s.key.SealString(k.Secret, accessKeyPurpose(k.ID)), e.json(nonNil(k.Actions)),
		e.json(nonNil(k.Instances)), k.Disabled, e.time(k.CreatedAt)}
	if e.err != nil {
		return fmt.Errorf("put access key %s: %w", k.ID, e.err)
	}
	_, err := s.write.ExecContext(ctx, s.q(`INSERT INTO access_keys (id, secret, actions, instances, disabled,
		created_at) VALUES (`+placeholders(len(args))+`) ON CONFLICT (id) DO UPDATE SET
		secret = excluded.secret, actions = excluded.actions, instances = excluded.instances,
		disabled = excluded.disabled`), args...)
	return wrap(err, "put access key %s", k.ID)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
