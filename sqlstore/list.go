package sqlstore

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/eiam/eiam"
)

// Page sizes of ListUsers.
const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// ListUsers returns one page of the instance's users matching q, ordered by
// lowercase username, then id; or, for a display-name prefix search without
// a username prefix, by lowercase display name, then id. Pages are walked
// either with the keyset cursor in Next (stable while users change) or with
// Offset.
//
// Every order is an index, (instance_id, username_norm, id) or
// (instance_id, display_name_norm, id), and a prefix is a range of it, so a
// page costs a range scan of the page's length whatever the directory's
// size; the count of WithTotal and deep Offsets cost what they count.
func (s *Store) ListUsers(ctx context.Context, instanceID string, q eiam.UserQuery) (*eiam.UserPage, error) {
	l, err := listQuery(instanceID, q)
	if err != nil {
		return nil, err
	}
	page := &eiam.UserPage{Users: []*eiam.User{}}
	if q.WithTotal && !l.byIDs {
		if err := s.read.QueryRowContext(ctx, s.q(l.count), l.countArgs...).Scan(&page.Total); err != nil {
			return nil, fmt.Errorf("count users: %w", err)
		}
	}
	rows, err := s.read.QueryContext(ctx, s.q(l.page), l.pageArgs...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		u, err := s.scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		page.Users = append(page.Users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	if l.byIDs {
		page.Users = l.orderInGo(page, q)
	}
	if len(page.Users) > l.limit {
		page.Users = page.Users[:l.limit]
		last := page.Users[l.limit-1]
		page.Next = encodeCursor(l.order, l.order.key(last), last.ID)
	}
	return page, nil
}

// orderInGo orders the users of a list by ids (all its matches, a
// handful), counts them, and applies the cursor and offset: what the
// database does for other lists. It returns the page and one more user
// when there is one.
func (l *listSQL) orderInGo(page *eiam.UserPage, q eiam.UserQuery) []*eiam.User {
	us := page.Users
	slices.SortFunc(us, func(a, b *eiam.User) int {
		return cmp.Or(strings.Compare(l.order.key(a), l.order.key(b)), strings.Compare(a.ID, b.ID))
	})
	page.Total = int64(len(us))
	if q.After != "" {
		us = slices.DeleteFunc(us, func(u *eiam.User) bool {
			k := l.order.key(u)
			return k < l.afterKey || k == l.afterKey && u.ID <= l.afterID
		})
	} else if q.Offset > 0 {
		us = us[min(q.Offset, len(us)):]
	}
	return us[:min(len(us), l.limit+1)]
}

// listSQL is the SQL of a ListUsers call.
type listSQL struct {
	// page selects the page and one more user (telling whether there is
	// a next page); count counts every match.
	page, count         string
	pageArgs, countArgs []any
	order               userOrder
	limit               int
	// byIDs: the list is of given ids, so page selects every match,
	// unordered, and ListUsers orders them (orderInGo). Without statistics
	// SQLite would rather walk the ordering index of the whole instance
	// than look up a few ids and sort them.
	byIDs             bool
	afterKey, afterID string
}

func listQuery(instanceID string, q eiam.UserQuery) (*listSQL, error) {
	l := &listSQL{limit: q.Limit, order: byUsername}
	if l.limit <= 0 {
		l.limit = defaultPageSize
	}
	l.limit = min(l.limit, maxPageSize)
	if q.DisplayNamePrefix != "" && q.UsernamePrefix == "" {
		l.order = byDisplayName
	}
	l.byIDs = len(q.IDs) > 0
	afterKey, afterID := "", ""
	if q.After != "" {
		var err error
		if afterKey, afterID, err = decodeCursor(q.After, l.order); err != nil {
			return nil, err
		}
		l.afterKey, l.afterID = afterKey, afterID
	}

	// The conditions of the count and of the page: the same, but for the
	// cursor's.
	var count, page []string
	cond := func(forPage, forCount bool, c string, args ...any) {
		if forCount {
			count = append(count, c)
			l.countArgs = append(l.countArgs, args...)
		}
		if forPage {
			page = append(page, c)
			l.pageArgs = append(l.pageArgs, args...)
		}
	}
	cond(true, true, "u.instance_id = ?", instanceID)
	for _, p := range []struct{ column, prefix string }{
		{"username_norm", q.UsernamePrefix},
		{"display_name_norm", q.DisplayNamePrefix},
	} {
		if p.prefix == "" {
			continue
		}
		// A range on the normalized column, not LIKE: it uses the index in
		// both dialects and has no wildcard characters to escape. A
		// cursor in the range replaces its start, else SQLite would start
		// the index range at the prefix and filter up to the cursor.
		lo := strings.ToLower(p.prefix)
		cursorInside := q.After != "" && !l.byIDs && p.column == l.order.column && lo <= afterKey
		cond(!cursorInside, true, "u."+p.column+" >= ?", lo)
		if hi, ok := prefixEnd(lo); ok {
			cond(true, true, "u."+p.column+" < ?", hi)
		}
	}
	if q.Claim != nil {
		// "=" a scalar subquery (a claim has one holder), not "IN": with
		// IN, SQLite prefers walking the ordering index with a filter,
		// a scan of the whole instance.
		cond(true, true, `u.id = (SELECT c.user_id FROM user_claims c
			WHERE c.instance_id = ? AND c.kind = ? AND c.value = ?)`, instanceID, q.Claim.Kind, q.Claim.Value)
	}
	if q.OUID != "" {
		cond(true, true, `u.id IN (SELECT m.user_id FROM user_ous m WHERE m.instance_id = ? AND m.ou_id = ?)`, instanceID, q.OUID)
	}
	if q.Status != "" {
		cond(true, true, "u.status = ?", string(q.Status))
	}
	if len(q.IDs) > 0 {
		ids := make([]any, len(q.IDs))
		for i, id := range q.IDs {
			ids[i] = id
		}
		cond(true, true, "u.id IN ("+placeholders(len(q.IDs))+")", ids...)
	}
	l.count = `SELECT COUNT(*) FROM users u WHERE ` + strings.Join(count, " AND ")
	if l.byIDs {
		l.page = `SELECT ` + userReadColumns + ` FROM users u WHERE ` + strings.Join(page, " AND ")
		return l, nil
	}
	offset := q.Offset
	if q.After != "" {
		cond(true, false, "(u."+l.order.column+", u.id) > (?, ?)", afterKey, afterID)
		offset = 0
	}
	l.page = `SELECT ` + userReadColumns + ` FROM users u WHERE ` + strings.Join(page, " AND ") +
		` ORDER BY u.` + l.order.column + `, u.id LIMIT ?`
	l.pageArgs = append(l.pageArgs, l.limit+1)
	if offset > 0 {
		l.page += " OFFSET ?"
		l.pageArgs = append(l.pageArgs, offset)
	}
	return l, nil
}

// prefixEnd returns the least string greater than every string that starts
// with p: p with its last character replaced by the next code point. Text
// compares bytewise (SQLite's BINARY collation, PostgreSQL's "C"), and UTF-8
// orders like code points, so s has prefix p exactly when p <= s < end. ok
// is false when no such string exists (p is all U+10FFFF).
func prefixEnd(p string) (end string, ok bool) {
	for p != "" {
		r, size := utf8.DecodeLastRuneInString(p)
		p = p[:len(p)-size]
		switch {
		case r == utf8.MaxRune:
			continue
		case r == 0xD7FF:
			// Surrogates cannot be encoded; the next character is U+E000.
			r = 0xE000
		default:
			r++
		}
		return p + string(r), true
	}
	return "", false
}

// userOrder is an order of ListUsers: a column with an index
// (instance_id, column, id).
type userOrder struct {
	column string
	// tag marks the order's cursors ("" for the username order, whose
	// cursors predate the others).
	tag string
	key func(u *eiam.User) string
}

var (
	byUsername    = userOrder{"username_norm", "", func(u *eiam.User) string { return strings.ToLower(u.Username()) }}
	byDisplayName = userOrder{"display_name_norm", "d", func(u *eiam.User) string {
		return strings.ToLower(u.Attrs[eiam.AttrDisplayName])
	}}
)

// The cursor is the sort key of the last user of a page and its id, joined
// by NUL (which neither contains), after the order's tag and a NUL for an
// order other than the username's.
func encodeCursor(o userOrder, key, id string) string {
	raw := key + "\x00" + id
	if o.tag != "" {
		raw = o.tag + "\x00" + raw
	}
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeCursor reads a cursor of order o; a cursor of another order (of
// another query) is invalid.
func decodeCursor(c string, o userOrder) (key, id string, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		parts := strings.Split(string(raw), "\x00")
		tag := ""
		if len(parts) == 3 {
			tag, parts = parts[0], parts[1:]
		}
		if len(parts) == 2 && tag == o.tag && parts[1] != "" {
			return parts[0], parts[1], nil
		}
	}
	return "", "", eiam.Errorf(eiam.ErrInvalid, "after", "invalid_format", "reason", "not a cursor of this list")
}
