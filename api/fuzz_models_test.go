package api_test

import (
	"encoding/json"
	"testing"

	"github.com/oauth-jaccount/jaccount-go/api"
)

// FuzzModelRoundTrip decodes untrusted JSON into the models and encodes it
// back: whatever decodes must re-encode to the same members with the same
// values (no key lost, changed or added), unknown and zero-valued members
// included, and nothing may panic.
func FuzzModelRoundTrip(f *testing.F) {
	for _, s := range []string{
		`{"id":"A","account":"a","userType":"freshman","organize":{},"identities":[],"timeZone":0,"futureField":{"x":[1,"新"]}}`,
		`{"account":"team","birthday":{"birthYear":"2000","birthMonth":"01","birthDay":"02","extra":1},"identities":[{"createDate":1659492695,"status":"正常","topOrganizes":[]}]}`,
		`{"user":{"name":"张三","organize":{"name":"网络信息中心"},"timeZone":0},"cardNo":"12345","bankNo":"","expireDate":"20600101","transBalance":0,"lost":false,"frozen":false}`,
		`{"name":"x","bsid":"","credits":2.5,"hours":32,"organize":{"id":null,"name":null},"teachers":[{"name":"高","code":"1"}]}`,
		`{"dateTime":1623835790000,"amount":-18,"merchantNo":"","cardBalance":1.68,"n":12345678901234567890}`,
		`{}`, `null`, `[]`, `{"id":1}`,
	} {
		f.Add([]byte(s), byte(0))
		f.Add([]byte(s), byte(1))
		f.Add([]byte(s), byte(2))
		f.Add([]byte(s), byte(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, which byte) {
		var v any
		switch which % 4 {
		case 0:
			v = new(api.Profile)
		case 1:
			v = new(api.CardInfo)
		case 2:
			v = new(api.Lesson)
		default:
			v = new(api.CardTransaction)
		}
		if json.Unmarshal(data, v) != nil {
			return
		}
		var in map[string]any
		if json.Unmarshal(data, &in) != nil || in == nil {
			return // null decodes into a model and is not an object
		}
		out, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: decoded but does not encode: %v", data, err)
		}
		var lost, changed, added []string
		keyDiff("", decodeNumbers(t, data), decodeNumbers(t, out), &lost, &changed, &added)
		if len(lost)+len(changed)+len(added) > 0 {
			t.Fatalf("%s re-encoded as %s: lost %v, changed %v, added %v", data, out, lost, changed, added)
		}
	})
}
