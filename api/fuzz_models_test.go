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
		// The shapes of evidence round 3 (placeholders), a right's parent a
		// right itself.
		`{"id":"R1","name":"Right name","code":"RIGHT_CODE","description":"","parent":{"id":"R0","code":"P","parent":null,"x":[]}}`,
		`{"day":"2000-01-01","type":0}`,
		`{"code":"PAYCODE","message":"","showIcon":false,"status":0,"offlineCodes":["CODE1","CODE2"],"offlineCodesExp":946684800}`,
		`{"status":0,"code":"C","ec":"","icon":"I","actionUrl":"https://example.invalid/","showIcon":true,"slowMessage":"m"}`,
		`{"id":"00000000-0000-0000-0000-000000000000","name":"file.pdf","kind":"KIND","sha1Hash":"00","createTime":0,"lastModified":1}`,
	} {
		for which := range byte(9) {
			f.Add([]byte(s), which)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, which byte) {
		var v any
		switch which % 9 {
		case 0:
			v = new(api.Profile)
		case 1:
			v = new(api.CardInfo)
		case 2:
			v = new(api.Lesson)
		case 3:
			v = new(api.CardTransaction)
		case 4:
			v = new(api.UserRight)
		case 5:
			v = new(api.SchoolCalendar)
		case 6:
			v = new(api.UnicodePay)
		case 7:
			v = new(api.Unicode)
		default:
			v = new(api.FileInfo)
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
