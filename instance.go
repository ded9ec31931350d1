package eiam

import "time"

// Instance is a tenant. Users, custom fields, units and applications belong
// to exactly one instance; nothing of one instance is visible through another.
type Instance struct {
	ID   string
	Name string
	// RootOUID is the organizational unit created with the instance.
	RootOUID  string
	CreatedAt time.Time
}

// OrgUnit is a node of an instance's department tree.
type OrgUnit struct {
	InstanceID string
	ID         string
	Name       string
	// ParentID is empty only for the root unit.
	ParentID string
}

// Application is an OAuth client of one instance. Bamboo's X-client-id,
// Authing's x-authing-app-id and Alibaba's {applicationId} all name one.
type Application struct {
	InstanceID string
	ID         string
	Name       string
	ClientID   string
	// SecretHash is an encoded argon2id hash of the client secret; empty for
	// a public client.
	SecretHash   string
	RedirectURIs []string
	// Scopes are the scopes the application may be granted.
	Scopes    []string
	Disabled  bool
	CreatedAt time.Time
}

// HasScope reports whether the application was granted scope s.
func (a *Application) HasScope(s string) bool {
	for _, g := range a.Scopes {
		if g == s {
			return true
		}
	}
	return false
}

// AccessKey is a machine credential for the signed RPC API and the Authing
// management API. The secret is needed to verify HMAC signatures, so it is
// stored encrypted with the master key, never hashed and never logged.
type AccessKey struct {
	ID string
	// Secret is the plaintext secret; stores encrypt it at rest.
	Secret string
	// Actions allowed, such as "eiam:UpdateUser" or "eiam:*".
	Actions []string
	// Instances allowed, or "*" for all.
	Instances []string
	Disabled  bool
	CreatedAt time.Time
}

// Allows reports whether the key may perform action in instance.
func (k *AccessKey) Allows(action, instanceID string) bool {
	return matchAny(k.Actions, action) && matchAny(k.Instances, instanceID)
}

func matchAny(patterns []string, s string) bool {
	for _, p := range patterns {
		if p == "*" || p == s {
			return true
		}
		if n := len(p); n > 0 && p[n-1] == '*' && len(s) >= n-1 && s[:n-1] == p[:n-1] {
			return true
		}
	}
	return false
}

// DataType is the type of a custom field's values.
type DataType string

// Custom field data types.
const (
	TypeString  DataType = "string"
	TypeNumber  DataType = "number"
	TypeBoolean DataType = "boolean"
	TypeDate    DataType = "date"
)

// DisplayType is how a custom field is entered; checkbox fields hold several values.
type DisplayType string

// Custom field display types.
const (
	DisplayInput    DisplayType = "input"
	DisplaySelect   DisplayType = "select"
	DisplayCheckbox DisplayType = "checkbox"
)

// Permission is what an end user may do with a custom field of their own.
type Permission string

// End-user permissions on a custom field.
const (
	PermHide      Permission = "hide"
	PermReadOnly  Permission = "read_only"
	PermReadWrite Permission = "read_write"
)

// FieldItem is one allowed value of a select or checkbox field.
type FieldItem struct {
	Value       string
	DisplayName string
	Disabled    bool
}

// FieldDefinition declares a custom field. A user may carry a value only for
// a declared, enabled field.
type FieldDefinition struct {
	InstanceID     string
	ID             string
	Name           string
	DisplayName    string
	DataType       DataType
	DisplayType    DisplayType
	Items          []FieldItem
	DefaultValue   string
	Description    string
	Required       bool
	Unique         bool
	Encrypted      bool
	UserPermission Permission
	// MaxLength bounds each value; 0 means the default of package directory.
	MaxLength int
	Disabled  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// MultiValued reports whether the field holds several values.
func (f *FieldDefinition) MultiValued() bool { return f.DisplayType == DisplayCheckbox }
