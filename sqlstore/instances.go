package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/eiam/eiam"
)

// GetInstance returns ErrNotFound when the instance does not exist.
func (s *Store) GetInstance(ctx context.Context, id string) (*eiam.Instance, error) {
	var (
		in      eiam.Instance
		created int64
	)
	err := s.read.QueryRowContext(ctx, s.q(`SELECT id, name, root_ou_id, created_at FROM instances WHERE id = ?`), id).
		Scan(&in.ID, &in.Name, &in.RootOUID, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("instance_id", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get instance %s: %w", id, err)
	}
	in.CreatedAt = timeFromDB(created)
	return &in, nil
}

// PutInstance creates an instance with its root unit (named after the
// instance; its id is in.RootOUID, or a new one when empty), or renames an
// existing one. The root unit and creation time of an existing instance
// never change. changed is false when the instance already existed with the
// same name, so that importing a file twice reports no change.
func (s *Store) PutInstance(ctx context.Context, in *eiam.Instance) (changed bool, err error) {
	root := in.RootOUID
	if root == "" {
		root = eiam.NewID("ou")
	}
	var e encoder
	created := e.time(in.CreatedAt)
	if e.err != nil {
		return false, fmt.Errorf("put instance %s: %w", in.ID, e.err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		changed = false
		// Insert first and look at the row count, rather than check and
		// then insert: two replicas creating one instance must not both
		// create a root unit.
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO instances (id, name, root_ou_id, created_at)
			VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`), in.ID, in.Name, root, created)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 1 {
			changed = true
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO org_units (instance_id, id, name, parent_id)
				VALUES (?, ?, ?, NULL)`), in.ID, root, in.Name)
			return err
		}
		res, err = tx.ExecContext(ctx, s.q(`UPDATE instances SET name = ? WHERE id = ? AND name <> ?`),
			in.Name, in.ID, in.Name)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		changed = n == 1
		return err
	})
	return changed, wrap(err, "put instance %s", in.ID)
}

// GetOrgUnit returns ErrNotFound when the unit does not exist in the instance.
func (s *Store) GetOrgUnit(ctx context.Context, instanceID, id string) (*eiam.OrgUnit, error) {
	ou, err := scanOrgUnit(s.read.QueryRowContext(ctx, s.q(`SELECT instance_id, id, name, parent_id
		FROM org_units WHERE instance_id = ? AND id = ?`), instanceID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("organizational_unit_id", id)
	}
	if err != nil {
		return nil, fmt.Errorf("get unit %s: %w", id, err)
	}
	return ou, nil
}

func scanOrgUnit(row scanner) (*eiam.OrgUnit, error) {
	var (
		ou     eiam.OrgUnit
		parent sql.NullString
	)
	if err := row.Scan(&ou.InstanceID, &ou.ID, &ou.Name, &parent); err != nil {
		return nil, err
	}
	ou.ParentID = parent.String
	return &ou, nil
}

// PutOrgUnit creates or updates a unit. Its instance must exist
// (ErrNotFound on "instance_id"), and so must its parent in that instance
// (ErrNotFound on "parent_id"). changed is false when the
// unit already existed with the same name and parent.
func (s *Store) PutOrgUnit(ctx context.Context, ou *eiam.OrgUnit) (changed bool, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		changed = false
		var one int
		err := tx.QueryRowContext(ctx, s.q(`SELECT 1 FROM instances WHERE id = ?`), ou.InstanceID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("instance_id", ou.InstanceID)
		}
		if err != nil {
			return err
		}
		if ou.ParentID != "" {
			err := tx.QueryRowContext(ctx, s.q(`SELECT 1 FROM org_units WHERE instance_id = ? AND id = ?`),
				ou.InstanceID, ou.ParentID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return notFound("parent_id", ou.ParentID)
			}
			if err != nil {
				return err
			}
		}
		// The WHERE of the upsert leaves an identical row untouched, so the
		// affected row count says whether anything changed.
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO org_units (instance_id, id, name, parent_id)
			VALUES (?, ?, ?, ?) ON CONFLICT (instance_id, id) DO UPDATE
			SET name = excluded.name, parent_id = excluded.parent_id
			WHERE org_units.name <> excluded.name
			   OR COALESCE(org_units.parent_id, '') <> COALESCE(excluded.parent_id, '')`),
			ou.InstanceID, ou.ID, ou.Name, nullable(ou.ParentID))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		changed = n == 1
		return err
	})
	return changed, wrap(err, "put unit %s", ou.ID)
}

// ListOrgUnits returns the units of an instance, the root first, then by
// name.
func (s *Store) ListOrgUnits(ctx context.Context, instanceID string) ([]*eiam.OrgUnit, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT instance_id, id, name, parent_id FROM org_units
		WHERE instance_id = ? ORDER BY parent_id IS NOT NULL, name, id`), instanceID)
	if err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	defer rows.Close()
	out := []*eiam.OrgUnit{}
	for rows.Next() {
		ou, err := scanOrgUnit(rows)
		if err != nil {
			return nil, fmt.Errorf("list units: %w", err)
		}
		out = append(out, ou)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	return out, nil
}
