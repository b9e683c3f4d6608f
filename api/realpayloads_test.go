package api_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/oauth-jaccount/jaccount-go/api"
	"github.com/oauth-jaccount/jaccount-go/auth"
	"github.com/oauth-jaccount/jaccount-go/internal/apigen"
	"github.com/oauth-jaccount/jaccount-go/openapi"
)

// realPayloads are the real or documented replies of the evidence
// (jaccount-evidence.md, Deliverable 4), as the spec carries them:
// the operation and the name of its example ("" for its only one).
var realPayloads = []struct {
	source, opID, example string
}{
	{"1. F10 real profile: freshman, accountExpireDate, seconds", "getMyProfile", "realFreshman"},
	{"2. F5 real profile: team account, no id, no identities", "getMyProfile", "realTeam"},
	{"2. F5 real profile: student with an alumni identity", "getMyProfile", "realStudentAlumni"},
	{"2. F5 real profile: outside user, organize {}", "getMyProfile", "realOutside"},
	{"3. F18 documentation's profile (overview.html)", "getMyProfile", "overview"},
	{"4. F1 documentation's card (card.html)", "getMyCard", ""},
	{"5. F14 real card transaction (beancount-sjtu)", "listMyCardTransactions", ""},
	{"6. F12 documentation's positions (enterprise.html)", "getUserPositions", ""},
	{"7. F11 lessons shaped on real replies (jCourse)", "listMyLessons", ""},
	{"9. F18 documentation's paged reply (overview.html)", "listMyCircles", ""},
	{"11. F18 data resources' account record (graphql/overview.html)", "listAccounts", ""},
}

// payloadOf returns the example of the 200 reply of the operation.
func payloadOf(t *testing.T, doc *openapi3.T, opID, name string) []byte {
	t.Helper()
	for _, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			if op.OperationID != opID {
				continue
			}
			media := op.Responses.Status(200).Value.Content.Get("application/json")
			v := media.Example
			if name != "" {
				v = media.Examples[name].Value.Value
			}
			b, err := json.Marshal(v)
			if err != nil || v == nil {
				t.Fatalf("%s: no example %q", opID, name)
			}
			return b
		}
	}
	t.Fatalf("no operation %s", opID)
	return nil
}

// decodeNumbers decodes JSON keeping numbers as written.
func decodeNumbers(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

// keyDiff walks want and reports, by path, the keys of its objects that got
// lacks, the values that differ, and the keys got has that want does not;
// it returns how many keys want has.
func keyDiff(path string, want, got any, lost, changed, added *[]string) int {
	n := 0
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*changed = append(*changed, path)
			return countKeys(w)
		}
		for k, wv := range w {
			n++
			gv, found := g[k]
			if !found {
				*lost = append(*lost, path+"."+k)
				n += countKeys(wv)
				continue
			}
			n += keyDiff(path+"."+k, wv, gv, lost, changed, added)
		}
		for k := range g {
			if _, found := w[k]; !found {
				*added = append(*added, path+"."+k)
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			*changed = append(*changed, path)
			return countKeys(w)
		}
		for i := range w {
			n += keyDiff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], lost, changed, added)
		}
	case json.Number:
		if g, ok := got.(json.Number); !ok || !sameNumber(w, g) {
			*changed = append(*changed, path)
		}
	default:
		if !reflect.DeepEqual(want, got) {
			*changed = append(*changed, path)
		}
	}
	return n
}

func sameNumber(a, b json.Number) bool {
	if a == b {
		return true
	}
	x, err1 := a.Float64()
	y, err2 := b.Float64()
	return err1 == nil && err2 == nil && x == y
}

func countKeys(v any) int {
	n := 0
	switch x := v.(type) {
	case map[string]any:
		for _, e := range x {
			n += 1 + countKeys(e)
		}
	case []any:
		for _, e := range x {
			n += countKeys(e)
		}
	}
	return n
}

// withFuture adds the member "futureField" to every object of v, as a
// later jAccount could send.
func withFuture(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{"futureField": map[string]any{"nested": []any{json.Number("12345678901234567890"), "新"}}}
		for k, e := range x {
			out[k] = withFuture(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = withFuture(e)
		}
		return out
	}
	return v
}

// TestRealPayloadsRoundTrip feeds every real or documented reply of the
// evidence through the typed method of its operation (from a server serving
// it verbatim), re-encodes what the method returns, and compares it with
// the payload's entities key by key: no key may be lost, changed or added.
// It does it again with a member the spec does not know added to every
// object (a "future field"), which must survive too.
func TestRealPayloadsRoundTrip(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Spec)
	if err != nil {
		t.Fatal(err)
	}
	ops := map[string]*apigen.Op{}
	for _, op := range specAPI(t).Ops {
		ops[op.ID] = op
	}
	totalKeys, totalLost := 0, 0
	for _, p := range realPayloads {
		for _, future := range []bool{false, true} {
			name := p.source
			if future {
				name += " + future fields"
			}
			t.Run(name, func(t *testing.T) {
				payload := payloadOf(t, doc, p.opID, p.example)
				env := decodeNumbers(t, payload).(map[string]any)
				if future {
					env["entities"] = withFuture(env["entities"])
					payload, _ = json.Marshal(env)
				}
				op := ops[p.opID]
				srv := newServer(t, reply(200, "application/json", string(payload)))
				var c any = newClient(t, srv)
				if op.Server.Client == "DataClient" {
					dc, err := api.NewDataClient(api.StaticToken(testToken), api.WithDataBaseURL(srv.URL))
					if err != nil {
						t.Fatal(err)
					}
					c = dc
				}
				out, err := callOp(t.Context(), c, op)
				if err != nil {
					t.Fatal(err)
				}
				got := out[0].Elem()
				var entities any
				switch op.Entities {
				case apigen.EntityList:
					entities = got.FieldByName("Items").Interface()
					// The list keeps the envelope's paging data.
					if n, _ := env["total"].(json.Number).Int64(); got.FieldByName("Total").Int() != n {
						t.Errorf("Total = %d, want the payload's %d", got.FieldByName("Total").Int(), n)
					}
					if tok, _ := env["nextToken"].(string); got.FieldByName("NextToken").String() != tok {
						t.Errorf("NextToken = %q, want %q", got.FieldByName("NextToken").String(), tok)
					}
				default:
					entities = []any{got.Interface()}
				}
				b, err := json.Marshal(entities)
				if err != nil {
					t.Fatal(err)
				}
				var lost, changed, added []string
				keys := keyDiff("entities", env["entities"], decodeNumbers(t, b), &lost, &changed, &added)
				if len(lost)+len(changed)+len(added) > 0 {
					sort.Strings(lost)
					t.Errorf("%d of %d keys lost %v, changed %v, added %v", len(lost), keys, lost, changed, added)
				}
				t.Logf("%s %s: %d keys, %d lost", op.Method, op.Path, keys, len(lost))
				if !future {
					totalKeys += keys
					totalLost += len(lost)
				}
			})
		}
	}
	t.Logf("%d payloads, %d keys in their entities, %d lost (and the same with a future field in every object)",
		len(realPayloads), totalKeys, totalLost)
}

// TestRealErrorPayloads feeds the error replies of the evidence
// (Deliverable 4, item 8) through a typed method: each becomes an *Error
// carrying its errno and its whole message, detail included, and matching
// the sentinels a caller tests.
func TestRealErrorPayloads(t *testing.T) {
	t.Parallel()
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Spec)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		example string
		status  int
		is      []error
		msg     string
	}{
		{"authenticationFailed", 403, []error{api.ErrUnauthorized, api.ErrnoAuthenticationFailed}, "Authentication Failed."},
		{"badParameters", 200, []error{api.ErrAPI, api.ErrnoBadParameters}, "BAD_PARAMETERS: MORE_INFORMATION:phones is required"},
		{"scopeFailed", 403, []error{api.ErrForbidden, api.ErrnoAuthenticationScopeFailed}, "AUTHENTICATION_SCOPE_FAILED"},
	}
	for _, tt := range tests {
		t.Run(tt.example, func(t *testing.T) {
			payload, err := json.Marshal(doc.Components.Examples[tt.example].Value.Value)
			if err != nil {
				t.Fatal(err)
			}
			env := decodeNumbers(t, payload).(map[string]any)
			c := newClient(t, newServer(t, reply(tt.status, "application/json", string(payload))),
				api.WithRetryPolicy(api.RetryPolicy{MaxAttempts: 1}))
			_, err = c.Notification.Send(t.Context(), api.NotificationRequest{Name: "t", Channels: []string{"email"}})
			var e *api.Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v", err)
			}
			wantErrno, _ := env["errno"].(json.Number).Int64()
			if int64(e.Errno) != wantErrno || e.Message != tt.msg || e.StatusCode != tt.status {
				t.Errorf("error = %+v, want errno %d and message %q", e, wantErrno, tt.msg)
			}
			for _, s := range tt.is {
				if !errors.Is(err, s) {
					t.Errorf("errors.Is(%v, %v) = false", err, s)
				}
			}
			t.Logf("%s -> %v", payload, err)
		})
	}
	// The authorize endpoint's live 400 (an RFC 6749 error) is what the
	// token endpoint answers too: auth keeps both members.
	const oauthErr = `{"error":"invalid_request","error_description":"Missing response_type parameter value"}`
	srv := httptest.NewServer(reply(400, "application/json", oauthErr))
	t.Cleanup(srv.Close)
	cfg := &auth.Config{ClientID: "c", ClientSecret: "s", RedirectURL: "http://127.0.0.1/cb",
		Endpoint: auth.Endpoint{TokenURL: srv.URL + "/oauth2/token"}}
	_, err = cfg.Exchange(t.Context(), "code")
	var te *auth.TokenError
	if !errors.As(err, &te) || te.Code != "invalid_request" || !strings.Contains(te.Description, "Missing response_type") {
		t.Errorf("token endpoint 400: %v, want a TokenError with both members", err)
	}
}

// TestIDTokenClaimsRoundTrip decodes the documentation's ID-token claims
// (evidence F7) as auth does and encodes them back: no claim is lost.
func TestIDTokenClaimsRoundTrip(t *testing.T) {
	t.Parallel()
	const claims = `{"iss":"https://jaccount.sjtu.edu.cn/oauth2/","sub":"test-user","aud":"s6BhdRkqt3","nonce":"n-0S6_WzA2Mj","exp":1311281970,"iat":1311280970,"name":"张三","code":"123456","type":"student"}`
	var c auth.IDTokenClaims
	if err := json.Unmarshal([]byte(claims), &c); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var lost, changed, added []string
	n := keyDiff("claims", decodeNumbers(t, []byte(claims)), decodeNumbers(t, b), &lost, &changed, &added)
	// auth encodes aud as an array (JWT allows both); jAccount sends a string.
	changed = slices.DeleteFunc(changed, func(p string) bool { return p == "claims.aud" })
	if len(lost)+len(changed) > 0 || c.Type != api.UserTypeStudent || c.Subject != "test-user" {
		t.Errorf("%d claims: lost %v, changed %v; decoded %+v", n, lost, changed, c)
	}
	t.Logf("%d claims, %d lost; re-encoded %s", n, len(lost), b)
}

// TestUnknownUserTypesRoundTrip: an undocumented user type decodes, is not
// Known, and encodes back unchanged; the documented ones, freshman among
// them, are Known.
func TestUnknownUserTypesRoundTrip(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"freshman", "fs", "fszxjs", "team", "schoolFellow", "someday_new"} {
		var p api.Profile
		in := `{"userType":"` + v + `","identities":[{"userType":"` + v + `","status":"休学"}]}`
		if err := json.Unmarshal([]byte(in), &p); err != nil {
			t.Fatal(err)
		}
		out, _ := json.Marshal(p)
		var lost, changed, added []string
		if keyDiff("", decodeNumbers(t, []byte(in)), decodeNumbers(t, out), &lost, &changed, &added); len(lost)+len(changed)+len(added) > 0 {
			t.Errorf("%s: re-encoded %s", in, out)
		}
		if p.UserType.Known() != (v != "someday_new") || p.Identities[0].Status.Known() {
			t.Errorf("%s: Known = %v, status %q Known = %v", v, p.UserType.Known(), p.Identities[0].Status, p.Identities[0].Status.Known())
		}
	}
}
