package sqlite

import (
	"github.com/rosterhq/roster"
)

// UsersByEmail looks the users up one by one: each lookup is a prepared
// statement's index probe, with no round trip to pay for.
func (t *tx) UsersByEmail(emails []string) (map[string]*roster.User, error) {
	out := make(map[string]*roster.User, len(emails))
	for _, e := range emails {
		u, err := t.UserByEmail(e)
		switch roster.ErrorCode(err) {
		case "":
			out[roster.EmailKey(e)] = u
		case roster.CodeNotFound:
		default:
			return nil, err
		}
	}
	return out, nil
}

// AddInvitees writes each invitee with the statements of the single
// writes, prepared once for the whole batch.
func (t *tx) AddInvitees(batch []roster.Invitee) error {
	for _, in := range batch {
		if in.NewUser {
			if err := t.CreateUser(in.User); err != nil {
				return err
			}
		}
		if err := t.createMember(in.Member, in.User); err != nil {
			return err
		}
		if err := t.PutInvitation(in.Invitation); err != nil {
			return err
		}
		if err := t.AppendAudit(in.Event); err != nil {
			return err
		}
		if err := t.EnqueueMessage(in.Message); err != nil {
			return err
		}
	}
	return nil
}
