// This file is copied into a temporary copy of the module after the spec
// there gained the operations of paths.yaml and go generate ran: it is what
// a user writes to call the new methods, and no line of the SDK is written
// by hand for them.
package newop_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/jaccounttest"
)

func client(t *testing.T, base string, token string) *api.Client {
	t.Helper()
	c, err := api.NewClient(api.StaticToken(token), api.WithBaseURL(base))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestNewOperation calls the new typed method against the fake, which serves
// the operation's spec example, and its paging iterator.
func TestNewOperation(t *testing.T) {
	fake := jaccounttest.New(t, jaccounttest.WithPageSize(2))
	tok, err := fake.IssueToken(jaccounttest.StudentUsername, string(api.ScopeBasic))
	if err != nil {
		t.Fatal(err)
	}
	c := client(t, fake.APIURL(), tok.AccessToken)
	ctx := context.Background()

	page, err := c.Notes.List(ctx, api.NotesListParams{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, note := range page.Items {
		names = append(names, note.Id+" "+note.Name)
	}
	t.Logf("c.Notes.List: total %d, items %q", page.Total, names)
	if want := []string{"100001 网络信息中心", "100002 图书馆", "100003 校团委"}; !slices.Equal(names, want) {
		t.Errorf("items %q, want the example's %q", names, want)
	}
	var walked []string
	for note, err := range c.Notes.ListIter(ctx, api.NotesListParams{}) {
		if err != nil {
			t.Fatal(err)
		}
		walked = append(walked, note.Name)
	}
	t.Logf("c.Notes.ListIter (pages of 2): %q", walked)
	if len(walked) != 3 {
		t.Errorf("walked %q", walked)
	}
	t.Logf("api.PathNotesList = %q", api.PathNotesList)
	for _, r := range fake.Requests() {
		t.Logf("fake saw %s %s -> %d", r.Method, r.Path, r.Status)
	}
	// Scopes are enforced from the spec: openid alone is not enough.
	tok2, _ := fake.IssueToken(jaccounttest.StudentUsername, "openid")
	if _, err := client(t, fake.APIURL(), tok2.AccessToken).Notes.List(ctx, api.NotesListParams{}); !errors.Is(err, api.ErrForbidden) {
		t.Errorf("without basic: %v, want ErrForbidden", err)
	}
}

// TestFeatures calls the test-only operations that exercise each feature of
// the generator: the other two paging styles, time, boolean and array
// parameters, request bodies and multi-parameter path segments.
func TestFeatures(t *testing.T) {
	fake := jaccounttest.New(t, jaccounttest.WithPageSize(2))
	tok, err := fake.IssueToken(jaccounttest.StudentUsername, "basic")
	if err != nil {
		t.Fatal(err)
	}
	c := client(t, fake.APIURL(), tok.AccessToken)
	ctx := context.Background()

	var ids []int64
	for it, err := range c.Features.ListItemsIter(ctx, api.FeaturesListItemsParams{}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, it.Id)
	}
	if !slices.Equal(ids, []int64{1, 2, 3, 4, 5}) {
		t.Errorf("start-limit walk: %v", ids)
	}
	// The records take the client-credentials grant: a user's token is refused.
	if _, err := c.Features.ListRecords(ctx, "student", api.FeaturesListRecordsParams{}); !errors.Is(err, api.ErrForbidden) {
		t.Errorf("records with a user's token: %v, want ErrForbidden", err)
	}
	ctok, err := fake.IssueClientToken("basic")
	if err != nil {
		t.Fatal(err)
	}
	cc := client(t, fake.APIURL(), ctok.AccessToken)
	var recs []string
	for r, err := range cc.Features.ListRecordsIter(ctx, "student", api.FeaturesListRecordsParams{Offset: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, r.Name)
	}
	if !slices.Equal(recs, []string{"r1", "r2", "r3"}) {
		t.Errorf("first-offset walk: %v", recs)
	}
	if _, err := cc.Features.ListRecords(ctx, "student", api.FeaturesListRecordsParams{Offset: 201}); !errors.Is(err, api.ErrAPI) {
		t.Errorf("offset over the maximum: %v", err)
	}
	item, err := c.Features.CreateItem(ctx, api.FeatureItem{Name: "x"})
	if err != nil || item.Name != "created" {
		t.Errorf("CreateItem: %+v %v", item, err)
	}
	if err := c.Features.UpdateItem(ctx, "g1", 42, api.FeatureItem{Name: "y"}); err != nil {
		t.Errorf("UpdateItem: %v", err)
	}
	if err := c.Features.DeleteItem(ctx, "g1", 42); err != nil {
		t.Errorf("DeleteItem: %v", err)
	}
	if f, err := c.Features.UploadFile(ctx, "report", "pdf", []byte("%PDF")); err != nil || f.Name != "uploaded" {
		t.Errorf("UploadFile: %+v %v", f, err)
	}
	if err := c.Features.DeleteItem(ctx, "", 1); !errors.Is(err, api.ErrInvalidArgument) {
		t.Errorf("empty path segment: %v", err)
	}
	// A multipart/form-data body: a file part streamed from a reader, and
	// fields; the fake checks the parts before it serves the example.
	form, err := c.Features.SubmitForm(ctx, api.FeaturesSubmitFormBody{Attachment: strings.NewReader("hello"),
		AttachmentName: "hello.txt", Note: "a note", Urgent: api.Ptr(true)})
	if err != nil || len(form.Items) != 1 || form.Items[0].Name != "form" {
		t.Errorf("SubmitForm: %+v %v", form, err)
	}
	if _, err := c.Features.SubmitForm(ctx, api.FeaturesSubmitFormBody{Note: "no attachment"}); !errors.Is(err, api.ErrInvalidArgument) {
		t.Errorf("SubmitForm without its required file: %v", err)
	}

	// The exact requests, bodies included.
	type seen struct{ method, uri, ctype, body string }
	var got []seen
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, seen{r.Method, r.URL.RequestURI(), r.Header.Get("Content-Type"), string(b)})
		_, _ = w.Write([]byte(`{"errno":0,"error":"success","total":0,"entities":[{"id":1}]}`))
	}))
	defer rec.Close()
	rc := client(t, rec.URL, "token")
	day := time.Date(2026, 3, 1, 20, 0, 0, 0, time.UTC) // 2026-03-02 04:00 in China
	_, _ = rc.Features.ListItems(ctx, api.FeaturesListItemsParams{Day: day, Since: day, Archived: api.Ptr(false), Tag: []string{"a", "b c"}, Limit: 5})
	_, _ = rc.Features.ListRecords(ctx, "faculty", api.FeaturesListRecordsParams{UpdatedAfter: time.UnixMilli(1700000000123)})
	_, _ = rc.Features.CreateItem(ctx, api.FeatureItem{Id: 3, Name: "x"})
	_ = rc.Features.UpdateItem(ctx, "a/b", 42, api.FeatureItem{Name: "y z"})
	_, _ = rc.Features.UploadFile(ctx, "report", "pdf", []byte("%PDF"))
	want := []seen{
		{"GET", "/v1/test/items?limit=5&day=2026-03-02&since=2026-03-02+04%3A00%3A00&archived=false&tag=a&tag=b+c", "", ""},
		{"GET", "/v1/test/records?kind=faculty&updatedAfter=1700000000123", "", ""},
		{"POST", "/v1/test/items", "application/json", `{"id":3,"name":"x"}`},
		{"PUT", "/v1/test/items/a%2Fb:42", "application/x-www-form-urlencoded", "name=y+z"},
		{"PUT", "/v1/test/files/report.pdf", "application/octet-stream", "%PDF"},
	}
	if !slices.Equal(got, want) {
		t.Errorf("requests\n%q\nwant\n%q", got, want)
	}
}
