package sqlstore

import (
	"context"
	"fmt"

	"github.com/eiam/eiam"
)

var _ eiam.EpochStore = (*Store)(nil)

// SecurityEpoch reads the counter that triggers of the schema (migration
// 00005_security_epoch) increment in the transaction of every change that
// can end a token's validity or make a cached row stale: a session revoked;
// a user disabled, deleted or given a new password; an application, access
// key or custom field definition written or removed. It is a primary-key
// read of a one-row table, cheap enough for every request.
func (s *Store) SecurityEpoch(ctx context.Context) (int64, error) {
	var v int64
	if err := s.queryRow(ctx, `SELECT value FROM security_epoch WHERE id = 1`).Scan(&v); err != nil {
		return 0, fmt.Errorf("read security epoch: %w", err)
	}
	return v, nil
}
