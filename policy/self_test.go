package policy

import "testing"

func TestDecideSelf(t *testing.T) {
	for _, a := range []SelfAction{ActionChangePassword, ActionChangeName, ActionSignOut} {
		if d := DecideSelf(a, false); !d.Allowed {
			t.Errorf("%s from a session refused: %+v", a, d)
		}
		if d := DecideSelf(a, true); d.Allowed || d.Code != CodeForbidden || d.Reason == "" {
			t.Errorf("%s with an API token = %+v, want forbidden", a, d)
		}
	}
	if d := DecideSelf("nonsense", true); d.Allowed {
		t.Error("an unknown action with a token was allowed")
	}
}
