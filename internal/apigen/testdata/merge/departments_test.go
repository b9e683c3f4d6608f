// This file is copied into a temporary copy of the module after a shape
// report of listEnterpriseDepartments was merged into the spec there and go
// generate ran: Department, which the spec kept as raw JSON, is a model now.
package mergetest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

// TestDepartmentsModelled calls the typed method against the fake serving
// the shape the survey saw, reads the new fields, and encodes every entity
// back to the JSON it came from: nothing lost, nothing added.
func TestDepartmentsModelled(t *testing.T) {
	reply, err := os.ReadFile("departments.json")
	if err != nil {
		t.Fatal(err)
	}
	fake := jaccounttest.New(t, jaccounttest.WithReplyFilter(func(op string, status int, body []byte) []byte {
		if op == "listEnterpriseDepartments" && status == http.StatusOK {
			return reply
		}
		return body
	}))
	tok, err := fake.IssueClientToken()
	if err != nil {
		t.Fatal(err)
	}
	c, err := api.NewClient(api.StaticToken(tok.AccessToken), api.WithBaseURL(fake.APIURL()))
	if err != nil {
		t.Fatal(err)
	}
	list, err := c.Enterprise.ListDepartments(t.Context(), api.EnterpriseListDepartmentsParams{})
	if err != nil {
		t.Fatal(err)
	}
	d := list.Items[0]
	created, ok := d.CreateTimeAt()
	t.Logf("Department{OrganizeId: %q, OrganizeName: %q, ParentId: %q, Independent: %v, CreateTime: %d (CreateTimeAt %s), Manager: {Account: %q, Name: %q, Phones: %q}, Tags: %q, Rank: %v}",
		d.OrganizeId, d.OrganizeName, d.ParentId, d.Independent, d.CreateTime, created.Format(time.RFC3339),
		d.Manager.Account, d.Manager.Name, d.Manager.Phones, d.Tags, d.Rank)
	if d.OrganizeId != "03000" || d.Manager.Name != "张三" || d.Manager.Phones[0] != "021-00000000" || d.Tags[0] != "学院" ||
		!d.Independent || d.Rank != 1.5 || !ok || created.Unix() != 1659492695 {
		t.Errorf("fields: %+v", d)
	}
	var want struct{ Entities []json.RawMessage }
	if err := json.Unmarshal(reply, &want); err != nil {
		t.Fatal(err)
	}
	for i, e := range list.Items {
		got, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var a, b any
		_ = json.Unmarshal(want.Entities[i], &a)
		_ = json.Unmarshal(got, &b)
		if !reflect.DeepEqual(a, b) {
			t.Errorf("entity %d: round trip\n%s\nwant\n%s", i, got, want.Entities[i])
		} else {
			t.Logf("entity %d round trip: %s", i, bytes.TrimSpace(got))
		}
	}
}
