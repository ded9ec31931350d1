package sqlstore

import "github.com/eiam/eiam"

// ListUsersSQL returns the queries ListUsers runs for q: the page's and the
// count's, with their arguments.
func ListUsersSQL(instanceID string, q eiam.UserQuery) (page string, pageArgs []any, count string, countArgs []any, err error) {
	l, err := listQuery(instanceID, q)
	if err != nil {
		return "", nil, "", nil, err
	}
	return l.page, l.pageArgs, l.count, l.countArgs, nil
}

// LookupUserQuery is the query of LookupUser.
const LookupUserQuery = lookupUserQuery

// ClaimHoldersQuery is the query of ClaimHolders for n values.
func ClaimHoldersQuery(n int) string { return claimHoldersQuery(n) }

// Rebind turns "?" placeholders into the dialect's.
func (s *Store) Rebind(q string) string { return s.q(q) }
