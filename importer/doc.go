// Package importer applies a declarative JSON file (spec §4) to the
// directory idempotently: instances with their organizational units, custom
// field definitions, applications and users, and access keys. Re-applying
// the same file changes nothing.
//
// An import has two phases. The first decodes the file strictly (an unknown
// or duplicated key is an error naming its path) and checks everything —
// users with the directory's own validation engine (directory.Service.Check),
// field definitions with directory.ValidateFieldDefinition, references
// between entries, and uniqueness within the file and against the database —
// collecting every problem with its path in the file. If there is any, the
// import stops before writing anything. The second phase writes only what
// differs from the database, users through the one update path
// (directory.Service.CreateUser and UpdateUser), so an import is audited like
// any other change.
//
// Attributes a file leaves out of an existing user are left as they are:
// "absent means untouched", as in every API.
package importer
