package apigen

import (
	"strings"
	"testing"
)

// TestCLIView checks the jaccount command's view of openapi/jaccount.yaml:
// its groups, command names, the variant merged as a flag, and the flags.
func TestCLIView(t *testing.T) {
	t.Parallel()
	groups := CLI(loadFile(t, "../../openapi/jaccount.yaml"))
	var paths []string
	byPath := map[string]*CLICommand{}
	for _, g := range groups {
		for _, c := range g.Commands {
			paths = append(paths, c.Path())
			byPath[c.Path()] = c
		}
	}
	for _, want := range []string{"profile get", "profile user", "enterprise user-positions", "enterprise user-rights",
		"enterprise remove-position-user", "enterprise add-position-user", "lessons get", "lessons list", "examinations",
		"gpa", "card get", "card transactions", "unicode transactions", "circles", "calendar delete-event",
		"finance cancel-appointment", "mail list", "mail by-state"} {
		if byPath[want] == nil {
			t.Errorf("no command %q among %q", want, paths)
		}
	}
	seen := map[string]bool{}
	for _, p := range paths {
		if seen[p] {
			t.Errorf("two commands %q", p)
		}
		seen[p] = true
	}
	for _, p := range paths {
		if c := byPath[p]; c.Op.Body != nil || c.Op.Entities == EntityRaw || (c.Group.Single() && c.Op.Method != "GET") {
			t.Errorf("%s: a command for %s (a body, a file, or a write run by the bare group)", p, c.Op.ID)
		}
	}
	flags := func(c *CLICommand) string {
		var out []string
		for _, f := range c.Flags() {
			out = append(out, f.Name)
		}
		return strings.Join(out, " ")
	}
	for path, want := range map[string]string{
		"card transactions":      "card-no since until", // start and limit are the iterator's
		"lessons list":           "semester classes",    // listMyLessonsBySemester and its classes
		"mail list":              "",                    // and --query (x-jaccount-open-query)
		"lessons get":            "code",
		"enterprise user-rights": "account",
		"profile get":            "",
	} {
		if got := flags(byPath[path]); got != want {
			t.Errorf("%s flags = %q, want %q", path, got, want)
		}
	}
	list := byPath["lessons list"]
	if len(list.Variants) != 1 || list.Variants[0].ID != "listMyLessonsBySemester" || !strings.Contains(list.Run(), `Changed("semester")`) {
		t.Errorf("lessons list variants = %v, run = %s", list.Variants, list.Run())
	}
	if tx := byPath["card transactions"]; !tx.Paged() || !strings.Contains(tx.Run(), "c.Card.ListTransactionsIter(ctx, p)") {
		t.Errorf("card transactions run = %s", tx.Run())
	}
	for _, f := range byPath["card transactions"].Flags() {
		if f.Name == "until" && (!f.endOfDay() || !strings.HasPrefix(f.Define(), "timeFlag(fs, &p.End, \"until\"")) {
			t.Errorf("until = %s", f.Define())
		}
	}
	if f := list.Flags()[0]; !f.Variant || f.Param.Required == false || strings.Contains(f.Define(), "MarkFlagRequired") {
		t.Errorf("semester flag = %+v", f)
	}
}

func TestKebab(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"cardNo": "card-no", "UserPositions": "user-positions", "get": "get", "getURLInfo": "get-url-info"} {
		if got := kebab(in); got != want {
			t.Errorf("kebab(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestCLIOpenAPIOnly: the CLI has one client, the open API's, so the
// operations of another server (the data resources) get no command and are
// not in `jaccount api`'s table.
func TestCLIOpenAPIOnly(t *testing.T) {
	t.Parallel()
	a := loadFile(t, "../../openapi/jaccount.yaml")
	for _, g := range CLI(a) {
		if !g.Service.Server.Default {
			t.Errorf("group %s is on %s", g.Name, g.Service.Server.URL)
		}
	}
	ops := CLIOps(a)
	for _, op := range ops {
		if !op.Server.Default {
			t.Errorf("jaccount api lists %s, on %s", op.ID, op.Server.URL)
		}
	}
	if len(ops) == len(a.Ops) {
		t.Errorf("jaccount api lists all %d operations, the data resources' included", len(ops))
	}
}
