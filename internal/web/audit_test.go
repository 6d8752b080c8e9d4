package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"strings"
	"testing"

	"github.com/rosterhq/roster"
)

// TestEveryAuditActionHasAVerb reads the audit actions declared in the
// roster package (audit.go) and checks that the audit page says each as a
// person would, rather than showing its dotted wire name.
func TestEveryAuditActionHasAVerb(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "../../audit.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	ast.Inspect(f, func(n ast.Node) bool {
		spec, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		for i, name := range spec.Names {
			if !strings.HasPrefix(name.Name, "Audit") || i >= len(spec.Values) {
				continue
			}
			if lit, ok := spec.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				action, err := strconv.Unquote(lit.Value)
				if err != nil {
					t.Fatal(err)
				}
				actions = append(actions, action)
			}
		}
		return true
	})
	if len(actions) < 10 {
		t.Fatalf("found only %d audit actions in audit.go: %q", len(actions), actions)
	}
	for _, a := range actions {
		if v := auditVerb(a); v == a || v == "" {
			t.Errorf("action %q has no verb on the audit page", a)
		}
	}
	if got := noActor("member.invitation_given_up"); got != "Mail delivery" {
		t.Errorf("a given-up invitation is shown as done by %q, want Mail delivery", got)
	}
	// Without a client's address, a change came from Roster itself (the
	// mail worker) or from the command line.
	for action, want := range map[string]string{roster.AuditInvitationDeliveryFailed: "Roster", roster.AuditInvitationGivenUp: "Roster", roster.AuditAccountUpdated: "command line"} {
		if got := fromLabel(action); got != want {
			t.Errorf("%s comes from %q, want %q", action, got, want)
		}
	}
}

// TestDeliveryFailureInThePagesWords: the mail worker's fields show under
// labels, its next attempt as the pages show times.
func TestDeliveryFailureInThePagesWords(t *testing.T) {
	got := changes(nil, nil, map[string]string{"error": "The mail server refused the email (550 5.1.1).", "attempts": "1", "retry_at": "2026-11-23T09:01:00Z"})
	want := map[string]string{"Delivery error": "The mail server refused the email (550 5.1.1).", "Attempts": "1", "Next attempt": "23 Nov 2026, 09:01 UTC"}
	if len(got) != len(want) {
		t.Fatalf("changes = %+v", got)
	}
	for _, c := range got {
		if want[c.Field] != c.After.Text {
			t.Errorf("%s → %q, want %q", c.Field, c.After.Text, want[c.Field])
		}
		if (c.Field == "Next attempt") != (c.After.ISO == "2026-11-23T09:01:00Z") {
			t.Errorf("%s: moment %q; only a time has one, for the reader's zone", c.Field, c.After.ISO)
		}
	}
}
