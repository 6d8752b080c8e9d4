package api

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/rosterhq/roster"
	"github.com/rosterhq/roster/internal/httpserver"
)

// requestBodies are fresh values of every type the API decodes a body into.
func requestBodies() []any {
	return []any{
		&loginIn{}, &patchMeIn{}, &passwordChangeIn{}, &resetRequestIn{}, &resetConfirmIn{}, &acceptIn{},
		&createTokenIn{}, &patchMemberIn{}, &inviteIn{}, &transferIn{}, &profileRoleIn{}, &checkIn{}, &checkBatchIn{},
	}
}

// FuzzDecode throws arbitrary bodies at every request decoder: none may
// panic, and every refusal is an invalid_input (413 for a body too large).
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"email":"a@b.test","password":"x"}`, `{"role":"User","Role":"Admin"}`, `{"role":"a","role":"b"}`,
		`{"checks":[{"user":"u","permission":"p","profile":"x"}]}`, `{"expires_at":"2026-01-01T00:00:00Z","name":"t","account":"a"}`,
		`{"name":null}`, `[]`, `null`, `{"a":`, "{\"email\":\"\x00\"}", `{"checks":[1,2]}`, `{"expires_at":"yesterday"}`, `{} {}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, dst := range requestBodies() {
			r := httptest.NewRequest("POST", "/", bytes.NewReader(body))
			r.Header.Set("Content-Type", "application/json")
			err := decode(httptest.NewRecorder(), r, dst)
			if err == nil {
				continue
			}
			if code := roster.ErrorCode(err); code != roster.CodeInvalidInput {
				t.Fatalf("decode(%q) into %T: code %q (%v), want invalid_input", body, dst, code, err)
			}
			if roster.ErrorMessage(err) == "" || (errors.Is(err, httpserver.ErrTooLarge) && len(body) <= maxBody) {
				t.Fatalf("decode(%q) into %T: %v", body, dst, err)
			}
		}
	})
}
