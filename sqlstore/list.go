package sqlstore

import (
	"context"
	"encoding/base64"
	"fmt"
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
// lowercase username, then id. Pages are walked either with the keyset
// cursor in Next (stable while users change) or with Offset.
func (s *Store) ListUsers(ctx context.Context, instanceID string, q eiam.UserQuery) (*eiam.UserPage, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = defaultPageSize
	}
	limit = min(limit, maxPageSize)

	where := []string{"u.instance_id = ?"}
	args := []any{instanceID}
	for _, p := range []struct{ column, prefix string }{
		{"u.username_norm", q.UsernamePrefix},
		{"u.display_name_norm", q.DisplayNamePrefix},
	} {
		if p.prefix == "" {
			continue
		}
		// A range on the normalized column, not LIKE: it uses the index in
		// both dialects and has no wildcard characters to escape.
		lo := strings.ToLower(p.prefix)
		where = append(where, p.column+" >= ?")
		args = append(args, lo)
		if hi, ok := prefixEnd(lo); ok {
			where = append(where, p.column+" < ?")
			args = append(args, hi)
		}
	}
	if q.Claim != nil {
		where = append(where, `u.id IN (SELECT c.user_id FROM user_claims c
			WHERE c.instance_id = ? AND c.kind = ? AND c.value = ?)`)
		args = append(args, instanceID, q.Claim.Kind, q.Claim.Value)
	}
	if q.OUID != "" {
		where = append(where, `u.id IN (SELECT m.user_id FROM user_ous m WHERE m.instance_id = ? AND m.ou_id = ?)`)
		args = append(args, instanceID, q.OUID)
	}
	if q.Status != "" {
		where = append(where, "u.status = ?")
		args = append(args, string(q.Status))
	}
	if len(q.IDs) > 0 {
		where = append(where, "u.id IN ("+placeholders(len(q.IDs))+")")
		for _, id := range q.IDs {
			args = append(args, id)
		}
	}

	page := &eiam.UserPage{Users: []*eiam.User{}}
	if q.WithTotal {
		err := s.read.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM users u WHERE `+strings.Join(where, " AND ")),
			args...).Scan(&page.Total)
		if err != nil {
			return nil, fmt.Errorf("count users: %w", err)
		}
	}

	offset := q.Offset
	if q.After != "" {
		name, id, err := decodeCursor(q.After)
		if err != nil {
			return nil, err
		}
		where = append(where, "(u.username_norm, u.id) > (?, ?)")
		args = append(args, name, id)
		offset = 0
	}
	query := `SELECT ` + userReadColumns + ` FROM users u WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY u.username_norm, u.id LIMIT ?`
	// One row more than the page tells whether there is a next page.
	args = append(args, limit+1)
	if offset > 0 {
		query += " OFFSET ?"
		args = append(args, offset)
	}
	rows, err := s.read.QueryContext(ctx, s.q(query), args...)
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
	if len(page.Users) > limit {
		page.Users = page.Users[:limit]
		last := page.Users[limit-1]
		page.Next = encodeCursor(strings.ToLower(last.Username()), last.ID)
	}
	return page, nil
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

// The cursor is the sort key of the last user of a page: its lowercase
// username and id, joined by NUL (which neither contains).
func encodeCursor(username, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(username + "\x00" + id))
}

func decodeCursor(c string) (username, id string, err error) {
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		var ok bool
		if username, id, ok = strings.Cut(string(raw), "\x00"); ok && id != "" {
			return username, id, nil
		}
	}
	return "", "", eiam.Errorf(eiam.ErrInvalid, "after", "invalid_format", "reason", "not a cursor of this list")
}
