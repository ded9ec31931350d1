package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/eiam/eiam"
)

// GetUser returns ErrNotFound when the user does not exist in the instance.
func (s *Store) GetUser(ctx context.Context, instanceID, userID string) (*eiam.User, error) {
	u, err := s.scanUser(s.queryRow(ctx, `SELECT `+userReadColumns+`
		FROM users u WHERE u.instance_id = ? AND u.id = ?`, instanceID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, userNotFound(userID)
	}
	if err != nil {
		return nil, fmt.Errorf("get user %s: %w", userID, err)
	}
	return u, nil
}

// lookupUserQuery reads the holder of a claim (instance, kind, value).
const lookupUserQuery = `SELECT ` + userReadColumns + `
	FROM user_claims c JOIN users u ON u.instance_id = c.instance_id AND u.id = c.user_id
	WHERE c.instance_id = ? AND c.kind = ? AND c.value = ?`

// LookupUser finds the holder of a claim; ErrNotFound when none holds it.
func (s *Store) LookupUser(ctx context.Context, instanceID string, claim eiam.Claim) (*eiam.User, error) {
	u, err := s.scanUser(s.queryRow(ctx, lookupUserQuery, instanceID, claim.Kind, claim.Value))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, eiam.Errorf(eiam.ErrNotFound, eiam.ClaimField(claim.Kind), "user_not_found", "id", claim.Value)
	}
	if err != nil {
		return nil, fmt.Errorf("lookup user by %s: %w", claim.Kind, err)
	}
	return u, nil
}

// CreateUser writes a new user, its claims, unit memberships, audit record
// and outbox event in one transaction.
func (s *Store) CreateUser(ctx context.Context, c *eiam.Commit) error {
	if c == nil || c.User == nil {
		return errors.New("create user: commit without user")
	}
	// A new user's claims are the likeliest to be taken, after its row is
	// written: it runs in a savepoint.
	err := s.writeUser(ctx, c.User.InstanceID, c.User.ID, writeOpts{savepoint: true}, func(ctx context.Context, tx *writeTx) error { return s.createUser(ctx, tx, c) })
	return wrap(err, "create user %s", c.User.ID)
}

// createUser writes what CreateUser writes inside tx: a group commit's
// (CreateUser) or a bulk import's (CreateUsers).
func (s *Store) createUser(ctx context.Context, tx querier, c *eiam.Commit) error {
	u := c.User
	vals, err := s.userValues(u, c.SealedFields)
	if err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, s.q(`INSERT INTO users (instance_id, id, `+userValueColumns+`)
		VALUES (?, ?, `+placeholders(len(vals))+`) ON CONFLICT (instance_id, id) DO NOTHING`),
		append([]any{u.InstanceID, u.ID}, vals...)...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return conflict("id")
	}
	if err := s.addClaims(ctx, tx, u.InstanceID, u.ID, c.Claims); err != nil {
		return err
	}
	if err := s.addUnits(ctx, tx, u); err != nil {
		return err
	}
	return s.record(ctx, tx, c, u, u.Version, eiam.ActionUserCreate, "user.created")
}

// UpdateUser locks the user's row, calls apply with a copy of it and writes
// the commit apply returns, all in one transaction.
func (s *Store) UpdateUser(ctx context.Context, instanceID, userID string, apply func(cur *eiam.User) (*eiam.Commit, error)) (*eiam.User, error) {
	var out *eiam.User
	err := s.writeUser(ctx, instanceID, userID, writeOpts{locksUser: true}, func(ctx context.Context, tx *writeTx) error {
		out = nil
		cur, err := s.lockUser(ctx, tx, instanceID, userID)
		if err != nil {
			return err
		}
		c, err := apply(cur.Clone())
		if err != nil {
			return callerError{err}
		}
		if c == nil || c.User == nil {
			return errors.New("apply returned no user")
		}
		u := c.User
		if u.InstanceID != instanceID || u.ID != userID {
			return fmt.Errorf("apply returned user %s/%s", u.InstanceID, u.ID)
		}
		if u.Version != cur.Version+1 {
			return fmt.Errorf("apply returned version %d after version %d", u.Version, cur.Version)
		}
		vals, err := s.userValues(u, c.SealedFields)
		if err != nil {
			return err
		}
		// New claims first: the one most often refused (a taken email)
		// is then refused before anything changed, and the write fails
		// without a savepoint (see inSavepoint).
		removed, added := diffClaims(c.OldClaims, c.Claims)
		if err := s.addClaims(ctx, tx, instanceID, userID, added); err != nil {
			return err
		}
		for _, cl := range removed {
			if err := tx.execLater(ctx, nil, s.q(`DELETE FROM user_claims
				WHERE instance_id = ? AND kind = ? AND value = ? AND user_id = ?`),
				instanceID, cl.Kind, cl.Value, userID); err != nil {
				return err
			}
		}
		// SQLite rewrites the entry of every index that reads a column
		// the statement sets, changed or not: an update that keeps the
		// username and display name leaves their columns out, so that it
		// does not dirty a leaf page of each of the two prefix-search
		// indexes (at 10^6 users, two more random pages written per
		// update). PostgreSQL compares values itself (HOT updates).
		cols := userValueColumns
		if keys := userKeyValues(cur); slices.Equal(vals[len(vals)-len(keys):], keys) {
			cols, vals = userDataColumns, vals[:len(vals)-len(keys)]
		}
		// The row is locked, so the version cannot have moved; the
		// condition keeps a broken lock from silently losing an update.
		if err := tx.execLater(ctx, func(n int64) error {
			if n != 1 {
				return fmt.Errorf("version %d changed under a row lock", cur.Version)
			}
			return nil
		}, s.q(`UPDATE users SET (`+cols+`) = (`+placeholders(len(vals))+`)
			WHERE instance_id = ? AND id = ? AND version = ?`),
			append(vals, instanceID, userID, cur.Version)...); err != nil {
			return err
		}
		if !slices.Equal(units(cur), units(u)) {
			if err := s.removeUnits(ctx, tx, instanceID, userID); err != nil {
				return err
			}
			if err := s.addUnits(ctx, tx, u); err != nil {
				return err
			}
		}
		if err := s.record(ctx, tx, c, u, u.Version, eiam.ActionUserUpdate, "user.updated"); err != nil {
			return err
		}
		if c.EndSessions {
			var e encoder
			at := u.UpdatedAt
			if at.IsZero() {
				at = time.Now()
			}
			if err := tx.execLater(ctx, nil, s.q(`UPDATE sessions SET revoked_at = ?
				WHERE instance_id = ? AND user_id = ? AND revoked_at = 0`), e.time(at), instanceID, userID); err != nil {
				return err
			}
		}
		out = normalizeUser(u)
		return nil
	})
	if err != nil {
		return nil, wrap(err, "update user %s", userID)
	}
	return out, nil
}

// DeleteUser locks the user's row, calls apply for the audit record and
// event, and removes the user with its claims and memberships.
func (s *Store) DeleteUser(ctx context.Context, instanceID, userID string, apply func(cur *eiam.User) (*eiam.Commit, error)) error {
	err := s.writeUser(ctx, instanceID, userID, writeOpts{locksUser: true}, func(ctx context.Context, tx *writeTx) error {
		cur, err := s.lockUser(ctx, tx, instanceID, userID)
		if err != nil {
			return err
		}
		c, err := apply(cur.Clone())
		if err != nil {
			return callerError{err}
		}
		if c == nil {
			c = &eiam.Commit{}
		}
		// Every claim of the user goes, whatever OldClaims lists, so that
		// nothing can stay reserved by a user who no longer exists.
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM user_claims WHERE instance_id = ? AND user_id = ?`),
			instanceID, userID); err != nil {
			return err
		}
		if err := s.removeUnits(ctx, tx, instanceID, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM users WHERE instance_id = ? AND id = ?`),
			instanceID, userID); err != nil {
			return err
		}
		return s.record(ctx, tx, c, cur, cur.Version+1, eiam.ActionUserDelete, "user.deleted")
	})
	return wrap(err, "delete user %s", userID)
}

// lockUser reads a user inside a write transaction, locking its row where
// the dialect needs that, unless its batch locked it already.
func (s *Store) lockUser(ctx context.Context, tx querier, instanceID, userID string) (*eiam.User, error) {
	if wt, ok := tx.(*writeTx); ok {
		if u := wt.lockedUpFront(userKey{instanceID, userID}); u != nil {
			return u, nil
		}
	}
	u, err := s.scanUser(tx.QueryRowContext(ctx, s.q(`SELECT `+userReadColumns+`
		FROM users u WHERE u.instance_id = ? AND u.id = ?`+s.d.LockRow), instanceID, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, userNotFound(userID)
	}
	return u, err
}

// lockUsers locks up front the rows of the users that the writes of a batch
// are about to lock one at a time, in one statement for each instance
// (Dialect.LockUsers), and returns them for lockUser: one round trip for
// the batch instead of one for each write. live is in userKey order, as is
// the order in which the statement locks the rows, so batches still lock
// rows in one global order, and before the batch inserts anything. A user
// the statement does not find is looked for again, and reported missing,
// by its write.
func (s *Store) lockUsers(ctx context.Context, tx *sql.Tx, live []*pending) (map[userKey]*lockedUser, error) {
	if s.d.LockUsers == "" {
		return nil, nil
	}
	var keys []userKey
	for _, p := range live {
		if p.opts.locksUser && p.ctx.Err() == nil && (len(keys) == 0 || keys[len(keys)-1] != p.key) {
			keys = append(keys, p.key)
		}
	}
	// Even one row: a batch takes all its row locks before any insert
	// (new users, claims), so that two batches cannot each hold a row the
	// other wants while waiting on an insert of the other's.
	if len(keys) == 0 {
		return nil, nil
	}
	locked := make(map[userKey]*lockedUser, len(keys))
	q := s.q(`SELECT ` + userReadColumns + ` FROM users u WHERE u.instance_id = ? AND u.id = ANY(?)` + s.d.LockUsers)
	for len(keys) > 0 {
		inst := keys[0].instanceID
		n := 1
		for n < len(keys) && keys[n].instanceID == inst {
			n++
		}
		ids := make([]string, n)
		for i, k := range keys[:n] {
			ids[i] = k.userID
		}
		keys = keys[n:]
		if err := s.scanLocked(ctx, tx, q, locked, inst, ids); err != nil {
			return nil, fmt.Errorf("lock users: %w", err)
		}
	}
	s.gc.lockedUpFront.Add(int64(len(locked)))
	return locked, nil
}

func (s *Store) scanLocked(ctx context.Context, tx *sql.Tx, q string, locked map[userKey]*lockedUser, inst string, ids []string) error {
	rows, err := tx.QueryContext(ctx, q, inst, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		u, err := s.scanUser(rows)
		if err != nil {
			return err
		}
		locked[userKey{u.InstanceID, u.ID}] = &lockedUser{u: u}
	}
	return rows.Err()
}

func userNotFound(id string) error {
	return eiam.Errorf(eiam.ErrNotFound, "user_id", "user_not_found", "id", id)
}

// addClaims reserves claims for a user. Each claim is its own INSERT … ON
// CONFLICT DO NOTHING: the unique key decides between concurrent claimants
// (on PostgreSQL a second claimant waits for the first to commit or roll
// back), a lost claim is seen as "no row inserted" without aborting the
// transaction, and the statement that lost names the claim's kind exactly.
// Claims go in a fixed order so that two transactions never wait for each
// other's claims in opposite orders.
func (s *Store) addClaims(ctx context.Context, tx querier, instanceID, userID string, claims []eiam.Claim) error {
	for _, c := range sortedClaims(claims) {
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO user_claims (instance_id, kind, value, user_id)
			VALUES (?, ?, ?, ?) ON CONFLICT (instance_id, kind, value) DO NOTHING`),
			instanceID, c.Kind, c.Value, userID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if n == 1 {
			continue
		}
		// The user may already hold it (a claim the caller did not list
		// among the old ones); that is not a conflict.
		var holder string
		err = tx.QueryRowContext(ctx, s.q(`SELECT user_id FROM user_claims
			WHERE instance_id = ? AND kind = ? AND value = ?`), instanceID, c.Kind, c.Value).Scan(&holder)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if holder != userID {
			return conflict(eiam.ClaimField(c.Kind))
		}
	}
	return nil
}

func compareClaims(a, b eiam.Claim) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Value, b.Value))
}

func sortedClaims(cs []eiam.Claim) []eiam.Claim {
	out := slices.Clone(cs)
	slices.SortFunc(out, compareClaims)
	return slices.Compact(out)
}

// diffClaims returns the claims of old not in new, and of new not in old.
func diffClaims(old, new []eiam.Claim) (removed, added []eiam.Claim) {
	for _, c := range old {
		if !slices.Contains(new, c) {
			removed = append(removed, c)
		}
	}
	for _, c := range new {
		if !slices.Contains(old, c) {
			added = append(added, c)
		}
	}
	return removed, added
}

// units lists the units a user belongs to, primary first, without
// repetition; user_ous holds one row for each, for the OUID filter.
func units(u *eiam.User) []string {
	var out []string
	for _, id := range append([]string{u.PrimaryOUID}, u.OUIDs...) {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

func (s *Store) addUnits(ctx context.Context, tx querier, u *eiam.User) error {
	for _, ou := range units(u) {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO user_ous (instance_id, ou_id, user_id) VALUES (?, ?, ?)`),
			u.InstanceID, ou, u.ID); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) removeUnits(ctx context.Context, tx querier, instanceID, userID string) error {
	_, err := tx.ExecContext(ctx, s.q(`DELETE FROM user_ous WHERE instance_id = ? AND user_id = ?`), instanceID, userID)
	return err
}
