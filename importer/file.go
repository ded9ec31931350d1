package importer

import (
	"github.com/eiam/eiam"
)

// File is the import file (spec §4) without its users: they are read
// from the file one at a time, as it is checked and again as it is
// applied, so that a file of millions of users is never held in memory.
type File struct {
	Instances  []Instance  `json:"instances"`
	AccessKeys []AccessKey `json:"access_keys"`
}

// Instance is one tenant with everything that belongs to it.
type Instance struct {
	ID                  string        `json:"id"`
	Name                string        `json:"name"`
	OrganizationalUnits []OrgUnit     `json:"organizational_units"`
	CustomFields        []CustomField `json:"custom_fields"`
	Applications        []Application `json:"applications"`
	Users               userArray     `json:"users"`
}

// OrgUnit is a department; without Parent it hangs under the root unit.
type OrgUnit struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Parent string `json:"parent"`
}

// CustomField is a custom field definition. Without ID, an existing
// definition of the same name keeps its id, and a new one is assigned one.
type CustomField struct {
	ID             string      `json:"id"`
	Name           string      `json:"name"`
	DisplayName    string      `json:"display_name"`
	DataType       string      `json:"data_type"`
	DisplayType    string      `json:"display_type"`
	Items          []FieldItem `json:"items"`
	DefaultValue   string      `json:"default_value"`
	Description    string      `json:"description"`
	Required       bool        `json:"required"`
	Unique         bool        `json:"unique"`
	Encrypted      bool        `json:"encrypted"`
	UserPermission string      `json:"user_permission"`
	MaxLength      int         `json:"max_length"`
	Disabled       bool        `json:"disabled"`
}

// FieldItem is an allowed value of a select or checkbox field.
type FieldItem struct {
	Value       string `json:"value"`
	DisplayName string `json:"display_name"`
	Disabled    bool   `json:"disabled"`
}

// Application is an OAuth client. ClientID defaults to ID; without
// ClientSecret the client is public.
type Application struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	RedirectURIs []string `json:"redirect_uris"`
	Scopes       []string `json:"scopes"`
	Disabled     bool     `json:"disabled"`
}

// AccessKey is a machine credential of the signed APIs.
type AccessKey struct {
	ID        string   `json:"id"`
	Secret    string   `json:"secret"`
	Actions   []string `json:"actions"`
	Instances []string `json:"instances"`
	Disabled  bool     `json:"disabled"`
}

// User is a user as the file states it. Attributes use their canonical
// names (the address ones inside an "address" object); only those present
// are applied, and an empty string clears one.
type User struct {
	ID string
	// Attrs holds the canonical text attributes present in the file.
	Attrs               map[eiam.Attribute]string
	Password            *string
	EmailVerified       *bool
	PhoneNumberVerified *bool
	Status              *string
	PrimaryOUID         *string
	// OUIDs are the additional units, when present.
	OUIDs *[]string
	// CustomFields are the custom field values in file order.
	CustomFields []CustomValue
}

// CustomValue is the value of one custom field of a user: one element for
// a single-value field, the selected items of a checkbox field, none to
// clear it.
type CustomValue struct {
	Name   string
	Values []string
}
