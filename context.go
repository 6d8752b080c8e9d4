package roster

import "context"

type principalKey struct{}

// NewContextWithPrincipal returns a context carrying who makes the request.
// Authentication middleware sets it; handlers read it.
func NewContextWithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFromContext returns the request's principal, if it was authenticated.
func PrincipalFromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok && p.UserID != ""
}
