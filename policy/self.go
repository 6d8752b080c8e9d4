package policy

// SelfAction is something a person does to their own identity, outside any
// account.
type SelfAction string

const (
	ActionChangePassword SelfAction = "password.change"
	ActionChangeName     SelfAction = "name.change"
	ActionSignOut        SelfAction = "session.end"
)

// DecideSelf decides an action on one's own identity. An API token acts in
// one account, as its user's role there, and never on the identity itself:
// a leaked token must not be able to change the password or the name, or
// end sessions.
func DecideSelf(a SelfAction, viaToken bool) Decision {
	if !viaToken {
		return allow
	}
	switch a {
	case ActionChangePassword:
		return deny(CodeForbidden, "A password can only be changed from a signed-in session.")
	case ActionChangeName:
		// The name shows in every account the person has joined; a token
		// acts in one.
		return deny(CodeForbidden, "A name can only be changed from a signed-in session.")
	case ActionSignOut:
		return deny(CodeForbidden, "Only a session can be signed out; revoke an API token instead.")
	}
	return deny(CodeForbidden, "Unknown action %q.", a)
}
