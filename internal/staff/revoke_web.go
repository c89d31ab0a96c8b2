package staff

import (
	"net/http"
	"strconv"

	"madina/internal/authz"
	"madina/internal/platform/errs"
	"madina/internal/platform/i18n"
	"madina/internal/platform/web"
)

// adminRevokeConfirm asks before a role is revoked: who loses which role
// where, and that it ends with their next request. It asks the policy for
// the revocation itself, so whoever may not revoke cannot see it; a grant
// that is not active is not found.
func (h *Handlers) adminRevokeConfirm(w http.ResponseWriter, r *http.Request) error {
	v, err := h.adminAllowed(w, r, authz.ManageStaff)
	if v == nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return errs.E(errs.NotFound, "admin.error.grant_unknown")
	}
	ctx := r.Context()
	staff, err := h.Service.Staff(ctx, v.op())
	if err != nil {
		return err
	}
	lang := i18n.FromContext(ctx)
	for _, m := range staff {
		for _, g := range m.Grants {
			if g.ID != id {
				continue
			}
			orgs, err := h.Service.Organisations(ctx, v.op())
			if err != nil {
				return err
			}
			org := g.Org
			for _, o := range orgs {
				if o.Code == g.Org {
					if n := o.Name.Pick(lang); n != "" {
						org = n
					}
				}
			}
			name := m.Person.DisplayName(string(lang))
			role := h.Resp.Cat.T(lang, "admin.role."+string(g.Role))
			h.Web.RenderConfirm(w, r, http.StatusOK, web.Confirm{
				Title: web.Msg("admin.revoke_confirm.title", "name", name, "role", role),
				Text:  web.Msg("admin.revoke_confirm.text", "name", name, "role", role),
				Facts: []web.Fact{{Key: web.Msg("admin.staff.person"), Value: name},
					{Key: web.Msg("admin.revoke_confirm.email"), Value: m.Person.Email},
					{Key: web.Msg("admin.revoke_confirm.role"), Value: role},
					{Key: web.Msg("admin.revoke_confirm.org"), Value: org},
					{Key: web.Msg("admin.revoke_confirm.since"), Value: i18n.FormatDate(lang, g.GrantedAt)}},
				Action: "/admin/staff/grants/" + strconv.FormatInt(id, 10) + "/revoke",
				Button: web.Msg("admin.revoke_confirm.button"),
				Back:   "/admin/staff",
			})
			return nil
		}
	}
	return errs.E(errs.NotFound, "admin.error.grant_unknown")
}
