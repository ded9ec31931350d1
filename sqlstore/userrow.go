package sqlstore

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/eiam/eiam"
)

// userValueColumns are the columns of users written on create and update,
// in the order userValues returns them: userDataColumns, then
// userKeyColumns.
const userValueColumns = userDataColumns + `, ` + userKeyColumns

// userDataColumns are the columns of users that no index reads.
const userDataColumns = `version, status, attrs, email_verified, phone_verified, custom_fields,
	sealed, password_hash, password_changed_at, primary_ou_id, ou_ids, created_at, updated_at`

// userKeyColumns are derived from the username and display name in Attrs,
// for operators and for the indexes of prefix search (username_norm,
// display_name_norm); the user is read back from attrs. An update leaves
// them out when they keep their values (see UpdateUser).
const userKeyColumns = `username, username_norm, display_name_norm`

// userKeyValues returns the values of userKeyColumns for u.
func userKeyValues(u *eiam.User) []any {
	username := u.Attrs[eiam.AttrUsername]
	return []any{username, strings.ToLower(username), strings.ToLower(u.Attrs[eiam.AttrDisplayName])}
}

// userReadColumns are the columns scanUser reads, in its order.
const userReadColumns = `u.instance_id, u.id, u.version, u.status, u.attrs, u.email_verified, u.phone_verified,
	u.custom_fields, u.sealed, u.password_hash, u.password_changed_at, u.primary_ou_id, u.ou_ids,
	u.created_at, u.updated_at`

// sealedValues is what the sealed column holds, encrypted with the master
// key for the purpose sealPurpose(user): the sensitive attributes and the
// values of encrypted custom fields.
type sealedValues struct {
	Attrs  map[eiam.Attribute]string `json:"attrs,omitempty"`
	Custom map[string][]string       `json:"custom,omitempty"`
}

// sensitive reports whether an attribute is encrypted at rest whatever the
// instance's field definitions say (spec §2: identity_number).
func sensitive(a eiam.Attribute) bool { return a == eiam.AttrIdentityNumber }

func sealPurpose(instanceID, userID string) string {
	return "user:" + instanceID + ":" + userID
}

// normalizeUser returns the user as a later read returns it: no empty
// attributes or custom fields, nil OUIDs when there are none, times in UTC
// without a monotonic reading. The store returns this, so that what
// UpdateUser returns equals what GetUser returns afterwards.
func normalizeUser(u *eiam.User) *eiam.User {
	n := u.Clone()
	for k, v := range n.Attrs {
		if v == "" {
			delete(n.Attrs, k)
		}
	}
	for k, v := range n.CustomFields {
		if len(v) == 0 {
			delete(n.CustomFields, k)
		}
	}
	if len(n.OUIDs) == 0 {
		n.OUIDs = nil
	}
	n.PasswordChangedAt = n.PasswordChangedAt.UTC()
	n.CreatedAt = n.CreatedAt.UTC()
	n.UpdatedAt = n.UpdatedAt.UTC()
	return n
}

// userValues returns the column values of userValueColumns for u, with its
// sensitive values sealed; the last len(userKeyValues(u)) are those of
// userKeyColumns.
func (s *Store) userValues(u *eiam.User, sealedFields []string) ([]any, error) {
	attrs := make(map[eiam.Attribute]string, len(u.Attrs))
	var sv sealedValues
	for k, v := range u.Attrs {
		switch {
		case v == "":
		case sensitive(k):
			if sv.Attrs == nil {
				sv.Attrs = make(map[eiam.Attribute]string)
			}
			sv.Attrs[k] = v
		default:
			attrs[k] = v
		}
	}
	custom := make(map[string][]string, len(u.CustomFields))
	for name, vs := range u.CustomFields {
		switch {
		case len(vs) == 0:
		case slices.Contains(sealedFields, name):
			if sv.Custom == nil {
				sv.Custom = make(map[string][]string)
			}
			sv.Custom[name] = vs
		default:
			custom[name] = vs
		}
	}
	var e encoder
	sealed := ""
	if sv.Attrs != nil || sv.Custom != nil {
		if s.key == nil {
			return nil, errors.New("no master key to encrypt sensitive values")
		}
		sealed = s.key.SealString(e.json(sv), sealPurpose(u.InstanceID, u.ID))
	}
	ouIDs := u.OUIDs
	if ouIDs == nil {
		ouIDs = []string{}
	}
	vals := []any{
		u.Version, string(u.Status), e.json(attrs),
		u.EmailVerified, u.PhoneVerified, e.json(custom), sealed, u.PasswordHash,
		e.time(u.PasswordChangedAt), u.PrimaryOUID, e.json(ouIDs),
		e.time(u.CreatedAt), e.time(u.UpdatedAt),
	}
	return append(vals, userKeyValues(u)...), e.err
}

type scanner interface{ Scan(dest ...any) error }

// scanUser reads one row of userReadColumns and decrypts its sealed values.
// It returns sql.ErrNoRows unchanged.
func (s *Store) scanUser(row scanner) (*eiam.User, error) {
	var (
		u                                  eiam.User
		status, attrs, custom, sealed, ous string
		pwAt, created, updated             int64
	)
	if err := row.Scan(&u.InstanceID, &u.ID, &u.Version, &status, &attrs, &u.EmailVerified,
		&u.PhoneVerified, &custom, &sealed, &u.PasswordHash, &pwAt, &u.PrimaryOUID, &ous,
		&created, &updated); err != nil {
		return nil, err
	}
	u.Status = eiam.Status(status)
	u.PasswordChangedAt, u.CreatedAt, u.UpdatedAt = timeFromDB(pwAt), timeFromDB(created), timeFromDB(updated)
	u.Attrs = make(map[eiam.Attribute]string)
	u.CustomFields = make(map[string][]string)
	if err := errors.Join(fromJSON(attrs, &u.Attrs), fromJSON(custom, &u.CustomFields), fromJSON(ous, &u.OUIDs)); err != nil {
		return nil, fmt.Errorf("decode user %s: %w", u.ID, err)
	}
	if len(u.OUIDs) == 0 {
		u.OUIDs = nil
	}
	if sealed != "" {
		if s.key == nil {
			return nil, fmt.Errorf("decode user %s: no master key to decrypt sensitive values", u.ID)
		}
		plain, err := s.key.OpenString(sealed, sealPurpose(u.InstanceID, u.ID))
		if err != nil {
			return nil, fmt.Errorf("decode user %s: %w", u.ID, err)
		}
		var sv sealedValues
		if err := json.Unmarshal([]byte(plain), &sv); err != nil {
			return nil, fmt.Errorf("decode user %s: sealed values: %w", u.ID, err)
		}
		for k, v := range sv.Attrs {
			u.Attrs[k] = v
		}
		for k, v := range sv.Custom {
			u.CustomFields[k] = v
		}
	}
	return &u, nil
}
