package httpserver

import "testing"

// TestBearer: the scheme's name is case-insensitive (RFC 9110 §11.1), the
// token is what follows it, and any other scheme is not a bearer token.
func TestBearer(t *testing.T) {
	for _, tc := range []struct {
		header, token string
		ok            bool
	}{
		{"Bearer rst_abc", "rst_abc", true},
		{"bearer rst_abc", "rst_abc", true},
		{"BEARER  rst_abc ", "rst_abc", true},
		{"Basic dXNlcjpwdw==", "", false},
		{"Bearer", "", false},
		{"Bearerrst_abc", "", false},
		{"rst_abc", "", false},
	} {
		if token, ok := bearer(tc.header); token != tc.token || ok != tc.ok {
			t.Errorf("bearer(%q) = %q, %v; want %q, %v", tc.header, token, ok, tc.token, tc.ok)
		}
	}
}
