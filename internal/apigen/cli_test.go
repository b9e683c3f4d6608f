package apigen

import (
	"slices"
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
		"enterprise remove-position-user", "enterprise add-position-user", "lessons get", "lessons list", "examinations list",
		"gpa", "card get", "card transactions", "unicode transactions", "circles list", "calendar delete-event",
		"finance cancel-appointment", "mail list", "mail by-state", "notification status",
		"students list", "faculty list", "accounts list", "papers list"} {
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
		"card transactions":      "card-no since until order-by", // start and limit are the iterator's
		"lessons list":           "semester classes",             // listMyLessonsBySemester and its classes
		"mail list":              "",                             // and --query (x-jaccount-open-query)
		"lessons get":            "code",
		"enterprise user-rights": "account",
		"profile get":            "",
		// x-go-name names the flag where the wire name is an abbreviation;
		// first and offset are the iterator's.
		"students list": "account-no student-no school-code left-school updated-since",
		"faculty list":  "account-no staff-no top-organize-id organize-id updated-since",
		"papers list":   "user-id",
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

// TestCLIData: the operations of another server (the data resources) get
// their commands like the open API's, grouped by tag, started with the
// client of their server, and `jaccount api` lists them; the login they
// need (no user can call them) is in their help.
func TestCLIData(t *testing.T) {
	t.Parallel()
	a := loadFile(t, "../../openapi/jaccount.yaml")
	groups := CLI(a)
	data := 0
	for _, g := range groups {
		for _, c := range g.Commands {
			want := "opStart"
			if !g.Service.Server.Default {
				want = "dataStart"
				data++
				if c.Group.Single() || c.Name != "list" {
					t.Errorf("%s: a data resource's list is `%s list`", c.Path(), g.Name)
				}
				if !strings.Contains(c.Long(), "`jaccount login --client-credentials --scopes exchange_data`") ||
					!strings.Contains(c.Long(), "on https://graphql.sjtu.edu.cn.") {
					t.Errorf("%s: help does not name the login or the server:\n%s", c.Path(), c.Long())
				}
			}
			if c.Start() != want {
				t.Errorf("%s: started with %s, want %s", c.Path(), c.Start(), want)
			}
			if c.Op.LoginFlags() == "" && strings.Contains(c.Long(), "No user can call it") {
				t.Errorf("%s: help says no user can call it", c.Path())
			}
		}
	}
	if data != 4 {
		t.Errorf("%d commands for the data resources, want 4", data)
	}
	if ops := CLIOps(a); len(ops) != len(a.Ops) {
		t.Errorf("jaccount api lists %d of the %d operations", len(ops), len(a.Ops))
	}
	for id, want := range map[string]string{
		"listStudents":   "--client-credentials --scopes exchange_data", // client credentials only
		"findCards":      "--client-credentials --scopes card_info",
		"getUserRights":  "", // a user's login will do
		"getMyProfile":   "",
		"getUserProfile": "",
	} {
		i := slices.IndexFunc(a.Ops, func(op *Op) bool { return op.ID == id })
		if got := a.Ops[i].LoginFlags(); got != want {
			t.Errorf("%s: login flags %q, want %q", id, got, want)
		}
	}
	if got := CLIPath(groups, a.Ops[slices.IndexFunc(a.Ops, func(op *Op) bool { return op.ID == "listMyLessonsBySemester" })]); got != "lessons list" {
		t.Errorf("listMyLessonsBySemester is called by %q, want lessons list (its variant)", got)
	}
}

// TestCLITimeModels: the units the CLI's output takes from the spec, per
// model and member: card times are milliseconds, 思源码 times seconds, the
// card's expiry yyyyMMdd, an account record's timestamp a date and time.
func TestCLITimeModels(t *testing.T) {
	t.Parallel()
	units := map[string]TimeUnit{}
	models := CLITimeModels(loadFile(t, "../../openapi/jaccount.yaml"))
	for i, m := range models {
		if i > 0 && models[i-1].Model >= m.Model {
			t.Errorf("models out of order: %s before %s", models[i-1].Model, m.Model)
		}
		for _, f := range m.Fields {
			units[m.Model+"."+f.JSON] = f.Unit
		}
	}
	for field, want := range map[string]TimeUnit{
		"CardTransaction.dateTime":       TimeEpochMillis,
		"UnicodeTransaction.orderTime":   TimeEpochSeconds,
		"UnicodeTransaction.payTime":     TimeEpochSeconds,
		"CardInfo.expireDate":            TimeCompactDate,
		"Identity.expireDate":            TimeDate,
		"DataAccount.timestamp":          TimeDateTime,
		"DataAccount.identityExpireDate": TimeDate,
		"DataAccountRelation.expireDate": TimeDate,
	} {
		if got := units[field]; got != want {
			t.Errorf("%s: unit %q, want %q", field, got, want)
		}
	}
	// Members whose unit no source gives stay out: the output does not
	// guess from the name.
	for _, field := range []string{"CardChargeResponse.applyTime", "CalendarRecurrence.endDate"} {
		if u, ok := units[field]; ok {
			t.Errorf("%s: unit %q, which the spec does not give", field, u)
		}
	}
}
