package importer

import (
	"context"
	"fmt"
	"hash/maphash"
	"io"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/eiam/eiam"
	"github.com/eiam/eiam/directory"
	"github.com/eiam/eiam/i18n"
)

// plan is what phase 1 decided phase 2 writes.
type plan struct {
	instances []*instancePlan
	keys      []*keyPlan
}

type instancePlan struct {
	path     string
	in       *Instance
	existing *eiam.Instance // nil when new
	units    []*unitPlan    // parents before children
	fields   []*fieldPlan
	apps     []*appPlan
	// users says what applying each user does, in file order.
	users []action
	// defs are the field definitions as the import leaves them.
	defs []*eiam.FieldDefinition
}

type unitPlan struct {
	ou       eiam.OrgUnit // ParentID "" means the root, known once the instance exists
	existing *eiam.OrgUnit
}

type fieldPlan struct {
	def      *eiam.FieldDefinition
	existing *eiam.FieldDefinition
}

type appPlan struct {
	app      eiam.Application
	secret   string
	keepHash bool
	existing *eiam.Application
}

type keyPlan struct {
	key      eiam.AccessKey
	existing *eiam.AccessKey
}

// checker runs phase 1 over one file.
type checker struct {
	im    *Importer
	probs []Problem
	prog  *progress
	// seeds key the hashes of users' ids and unique values (see key).
	seeds [2]maphash.Seed
	// ids seen so far, to report duplicates with the path of the first
	// occurrence: instances, client ids and keys across the file, units and
	// applications within the current instance (their ids are per instance).
	instanceIDs, unitIDs, appIDs, clientIDs, keyIDs map[string]string
	// planned definitions by instance, for the checks of users.
	planned map[string][]*eiam.FieldDefinition
	// instances named in the file or the database, for access keys.
	knownInstances map[string]bool
}

func (c *checker) add(path, format string, args ...any) {
	c.probs = append(c.probs, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// addErr records a domain error of the directory at path: its field is
// appended to the path and its message rendered in English.
func (c *checker) addErr(path string, err error, rename map[string]string) {
	for _, e := range eiam.Violations(err) {
		p := path
		field := e.Field
		if r, ok := rename[field]; ok {
			field = r
		}
		if field != "" {
			p = join(path, field)
		}
		c.probs = append(c.probs, Problem{Path: p, Message: i18n.Message(i18n.English, e)})
	}
}

func (im *Importer) check(ctx context.Context, f *File, r io.ReadSeeker) (*plan, []Problem, error) {
	c := &checker{
		im:          im,
		instanceIDs: map[string]string{}, clientIDs: map[string]string{}, keyIDs: map[string]string{},
		planned: map[string][]*eiam.FieldDefinition{}, knownInstances: map[string]bool{},
		prog:  im.newProgress("checking users", countUsers(f)),
		seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
	}
	p := &plan{}
	for i := range f.Instances {
		ip, err := c.instance(ctx, index("instances", i), &f.Instances[i])
		if err != nil {
			return nil, nil, err
		}
		p.instances = append(p.instances, ip)
	}
	// Users are checked once every instance's fields are planned, by a
	// directory.Service that sees the planned definitions, as the file is
	// read again a batch of users at a time.
	checkDir := directory.New(&plannedStore{Store: im.store, fields: c.planned}, im.opts.directoryOptions())
	checkers := make([]*userChecker, len(p.instances))
	for i, ip := range p.instances {
		ip.defs = c.planned[ip.in.ID]
		ip.users = make([]action, 0, ip.in.Users.n)
		checkers[i] = newUserChecker(c, newUsers(im, checkDir, ip, ip.defs))
	}
	// A batch is read and prepared while the one before it is finished.
	type prepared struct {
		instance int
		cb       *checkedBatch
	}
	err := pipelined(func(emit func(prepared) error) error {
		return eachUserBatch(r, im.checkBatch, func(i int, batch []rawUser) error {
			cb, err := checkers[i].prepare(ctx, batch)
			if err != nil {
				return err
			}
			return emit(prepared{i, cb})
		})
	}, func(p prepared) error {
		return checkers[p.instance].finish(ctx, p.cb)
	})
	if err != nil {
		return nil, nil, err
	}
	c.prog.done()
	for i := range f.AccessKeys {
		kp, err := c.accessKey(ctx, index("access_keys", i), &f.AccessKeys[i])
		if err != nil {
			return nil, nil, err
		}
		p.keys = append(p.keys, kp)
	}
	return p, c.probs, nil
}

// plannedStore is the store as the checks of users see it: each instance of
// the file has the field definitions the import will leave, so that users
// are checked against fields that are not stored yet.
type plannedStore struct {
	directory.Store
	fields map[string][]*eiam.FieldDefinition
}

func (s *plannedStore) ListFields(ctx context.Context, instanceID string) ([]*eiam.FieldDefinition, error) {
	if defs, ok := s.fields[instanceID]; ok {
		return defs, nil
	}
	return s.Store.ListFields(ctx, instanceID)
}

// notFound turns a not-found error into nil, so lookups read as "absent".
func notFound[T any](v *T, err error) (*T, error) {
	if err != nil && eiam.ErrorCode(err) == eiam.ErrNotFound {
		return nil, nil
	}
	return v, err
}

func (c *checker) instance(ctx context.Context, path string, in *Instance) (*instancePlan, error) {
	ip := &instancePlan{path: path, in: in}
	c.unitIDs, c.appIDs = map[string]string{}, map[string]string{}
	c.checkID(join(path, "id"), in.ID)
	c.unique(c.instanceIDs, in.ID, join(path, "id"))
	c.checkText(join(path, "name"), in.Name, 128, true)
	c.knownInstances[in.ID] = true
	var err error
	if in.ID != "" {
		if ip.existing, err = notFound(c.im.store.GetInstance(ctx, in.ID)); err != nil {
			return nil, fmt.Errorf("read instance %s: %w", in.ID, err)
		}
	}
	if err := c.units(ctx, ip); err != nil {
		return nil, err
	}
	if err := c.fields(ctx, ip); err != nil {
		return nil, err
	}
	for j := range in.Applications {
		ap, err := c.application(ctx, ip, index(join(path, "applications"), j), &in.Applications[j])
		if err != nil {
			return nil, err
		}
		ip.apps = append(ip.apps, ap)
	}
	return ip, nil
}

func (c *checker) units(ctx context.Context, ip *instancePlan) error {
	path := join(ip.path, "organizational_units")
	inFile := map[string]*OrgUnit{}
	paths := map[string]string{}
	for j := range ip.in.OrganizationalUnits {
		ou := &ip.in.OrganizationalUnits[j]
		p := index(path, j)
		c.checkID(join(p, "id"), ou.ID)
		c.unique(c.unitIDs, ou.ID, join(p, "id"))
		c.checkText(join(p, "name"), ou.Name, 128, true)
		if ip.existing != nil && ou.ID == ip.existing.RootOUID {
			c.add(join(p, "id"), "%q is the root unit of the instance, which is not declared in the file", ou.ID)
		}
		if ou.ID != "" {
			if _, dup := inFile[ou.ID]; !dup {
				inFile[ou.ID] = ou
				paths[ou.ID] = p
			}
		}
	}
	// Parents: the root (no parent), a unit of the file, or one stored.
	for j := range ip.in.OrganizationalUnits {
		ou := &ip.in.OrganizationalUnits[j]
		p := join(index(path, j), "parent")
		if ou.Parent == "" || inFile[ou.Parent] != nil || (ip.existing != nil && ou.Parent == ip.existing.RootOUID) {
			continue
		}
		found := false
		if ip.existing != nil {
			stored, err := notFound(c.im.store.GetOrgUnit(ctx, ip.in.ID, ou.Parent))
			if err != nil {
				return fmt.Errorf("read unit %s: %w", ou.Parent, err)
			}
			found = stored != nil
		}
		if !found {
			c.add(p, "unknown organizational unit %q", ou.Parent)
		}
	}
	stored := map[string]*eiam.OrgUnit{}
	if ip.existing != nil {
		for id := range inFile {
			ou, err := notFound(c.im.store.GetOrgUnit(ctx, ip.in.ID, id))
			if err != nil {
				return fmt.Errorf("read unit %s: %w", id, err)
			}
			stored[id] = ou
		}
	}
	// Order parents first, reporting cycles.
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(id string) bool
	visit = func(id string) bool {
		ou := inFile[id]
		if ou == nil || state[id] == 2 {
			return true
		}
		if state[id] == 1 {
			return false
		}
		state[id] = 1
		if !visit(ou.Parent) {
			if state[id] != 2 {
				c.add(join(paths[id], "parent"), "organizational units form a cycle")
				state[id] = 2
			}
			return false
		}
		state[id] = 2
		ip.units = append(ip.units, &unitPlan{
			ou:       eiam.OrgUnit{InstanceID: ip.in.ID, ID: ou.ID, Name: ou.Name, ParentID: ou.Parent},
			existing: stored[id],
		})
		return true
	}
	for j := range ip.in.OrganizationalUnits {
		visit(ip.in.OrganizationalUnits[j].ID)
	}
	return nil
}

// fieldRename maps the directory's names of definition attributes to the
// file's keys.
var fieldRename = map[string]string{"field_name": "name"}

func (c *checker) fields(ctx context.Context, ip *instancePlan) error {
	var stored []*eiam.FieldDefinition
	if ip.existing != nil {
		var err error
		if stored, err = c.im.store.ListFields(ctx, ip.in.ID); err != nil {
			return fmt.Errorf("list custom fields of %s: %w", ip.in.ID, err)
		}
	}
	byName := map[string]*eiam.FieldDefinition{}
	byID := map[string]*eiam.FieldDefinition{}
	for _, d := range stored {
		byName[d.Name], byID[d.ID] = d, d
	}
	names := map[string]string{}
	planned := slices.Clone(stored)
	path := join(ip.path, "custom_fields")
	for j := range ip.in.CustomFields {
		cf := &ip.in.CustomFields[j]
		p := index(path, j)
		def := &eiam.FieldDefinition{
			InstanceID: ip.in.ID, ID: cf.ID, Name: cf.Name, DisplayName: cf.DisplayName,
			DataType: eiam.DataType(cf.DataType), DisplayType: eiam.DisplayType(cf.DisplayType),
			DefaultValue: cf.DefaultValue, Description: cf.Description, Required: cf.Required,
			Unique: cf.Unique, Encrypted: cf.Encrypted, UserPermission: eiam.Permission(cf.UserPermission),
			MaxLength: cf.MaxLength, Disabled: cf.Disabled,
		}
		for _, it := range cf.Items {
			def.Items = append(def.Items, eiam.FieldItem{Value: it.Value, DisplayName: it.DisplayName, Disabled: it.Disabled})
		}
		// The directory's defaults, made explicit so a stored definition
		// compares equal to the file's on the next run.
		if def.DisplayType == "" {
			def.DisplayType = eiam.DisplayInput
		}
		if def.UserPermission == "" {
			def.UserPermission = eiam.PermReadOnly
		}
		if err := directory.ValidateFieldDefinition(def); err != nil {
			c.addErr(p, err, fieldRename)
		}
		c.unique(names, cf.Name, join(p, "name"))
		if cf.ID != "" {
			c.checkID(join(p, "id"), cf.ID)
		}
		fp := &fieldPlan{def: def}
		if other := byName[cf.Name]; other != nil {
			if def.ID == "" {
				def.ID = other.ID
			} else if other.ID != def.ID {
				c.add(join(p, "id"), "custom field %q is already defined with id %q", cf.Name, other.ID)
			}
		}
		if def.ID != "" {
			fp.existing = byID[def.ID]
		}
		if fp.existing != nil {
			def.CreatedAt = fp.existing.CreatedAt
		}
		ip.fields = append(ip.fields, fp)
		planned = slices.DeleteFunc(planned, func(d *eiam.FieldDefinition) bool { return d.Name == def.Name || (def.ID != "" && d.ID == def.ID) })
		planned = append(planned, def)
	}
	c.planned[ip.in.ID] = planned
	return nil
}

func (c *checker) application(ctx context.Context, ip *instancePlan, path string, a *Application) (*appPlan, error) {
	c.checkID(join(path, "id"), a.ID)
	c.unique(c.appIDs, a.ID, join(path, "id"))
	c.checkText(join(path, "name"), a.Name, 128, true)
	clientID := a.ClientID
	if clientID == "" {
		clientID = a.ID
	}
	if a.ClientID != "" {
		c.checkID(join(path, "client_id"), a.ClientID)
	}
	c.unique(c.clientIDs, clientID, join(path, "client_id"))
	if a.ClientSecret != "" {
		c.checkText(join(path, "client_secret"), a.ClientSecret, 256, false)
		if len(a.ClientSecret) < 8 {
			c.add(join(path, "client_secret"), "must be at least 8 characters")
		}
	}
	for k, u := range a.RedirectURIs {
		p := index(join(path, "redirect_uris"), k)
		pu, err := url.Parse(u)
		switch {
		case err != nil || pu.Scheme == "" || pu.Opaque != "":
			c.add(p, "must be an absolute URL")
		case pu.Fragment != "" || strings.Contains(u, "#"):
			c.add(p, "must not have a fragment")
		case (pu.Scheme == "http" || pu.Scheme == "https") && pu.Host == "":
			c.add(p, "must name a host")
		}
	}
	for k, s := range a.Scopes {
		if s == "" || strings.ContainsFunc(s, unicode.IsSpace) || !utf8.ValidString(s) {
			c.add(index(join(path, "scopes"), k), "must be a non-empty scope without spaces")
		}
	}
	ap := &appPlan{
		app: eiam.Application{InstanceID: ip.in.ID, ID: a.ID, Name: a.Name, ClientID: clientID,
			RedirectURIs: a.RedirectURIs, Scopes: a.Scopes, Disabled: a.Disabled},
		secret: a.ClientSecret,
	}
	if a.ID == "" || clientID == "" {
		return ap, nil
	}
	holder, err := notFound(c.im.store.FindApplicationByClientID(ctx, clientID))
	if err != nil {
		return nil, fmt.Errorf("find application by client id %s: %w", clientID, err)
	}
	if holder != nil && (holder.InstanceID != ip.in.ID || holder.ID != a.ID) {
		c.add(join(path, "client_id"), "%q is already the client id of application %q of instance %q", clientID, holder.ID, holder.InstanceID)
	}
	if ip.existing != nil {
		if ap.existing, err = notFound(c.im.store.GetApplication(ctx, ip.in.ID, a.ID)); err != nil {
			return nil, fmt.Errorf("read application %s: %w", a.ID, err)
		}
	}
	if ap.existing != nil {
		ap.app.CreatedAt = ap.existing.CreatedAt
		switch {
		case a.ClientSecret == "":
			ap.keepHash = ap.existing.SecretHash == ""
		case ap.existing.SecretHash != "":
			ok, _, err := c.im.opts.Hasher.Verify(ap.existing.SecretHash, a.ClientSecret)
			ap.keepHash = err == nil && ok
		}
		if ap.keepHash {
			ap.app.SecretHash = ap.existing.SecretHash
		}
	}
	return ap, nil
}

func (c *checker) accessKey(ctx context.Context, path string, k *AccessKey) (*keyPlan, error) {
	switch {
	case k.ID == "":
		c.add(join(path, "id"), "is required")
	case len(k.ID) > 64 || strings.ContainsFunc(k.ID, func(r rune) bool { return !isAlnum(r) }):
		c.add(join(path, "id"), "must be 1 to 64 letters and digits")
	}
	c.unique(c.keyIDs, k.ID, join(path, "id"))
	switch {
	case k.Secret == "":
		c.add(join(path, "secret"), "is required")
	case len(k.Secret) < 16 || len(k.Secret) > 128 || strings.ContainsFunc(k.Secret, func(r rune) bool { return r <= ' ' || r > '~' }):
		c.add(join(path, "secret"), "must be 16 to 128 printable ASCII characters without spaces")
	}
	if len(k.Actions) == 0 {
		c.add(join(path, "actions"), "must name at least one action, such as \"eiam:UpdateUser\" or \"eiam:*\"")
	}
	for i, a := range k.Actions {
		if !validAction(a) {
			c.add(index(join(path, "actions"), i), "%q is not an action such as \"eiam:UpdateUser\" or \"eiam:*\"", a)
		}
	}
	if len(k.Instances) == 0 {
		c.add(join(path, "instances"), "must name at least one instance id, or \"*\"")
	}
	for i, in := range k.Instances {
		if in == "*" || c.knownInstances[in] {
			continue
		}
		stored, err := notFound(c.im.store.GetInstance(ctx, in))
		if err != nil {
			return nil, fmt.Errorf("read instance %s: %w", in, err)
		}
		if stored == nil {
			c.add(index(join(path, "instances"), i), "unknown instance %q", in)
		}
	}
	kp := &keyPlan{key: eiam.AccessKey{ID: k.ID, Secret: k.Secret, Actions: k.Actions, Instances: k.Instances, Disabled: k.Disabled}}
	if k.ID != "" {
		var err error
		if kp.existing, err = notFound(c.im.store.GetAccessKey(ctx, k.ID)); err != nil {
			return nil, fmt.Errorf("read access key %s: %w", k.ID, err)
		}
		if kp.existing != nil {
			kp.key.CreatedAt = kp.existing.CreatedAt
		}
	}
	return kp, nil
}

func validAction(a string) bool {
	if a == "*" || a == "eiam:*" {
		return true
	}
	name, ok := strings.CutPrefix(a, "eiam:")
	name = strings.TrimSuffix(name, "*")
	return ok && name != "" && !strings.ContainsFunc(name, func(r rune) bool { return !isAlnum(r) })
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// checkID checks an id: required, at most 64 letters, digits, _ and -
// (the directory's rule for ids chosen by a caller).
func (c *checker) checkID(path, id string) {
	switch {
	case id == "":
		c.add(path, "is required")
	case len(id) > 64 || strings.ContainsFunc(id, func(r rune) bool { return !isAlnum(r) && r != '_' && r != '-' }):
		c.add(path, "must be at most 64 letters, digits, _ and -")
	}
}

func (c *checker) checkText(path, v string, max int, required bool) {
	switch {
	case v == "" && required:
		c.add(path, "is required")
	case !utf8.ValidString(v):
		c.add(path, "is not valid UTF-8")
	case strings.ContainsFunc(v, unicode.IsControl):
		c.add(path, "contains control characters")
	case utf8.RuneCountInString(v) > max:
		c.add(path, "is too long: at most %d characters", max)
	}
}

// unique records value at path in seen, reporting a repeat.
func (c *checker) unique(seen map[string]string, value, path string) {
	if value == "" {
		return
	}
	if first, ok := seen[value]; ok {
		c.add(path, "%q is also used by %s", value, strings.TrimSuffix(first, "."+lastKey(first)))
		return
	}
	seen[value] = path
}

func lastKey(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}
