package api

// The bodies the API reads, one type per request: decode fills them, and
// FuzzDecode throws arbitrary bytes at each.

type patchMemberIn struct {
	Role   *string `json:"role"`
	Status *string `json:"status"`
	Name   *string `json:"name"`
}

type inviteIn struct {
	Email string `json:"email"`
	Role  string `json:"role"`
	Name  string `json:"name"`
}

type transferIn struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

type profileRoleIn struct {
	Role string `json:"role"`
}

type checkBatchIn struct {
	Checks []checkIn `json:"checks"`
}

type loginIn struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type patchMeIn struct {
	Name *string `json:"name"`
}

type passwordChangeIn struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

type resetRequestIn struct {
	Email string `json:"email"`
}

type resetConfirmIn struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

type acceptIn struct {
	Token    string `json:"token"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

type createTokenIn struct {
	Name      string    `json:"name"`
	Account   string    `json:"account"`
	ExpiresAt *bodyTime `json:"expires_at"`
}
