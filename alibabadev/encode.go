package alibabadev

import (
	"slices"
	"time"

	"github.com/eiam/eiam"
)

// SourceBuiltIn is the userSourceType of accounts created in the directory
// itself (rather than synchronised from DingTalk, AD, LDAP…).
const SourceBuiltIn = "build_in"

// ListItem is a user as ListUsers lists it (§B.2): camelCase keys, times in
// Unix milliseconds.
type ListItem struct {
	InstanceID          string `json:"instanceId"`
	UserID              string `json:"userId"`
	Username            string `json:"username"`
	DisplayName         string `json:"displayName"`
	Description         string `json:"description"`
	PhoneRegion         string `json:"phoneRegion"`
	PhoneNumber         string `json:"phoneNumber"`
	PhoneNumberVerified bool   `json:"phoneNumberVerified"`
	Email               string `json:"email"`
	EmailVerified       bool   `json:"emailVerified"`
	UserExternalID      string `json:"userExternalId"`
	UserSourceType      string `json:"userSourceType"`
	UserSourceID        string `json:"userSourceId"`
	Status              string `json:"status"`
	PasswordSet         bool   `json:"passwordSet"`
	RegisterTime        int64  `json:"registerTime"`
	CreateTime          int64  `json:"createTime"`
	UpdateTime          int64  `json:"updateTime"`
}

// User is the user object of GetUser: a list item plus the user's units,
// groups and custom field values.
type User struct {
	ListItem
	PrimaryOrganizationalUnitID string        `json:"primaryOrganizationalUnitId"`
	OrganizationalUnits         []UnitRef     `json:"organizationalUnits"`
	Groups                      []Group       `json:"groups"`
	CustomFields                []CustomValue `json:"customFields"`
}

// UnitRef is one organizational unit a user belongs to.
type UnitRef struct {
	OrganizationalUnitID   string `json:"organizationalUnitId"`
	OrganizationalUnitName string `json:"organizationalUnitName"`
	Primary                bool   `json:"primary"`
}

// Group is a group a user belongs to. eiam has no groups yet; the list is
// always empty but present, as clients iterate it.
type Group struct {
	GroupID     string `json:"groupId"`
	GroupName   string `json:"groupName"`
	Description string `json:"description"`
}

// CustomValue is one custom field value; values are always strings.
type CustomValue struct {
	FieldName  string `json:"fieldName"`
	FieldValue string `json:"fieldValue"`
}

// ms is a time in Unix milliseconds (0 for the zero time).
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// EncodeListItem renders a user as a ListUsers data[] item.
func EncodeListItem(u *eiam.User) ListItem {
	return ListItem{
		InstanceID: u.InstanceID, UserID: u.ID, Username: u.Username(),
		DisplayName: u.Attr(eiam.AttrDisplayName), Description: u.Attr(eiam.AttrDescription),
		PhoneRegion: u.Attr(eiam.AttrPhoneRegion), PhoneNumber: u.Attr(eiam.AttrPhoneNumber),
		PhoneNumberVerified: u.PhoneVerified, Email: u.Attr(eiam.AttrEmail), EmailVerified: u.EmailVerified,
		UserExternalID: u.ExternalIDOrID(), UserSourceType: SourceBuiltIn, UserSourceID: u.InstanceID,
		Status: string(u.Status), PasswordSet: u.PasswordHash != "",
		RegisterTime: ms(u.CreatedAt), CreateTime: ms(u.CreatedAt), UpdateTime: ms(u.UpdatedAt),
	}
}

// EncodeUser renders a user as GetUser returns it. unitNames gives the name
// of each unit id (a unit missing from it is shown with an empty name);
// defs are the instance's custom field definitions: values of fields no
// longer declared are left out, the others are listed by field name.
func EncodeUser(u *eiam.User, unitNames map[string]string, defs []*eiam.FieldDefinition) User {
	out := User{ListItem: EncodeListItem(u), PrimaryOrganizationalUnitID: u.PrimaryOUID}
	out.OrganizationalUnits = []UnitRef{}
	if u.PrimaryOUID != "" {
		out.OrganizationalUnits = append(out.OrganizationalUnits, UnitRef{u.PrimaryOUID, unitNames[u.PrimaryOUID], true})
	}
	for _, id := range u.OUIDs {
		if id != u.PrimaryOUID {
			out.OrganizationalUnits = append(out.OrganizationalUnits, UnitRef{id, unitNames[id], false})
		}
	}
	out.Groups = []Group{}
	out.CustomFields = []CustomValue{}
	declared := make(map[string]bool, len(defs))
	for _, d := range defs {
		declared[d.Name] = true
	}
	names := make([]string, 0, len(u.CustomFields))
	for name := range u.CustomFields {
		if declared[name] {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		out.CustomFields = append(out.CustomFields, CustomValue{name, u.CustomValue(name)})
	}
	return out
}

// UnitIDs lists the units of u whose names EncodeUser needs.
func UnitIDs(u *eiam.User) []string {
	ids := make([]string, 0, 1+len(u.OUIDs))
	if u.PrimaryOUID != "" {
		ids = append(ids, u.PrimaryOUID)
	}
	for _, id := range u.OUIDs {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	return ids
}
