package web

import (
	"cmp"
	"fmt"
	"net/http"
	"sort"
	"time"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/app"
)

// auditPage is the model of the audit log page: who did what to whom and
// when, newest first, paged.
type auditPage struct {
	Rows     []auditRow
	NextURL  string
	FirstURL string
}

type auditRow struct {
	At      time.Time
	Actor   string
	What    string
	Target  string
	Changes []change
	// IP is the client's address; without one, From says where the
	// change came from: the command line, or Roster itself (the mail
	// worker).
	IP, From string
}

type change struct {
	Field         string
	Before, After value
}

// value is a change's value as the pages say it; ISO is the moment a time
// stands for, which the page's script shows in the reader's zone.
type value struct{ Text, ISO string }

// auditVerbs say each action as a person would.
var auditVerbs = map[string]string{
	roster.AuditAccountCreated:           "created the account",
	roster.AuditAccountUpdated:           "changed the account",
	roster.AuditMemberInvited:            "invited",
	roster.AuditInvitationResent:         "resent the invitation to",
	roster.AuditInvitationDeliveryFailed: "could not deliver the invitation to",
	roster.AuditInvitationGivenUp:        "gave up delivering the invitation to",
	roster.AuditInvitationAccepted:       "accepted the invitation and joined",
	roster.AuditMemberRoleChanged:        "changed the role of",
	roster.AuditMemberNameChanged:        "changed the name of",
	roster.AuditMemberDisabled:           "disabled",
	roster.AuditMemberEnabled:            "enabled",
	roster.AuditMemberRemoved:            "removed",
	roster.AuditInvitationRevoked:        "revoked the invitation to",
	roster.AuditMemberLeft:               "left the account",
	roster.AuditOwnershipTransferred:     "transferred ownership to",
	roster.AuditProfileRoleGranted:       "granted a profile role to",
	roster.AuditProfileRoleRevoked:       "revoked a profile role from",
	roster.AuditTokenCreated:             "created an API token",
	roster.AuditTokenRevoked:             "revoked an API token",
	roster.AuditPasswordChanged:          "changed their password",
	roster.AuditPasswordReset:            "reset their password with an emailed link",
	roster.AuditNameChanged:              "changed their name",
}

func (w *Web) audit(rw http.ResponseWriter, r *http.Request) {
	p, pg, err := w.accountFrame(r, "audit")
	if err != nil {
		w.fail(rw, r, pg, err)
		return
	}
	base := accountURL(pg.Viewer.Account.ID) + "/audit"
	cursor := r.URL.Query().Get("cursor")
	view, err := w.app.AuditWithPeople(r.Context(), p, pg.Viewer.Account.ID, cursor, 0)
	if err != nil {
		w.fail(rw, r, pg, err)
		return
	}
	d := auditPage{}
	if cursor != "" {
		d.FirstURL = base
	}
	if view.Next != nil {
		d.NextURL = base + "?cursor=" + view.Next.Encode()
	}
	for _, e := range view.Items {
		d.Rows = append(d.Rows, auditRow{
			At: e.At, Actor: personLabel(view.People, e.Actor, noActor(e.Action)),
			What: auditVerb(e.Action), Target: targetLabel(view.People, e),
			Changes: changes(view.People, e.Before, e.After), IP: e.IP, From: fromLabel(e.Action),
		})
	}
	pg.Title = "Audit log"
	pg.Data = d
	w.render(rw, r, http.StatusOK, "audit", pg)
}

// fromLabel says where a change without a client's address came from:
// Roster itself for the mail worker's delivery events, else the command
// line.
func fromLabel(action string) string {
	switch action {
	case roster.AuditInvitationDeliveryFailed, roster.AuditInvitationGivenUp:
		return "Roster"
	}
	return "command line"
}

// noActor names who made a change that has no actor: the mail worker for
// its delivery events, the operator (the CLI) for the others.
func noActor(action string) string {
	switch action {
	case roster.AuditInvitationDeliveryFailed, roster.AuditInvitationGivenUp:
		return "Mail delivery"
	}
	return "The operator"
}

func auditVerb(action string) string {
	if v, ok := auditVerbs[action]; ok {
		return v
	}
	return action
}

// personLabel names a user of the log; none is the operator (the CLI).
func personLabel(people map[string]app.Person, id, none string) string {
	if id == "" {
		return none
	}
	p, ok := people[id]
	switch {
	case !ok:
		return id
	case p.Name != "":
		return p.Name + " (" + p.Email + ")"
	default:
		return p.Email
	}
}

// ofActorAlone are the actions whose verb already says the target is the actor.
var ofActorAlone = map[string]bool{
	roster.AuditMemberLeft:         true,
	roster.AuditInvitationAccepted: true,
	roster.AuditTokenCreated:       true,
	roster.AuditTokenRevoked:       true,
	roster.AuditPasswordChanged:    true,
	roster.AuditPasswordReset:      true,
	roster.AuditNameChanged:        true,
}

// targetLabel names the event's target, or nothing when the action speaks
// of the actor alone.
func targetLabel(people map[string]app.Person, e *roster.AuditEvent) string {
	if e.Target == "" || e.Target == e.Actor && ofActorAlone[e.Action] {
		return ""
	}
	return personLabel(people, e.Target, "")
}

// auditFields name the fields of events' changes as the pages do; a field
// not here shows under its own name.
var auditFields = map[string]string{
	"name":                "Name",
	"email":               "Email",
	"role":                "Role",
	"status":              "Status",
	"expires_at":          "Link expires",
	"invite_ttl":          "Invitations last",
	"catalog":             "Role catalog",
	"owner":               "Owner",
	"new_owner_role":      "New owner's role",
	"previous_owner_role": "Former owner's role",
	"profile":             "Profile",
	"profile_roles":       "Profile roles",
	"token":               "Token",
	"api_tokens":          "API tokens",
	"error":               "Delivery error",
	"attempts":            "Attempts",
	"retry_at":            "Next attempt",
}

// changes lists before → after by field, fields and values as the pages
// say them, in a stable order.
func changes(people map[string]app.Person, before, after map[string]string) []change {
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	var out []change
	for k := range keys {
		out = append(out, change{Field: cmp.Or(auditFields[k], k),
			Before: fieldValue(people, k, before[k]), After: fieldValue(people, k, after[k])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

// fieldValue says a change's value as the pages do: a status by its label,
// a time in the pages' format, a lifetime in days, an owner by name.
func fieldValue(people map[string]app.Person, field, v string) value {
	if v == "" {
		return value{}
	}
	switch field {
	case "status":
		return value{Text: statusLabel(roster.Status(v))}
	case "expires_at", "retry_at":
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			return value{Text: formatTime(t), ISO: t.UTC().Format(time.RFC3339)}
		}
	case "invite_ttl":
		if d, err := time.ParseDuration(v); err == nil && d > 0 && d%(24*time.Hour) == 0 {
			if days := d / (24 * time.Hour); days != 1 {
				return value{Text: fmt.Sprintf("%d days", days)}
			}
			return value{Text: "1 day"}
		}
	case "owner":
		return value{Text: personLabel(people, v, "")}
	}
	return value{Text: v}
}
