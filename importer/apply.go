package importer

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/eiam/eiam"
)

// apply is phase 2: it writes what differs, users through the directory.
func (im *Importer) apply(ctx context.Context, p *plan, rep *Report) error {
	now := time.Now
	if im.opts.Clock != nil {
		now = im.opts.Clock
	}
	origin := eiam.Origin{Dialect: "import", RequestID: eiam.NewID("import")}
	total := 0
	for _, ip := range p.instances {
		total += len(ip.users)
	}
	prog := newProgress(im.opts.Progress, "applied", total)
	for _, ip := range p.instances {
		inst, err := im.applyInstance(ctx, ip, rep, now())
		if err != nil {
			return fmt.Errorf("%s: %w", ip.path, err)
		}
		for _, up := range ip.units {
			ou := up.ou
			if ou.ParentID == "" {
				ou.ParentID = inst.RootOUID
			}
			same := up.existing != nil && up.existing.Name == ou.Name && up.existing.ParentID == ou.ParentID
			if !same {
				if _, err := im.store.PutOrgUnit(ctx, &ou); err != nil {
					return fmt.Errorf("%s: write organizational unit %s: %w", ip.path, ou.ID, err)
				}
			}
			rep.OrgUnits.count(up.existing == nil, !same)
		}
		for _, fp := range ip.fields {
			same := fp.existing != nil && sameDefinition(fp.existing, fp.def)
			if !same {
				if err := im.dir.PutField(ctx, fp.def); err != nil {
					return fmt.Errorf("%s: write custom field %s: %w", ip.path, fp.def.Name, err)
				}
			}
			rep.CustomFields.count(fp.existing == nil, !same)
		}
		for _, ap := range ip.apps {
			a := ap.app
			ex := ap.existing
			same := ex != nil && ap.keepHash && ex.Name == a.Name && ex.ClientID == a.ClientID &&
				slices.Equal(ex.RedirectURIs, a.RedirectURIs) && slices.Equal(ex.Scopes, a.Scopes) && ex.Disabled == a.Disabled
			if !same {
				if !ap.keepHash && ap.secret != "" {
					if a.SecretHash, err = im.opts.Hasher.Hash(ap.secret); err != nil {
						return fmt.Errorf("hash client secret: %w", err)
					}
				}
				if a.CreatedAt.IsZero() {
					a.CreatedAt = now().UTC()
				}
				if err := im.store.PutApplication(ctx, &a); err != nil {
					return fmt.Errorf("%s: write application %s: %w", ip.path, a.ID, err)
				}
			}
			rep.Applications.count(ex == nil, !same)
		}
		for _, up := range ip.users {
			switch {
			case up.existing == nil:
				if _, err := im.dir.CreateUser(ctx, inst.ID, up.id, up.change, importActor, origin); err != nil {
					return fmt.Errorf("%s: create user: %w", up.path, err)
				}
				rep.Users.Created++
			case up.change.Empty():
				rep.Users.Unchanged++
			default:
				if _, err := im.dir.UpdateUser(ctx, inst.ID, up.id, up.change, importActor, origin); err != nil {
					return fmt.Errorf("%s: update user %s: %w", up.path, up.id, err)
				}
				rep.Users.Updated++
			}
			prog.user()
		}
	}
	for _, kp := range p.keys {
		k := kp.key
		ex := kp.existing
		same := ex != nil && ex.Secret == k.Secret && slices.Equal(ex.Actions, k.Actions) &&
			slices.Equal(ex.Instances, k.Instances) && ex.Disabled == k.Disabled
		if !same {
			if k.CreatedAt.IsZero() {
				k.CreatedAt = now().UTC()
			}
			if err := im.store.PutAccessKey(ctx, &k); err != nil {
				return fmt.Errorf("write access key %s: %w", k.ID, err)
			}
		}
		rep.AccessKeys.count(ex == nil, !same)
	}
	prog.done()
	return nil
}

func (im *Importer) applyInstance(ctx context.Context, ip *instancePlan, rep *Report, now time.Time) (*eiam.Instance, error) {
	ex := ip.existing
	same := ex != nil && ex.Name == ip.in.Name
	if !same {
		in := &eiam.Instance{ID: ip.in.ID, Name: ip.in.Name, CreatedAt: now.UTC()}
		if ex != nil {
			in.RootOUID, in.CreatedAt = ex.RootOUID, ex.CreatedAt
		}
		if _, err := im.store.PutInstance(ctx, in); err != nil {
			return nil, fmt.Errorf("write instance: %w", err)
		}
	}
	rep.Instances.count(ex == nil, !same)
	if same {
		return ex, nil
	}
	// Read it back: a new instance's root unit is created by the store.
	inst, err := im.store.GetInstance(ctx, ip.in.ID)
	if err != nil {
		return nil, fmt.Errorf("read instance back: %w", err)
	}
	return inst, nil
}

// sameDefinition compares what a file states of a definition.
func sameDefinition(a, b *eiam.FieldDefinition) bool {
	return a.ID == b.ID && a.Name == b.Name && a.DisplayName == b.DisplayName && a.DataType == b.DataType &&
		a.DisplayType == b.DisplayType && slices.Equal(a.Items, b.Items) && a.DefaultValue == b.DefaultValue &&
		a.Description == b.Description && a.Required == b.Required && a.Unique == b.Unique &&
		a.Encrypted == b.Encrypted && a.UserPermission == b.UserPermission && a.MaxLength == b.MaxLength &&
		a.Disabled == b.Disabled
}
