package sqlstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/eiam/eiam"
)

// record writes the audit record of a commit and its outbox event. Fields
// the caller left empty are filled from the user the commit is about. In a
// group commit (tx is a *writeTx) the event is left for the batch to insert
// with the others, in commit order; elsewhere (a bulk import) it is
// inserted at once.
func (s *Store) record(ctx context.Context, tx querier, c *eiam.Commit, u *eiam.User, version int64, action, typ string) error {
	auditArgs, eventArgs, err := recordArgs(c, u, version, action, typ)
	if err != nil {
		return err
	}
	q := s.q(`INSERT INTO audit_log (` + auditColumns + `) VALUES (` + placeholders(len(auditArgs)) + `)`)
	if wt, ok := tx.(*writeTx); ok {
		if err := wt.execLater(ctx, nil, q, auditArgs...); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		wt.events = append(wt.events, eventArgs)
		return nil
	}
	if _, err := tx.ExecContext(ctx, q, auditArgs...); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if s.d.OrderOutbox != "" {
		if _, err := tx.ExecContext(ctx, s.d.OrderOutbox); err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
	}
	return s.insertEvents(ctx, tx, [][]any{eventArgs})
}

// auditColumns and eventColumns are the columns record writes, in the
// order of recordArgs.
const (
	auditColumns = `id, instance_id, user_id, action, actor_kind, actor_id, actor_application_id,
		dialect, request_id, client_ip, device, changes, version, at`
	eventColumns = `instance_id, user_id, type, version, attributes, at`
)

// recordArgs returns the values of the audit_log and outbox rows of a
// change of u to version, filling what the commit leaves out.
func recordArgs(c *eiam.Commit, u *eiam.User, version int64, action, typ string) (auditArgs, eventArgs []any, err error) {
	a, ev := c.Audit, c.Event
	if a.ID == "" {
		a.ID = eiam.NewOrderedID("aud", cmp.Or(a.At, time.Now()))
	}
	a.InstanceID = cmp.Or(a.InstanceID, u.InstanceID)
	a.UserID = cmp.Or(a.UserID, u.ID)
	a.Action = cmp.Or(a.Action, action)
	if a.Version == 0 {
		a.Version = version
	}
	ev.InstanceID = cmp.Or(ev.InstanceID, u.InstanceID)
	ev.UserID = cmp.Or(ev.UserID, u.ID)
	ev.Type = cmp.Or(ev.Type, typ)
	if ev.Version == 0 {
		ev.Version = version
	}
	changes := a.Changes
	if changes == nil {
		changes = []eiam.AttrChange{}
	}
	attrs := ev.Attributes
	if attrs == nil {
		attrs = []string{}
	}
	var e encoder
	auditArgs = []any{a.ID, a.InstanceID, a.UserID, a.Action, string(a.Actor.Kind), a.Actor.ID,
		a.Actor.ApplicationID, a.Origin.Dialect, a.Origin.RequestID, a.Origin.ClientIP,
		e.json(a.Origin.Device), e.json(changes), a.Version, e.time(a.At)}
	eventArgs = []any{ev.InstanceID, ev.UserID, ev.Type, ev.Version, e.json(attrs), e.time(ev.At)}
	return auditArgs, eventArgs, e.err
}

// outboxColumns are the columns of an outbox row record leaves.
const outboxColumns = 6

// insertEvents writes outbox rows, in order, in one statement.
func (s *Store) insertEvents(ctx context.Context, tx querier, events [][]any) error {
	if len(events) == 0 {
		return nil
	}
	q, args := s.eventsStatement(events)
	if _, err := tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	return nil
}

// eventsStatement is the statement that inserts outbox rows, in order.
func (s *Store) eventsStatement(events [][]any) (string, []any) {
	var q strings.Builder
	q.WriteString(`INSERT INTO outbox (` + eventColumns + `) VALUES `)
	args := make([]any, 0, len(events)*outboxColumns)
	for i, ev := range events {
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString("(" + placeholders(outboxColumns) + ")")
		args = append(args, ev...)
	}
	return s.q(q.String()), args
}

// ListAudit returns the audit records of a user, oldest first.
func (s *Store) ListAudit(ctx context.Context, instanceID, userID string) ([]*eiam.AuditRecord, error) {
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT id, instance_id, user_id, action, actor_kind,
		actor_id, actor_application_id, dialect, request_id, client_ip, device, changes, version, at
		FROM audit_log WHERE instance_id = ? AND user_id = ? ORDER BY seq`), instanceID, userID)
	if err != nil {
		return nil, fmt.Errorf("list audit of %s: %w", userID, err)
	}
	defer rows.Close()
	out := []*eiam.AuditRecord{}
	for rows.Next() {
		var (
			a               eiam.AuditRecord
			kind, dev, chgs string
			at              int64
		)
		if err := rows.Scan(&a.ID, &a.InstanceID, &a.UserID, &a.Action, &kind, &a.Actor.ID,
			&a.Actor.ApplicationID, &a.Origin.Dialect, &a.Origin.RequestID, &a.Origin.ClientIP,
			&dev, &chgs, &a.Version, &at); err != nil {
			return nil, fmt.Errorf("list audit of %s: %w", userID, err)
		}
		a.Actor.Kind = eiam.ActorKind(kind)
		a.At = timeFromDB(at)
		if err := errors.Join(fromJSON(dev, &a.Origin.Device), fromJSON(chgs, &a.Changes)); err != nil {
			return nil, fmt.Errorf("list audit of %s: record %s: %w", userID, a.ID, err)
		}
		if len(a.Changes) == 0 {
			a.Changes = nil
		}
		out = append(out, &a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list audit of %s: %w", userID, err)
	}
	return out, nil
}

// Event page sizes of ListEvents.
const (
	defaultEventLimit = 100
	maxEventLimit     = 1000
)

// ListEvents returns outbox events with Seq > after, oldest first: at most
// limit of them (100 when limit ≤ 0, never more than 1000). Events become
// visible in Seq order (see Dialect.OrderOutbox), so a consumer that
// remembers the last Seq it handled misses none.
func (s *Store) ListEvents(ctx context.Context, after int64, limit int) ([]*eiam.ChangeEvent, error) {
	if limit <= 0 {
		limit = defaultEventLimit
	}
	limit = min(limit, maxEventLimit)
	rows, err := s.read.QueryContext(ctx, s.q(`SELECT seq, instance_id, user_id, type, version,
		attributes, at FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?`), after, limit)
	if err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	defer rows.Close()
	out := []*eiam.ChangeEvent{}
	for rows.Next() {
		var (
			ev    eiam.ChangeEvent
			attrs string
			at    int64
		)
		if err := rows.Scan(&ev.Seq, &ev.InstanceID, &ev.UserID, &ev.Type, &ev.Version, &attrs, &at); err != nil {
			return nil, fmt.Errorf("list events: %w", err)
		}
		ev.At = timeFromDB(at)
		if err := fromJSON(attrs, &ev.Attributes); err != nil {
			return nil, fmt.Errorf("list events: event %d: %w", ev.Seq, err)
		}
		if len(ev.Attributes) == 0 {
			ev.Attributes = nil
		}
		out = append(out, &ev)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list events: %w", err)
	}
	return out, nil
}
