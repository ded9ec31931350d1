package alibabarpc

import (
	"slices"
	"time"

	"github.com/eiam/eiam"
)

// SourceBuiltIn is the UserSourceType of accounts created in the directory
// itself (rather than synchronised from DingTalk, AD, LDAP…).
const SourceBuiltIn = "build_in"

// ListItem is a user as ListUsers lists it (§A.8): PascalCase keys, times in
// Unix milliseconds.
type ListItem struct {
	InstanceID          string `json:"InstanceId"`
	UserID              string `json:"UserId"`
	Username            string `json:"Username"`
	DisplayName         string `json:"DisplayName"`
	Description         string `json:"Description"`
	PhoneRegion         string `json:"PhoneRegion"`
	PhoneNumber         string `json:"PhoneNumber"`
	PhoneNumberVerified bool   `json:"PhoneNumberVerified"`
	Email               string `json:"Email"`
	EmailVerified       bool   `json:"EmailVerified"`
	UserExternalID      string `json:"UserExternalId"`
	UserSourceType      string `json:"UserSourceType"`
	UserSourceID        string `json:"UserSourceId"`
	Status              string `json:"Status"`
	// PasswordExpireTime is -1: eiam's passwords do not expire.
	PasswordExpireTime int64 `json:"PasswordExpireTime"`
	PasswordSet        bool  `json:"PasswordSet"`
	RegisterTime       int64 `json:"RegisterTime"`
	CreateTime         int64 `json:"CreateTime"`
	UpdateTime         int64 `json:"UpdateTime"`
}

// User is GetUser's user object: a list item plus language, units, groups
// and custom field values.
type User struct {
	ListItem
	PreferredLanguage           string        `json:"PreferredLanguage"`
	PrimaryOrganizationalUnitID string        `json:"PrimaryOrganizationalUnitId"`
	OrganizationalUnits         []UnitRef     `json:"OrganizationalUnits"`
	Groups                      []Group       `json:"Groups"`
	CustomFields                []CustomValue `json:"CustomFields"`
}

// UnitRef is one organizational unit a user belongs to.
type UnitRef struct {
	OrganizationalUnitID   string `json:"OrganizationalUnitId"`
	OrganizationalUnitName string `json:"OrganizationalUnitName"`
	Primary                bool   `json:"Primary"`
}

// Group is a group a user belongs to. eiam has no groups yet; the list is
// always empty but present, as clients iterate it.
type Group struct {
	GroupID     string `json:"GroupId"`
	GroupName   string `json:"GroupName"`
	Description string `json:"Description"`
}

// CustomValue is one custom field value; values are always strings.
type CustomValue struct {
	FieldName  string `json:"FieldName"`
	FieldValue string `json:"FieldValue"`
}

// ms is a time in Unix milliseconds (0 for the zero time).
func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// EncodeListItem renders a user as a ListUsers item.
func EncodeListItem(u *eiam.User) ListItem {
	return ListItem{
		InstanceID: u.InstanceID, UserID: u.ID, Username: u.Username(),
		DisplayName: u.Attr(eiam.AttrDisplayName), Description: u.Attr(eiam.AttrDescription),
		PhoneRegion: u.Attr(eiam.AttrPhoneRegion), PhoneNumber: u.Attr(eiam.AttrPhoneNumber),
		PhoneNumberVerified: u.PhoneVerified, Email: u.Attr(eiam.AttrEmail), EmailVerified: u.EmailVerified,
		UserExternalID: u.ExternalIDOrID(), UserSourceType: SourceBuiltIn, UserSourceID: u.InstanceID,
		Status: string(u.Status), PasswordExpireTime: -1, PasswordSet: u.PasswordHash != "",
		RegisterTime: ms(u.CreatedAt), CreateTime: ms(u.CreatedAt), UpdateTime: ms(u.UpdatedAt),
	}
}

// EncodeUser renders a user as GetUser returns it. unitNames gives the name
// of each unit id; defs are the instance's custom field definitions: values
// of fields no longer declared are left out, the others are listed by name.
func EncodeUser(u *eiam.User, unitNames map[string]string, defs []*eiam.FieldDefinition) User {
	out := User{
		ListItem: EncodeListItem(u), PreferredLanguage: u.Attr(eiam.AttrLocale),
		PrimaryOrganizationalUnitID: u.PrimaryOUID,
		OrganizationalUnits:         []UnitRef{}, Groups: []Group{}, CustomFields: []CustomValue{},
	}
	for _, id := range UnitIDs(u) {
		out.OrganizationalUnits = append(out.OrganizationalUnits, UnitRef{id, unitNames[id], id == u.PrimaryOUID})
	}
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

// UnitIDs lists the units of u, the primary one first.
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

// CustomField is GetCustomField's definition object.
type CustomField struct {
	FieldID          string          `json:"FieldId"`
	FieldName        string          `json:"FieldName"`
	FieldDisplayName string          `json:"FieldDisplayName"`
	FieldDataType    string          `json:"FieldDataType"`
	FieldDisplayType string          `json:"FieldDisplayType"`
	FieldDataConfig  FieldDataConfig `json:"FieldDataConfig"`
	DefaultValue     string          `json:"DefaultValue"`
	Description      string          `json:"Description"`
	EntityType       string          `json:"EntityType"`
	InstanceID       string          `json:"InstanceId"`
	Required         bool            `json:"Required"`
	Unique           bool            `json:"Unique"`
	Encrypted        bool            `json:"Encrypted"`
	Status           string          `json:"Status"`
	UserPermission   string          `json:"UserPermission"`
	CreateTime       int64           `json:"CreateTime"`
	UpdateTime       int64           `json:"UpdateTime"`
}

// FieldDataConfig holds a definition's allowed items.
type FieldDataConfig struct {
	Items []FieldItem `json:"Items"`
}

// FieldItem is one allowed value of a select or checkbox field.
type FieldItem struct {
	Value       string `json:"Value"`
	DisplayName string `json:"DisplayName"`
	Status      string `json:"Status"`
}

func status(disabled bool) string {
	if disabled {
		return string(eiam.StatusDisabled)
	}
	return string(eiam.StatusEnabled)
}

// EncodeCustomField renders a custom field definition.
func EncodeCustomField(f *eiam.FieldDefinition) CustomField {
	out := CustomField{
		FieldID: f.ID, FieldName: f.Name, FieldDisplayName: f.DisplayName,
		FieldDataType: string(f.DataType), FieldDisplayType: string(f.DisplayType),
		FieldDataConfig: FieldDataConfig{Items: make([]FieldItem, 0, len(f.Items))},
		DefaultValue:    f.DefaultValue, Description: f.Description, EntityType: "user", InstanceID: f.InstanceID,
		Required: f.Required, Unique: f.Unique, Encrypted: f.Encrypted, Status: status(f.Disabled),
		UserPermission: string(f.UserPermission), CreateTime: ms(f.CreatedAt), UpdateTime: ms(f.UpdatedAt),
	}
	for _, it := range f.Items {
		out.FieldDataConfig.Items = append(out.FieldDataConfig.Items, FieldItem{it.Value, it.DisplayName, status(it.Disabled)})
	}
	return out
}
