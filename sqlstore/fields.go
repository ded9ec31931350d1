package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/eiam/eiam"
)

const fieldColumns = `instance_id, id, name, display_name, data_type, display_type, items, default_value,
	description, is_required, is_unique, encrypted, user_permission, max_length, disabled, created_at, updated_at`

// fieldItem is how a FieldItem is stored, with names fixed here so that
// renaming a Go field does not change stored data.
type fieldItem struct {
	Value       string `json:"value"`
	DisplayName string `json:"display_name,omitempty"`
	Disabled    bool   `json:"disabled,omitempty"`
}

// ListFields returns every definition of the instance, ordered by name.
func (s *Store) ListFields(ctx context.Context, instanceID string) ([]*eiam.FieldDefinition, error) {
	rows, err := s.queryRows(ctx, `SELECT `+fieldColumns+` FROM field_definitions
		WHERE instance_id = ? ORDER BY name`, instanceID)
	if err != nil {
		return nil, fmt.Errorf("list fields: %w", err)
	}
	defer rows.Close()
	out := []*eiam.FieldDefinition{}
	for rows.Next() {
		f, err := scanField(rows)
		if err != nil {
			return nil, fmt.Errorf("list fields: %w", err)
		}
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list fields: %w", err)
	}
	return out, nil
}

// GetField returns ErrNotFound when the definition does not exist.
func (s *Store) GetField(ctx context.Context, instanceID, id string) (*eiam.FieldDefinition, error) {
	f, err := scanField(s.read.QueryRowContext(ctx, s.q(`SELECT `+fieldColumns+` FROM field_definitions
		WHERE instance_id = ? AND id = ?`), instanceID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("field_id", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get field %s: %w", id, err)
	}
	return f, nil
}

func scanField(row scanner) (*eiam.FieldDefinition, error) {
	var (
		f                                  eiam.FieldDefinition
		dataType, displayType, items, perm string
		created, updated                   int64
	)
	if err := row.Scan(&f.InstanceID, &f.ID, &f.Name, &f.DisplayName, &dataType, &displayType, &items,
		&f.DefaultValue, &f.Description, &f.Required, &f.Unique, &f.Encrypted, &perm, &f.MaxLength,
		&f.Disabled, &created, &updated); err != nil {
		return nil, err
	}
	f.DataType, f.DisplayType, f.UserPermission = eiam.DataType(dataType), eiam.DisplayType(displayType), eiam.Permission(perm)
	f.CreatedAt, f.UpdatedAt = timeFromDB(created), timeFromDB(updated)
	var stored []fieldItem
	if err := fromJSON(items, &stored); err != nil {
		return nil, fmt.Errorf("decode field %s: %w", f.ID, err)
	}
	for _, it := range stored {
		f.Items = append(f.Items, eiam.FieldItem{Value: it.Value, DisplayName: it.DisplayName, Disabled: it.Disabled})
	}
	return &f, nil
}

// PutField creates or replaces a definition (its creation time is kept from
// the first write). ErrConflict on "name" when another definition of the
// instance has the same name.
func (s *Store) PutField(ctx context.Context, f *eiam.FieldDefinition) error {
	items := make([]fieldItem, len(f.Items))
	for i, it := range f.Items {
		items[i] = fieldItem{Value: it.Value, DisplayName: it.DisplayName, Disabled: it.Disabled}
	}
	var e encoder
	args := []any{f.InstanceID, f.ID, f.Name, f.DisplayName, string(f.DataType), string(f.DisplayType),
		e.json(items), f.DefaultValue, f.Description, f.Required, f.Unique, f.Encrypted,
		string(f.UserPermission), f.MaxLength, f.Disabled, e.time(f.CreatedAt), e.time(f.UpdatedAt)}
	if e.err != nil {
		return fmt.Errorf("put field %s: %w", f.Name, e.err)
	}
	_, err := s.write.ExecContext(ctx, s.q(`INSERT INTO field_definitions (`+fieldColumns+`)
		VALUES (`+placeholders(len(args))+`) ON CONFLICT (instance_id, id) DO UPDATE SET
		name = excluded.name, display_name = excluded.display_name, data_type = excluded.data_type,
		display_type = excluded.display_type, items = excluded.items,
		default_value = excluded.default_value, description = excluded.description,
		is_required = excluded.is_required, is_unique = excluded.is_unique,
		encrypted = excluded.encrypted, user_permission = excluded.user_permission,
		max_length = excluded.max_length, disabled = excluded.disabled, updated_at = excluded.updated_at`), args...)
	// The primary key is the upsert's target, so the only unique key left
	// to violate is (instance_id, name).
	if err != nil && s.d.IsUniqueViolation(err) {
		return conflict("name")
	}
	return wrap(err, "put field %s", f.Name)
}

// DeleteField removes a definition; ErrNotFound when absent. Values users
// hold for it are left for the directory to clean up.
func (s *Store) DeleteField(ctx context.Context, instanceID, id string) error {
	res, err := s.write.ExecContext(ctx, s.q(`DELETE FROM field_definitions WHERE instance_id = ? AND id = ?`),
		instanceID, id)
	if err != nil {
		return fmt.Errorf("delete field %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete field %s: %w", id, err)
	} else if n == 0 {
		return notFound("field_id", id)
	}
	return nil
}
