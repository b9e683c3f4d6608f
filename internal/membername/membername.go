// Package membername tells a plausible member name of a JSON object from
// a key that is data: digits, a UUID, an e-mail address, an account. A
// shape report (internal/shape) and the api package's drift signals write
// a key that is data as "*", never as it is.
package membername

import (
	"regexp"
	"strings"
)

// Placeholder stands, in a member path, for the object keys that look like
// data rather than names.
const Placeholder = "*"

// The forms of a key that is a plausible member name: camelCase with at
// least one hump (photoUrl, sha1Hash, dateTimAccount), snake_case with at
// least one underscore (access_token), UPPER_SNAKE (the data resources'
// XSLBMC, UPDATE_TIMESTAMP). A lower-case word without a hump (zhangsan,
// lisi) is a name only when the spec or the vocabulary below knows it: an
// account is a lower-case word too.
var (
	camelRE = regexp.MustCompile(`^[a-z]+[0-9]?(?:[A-Z][a-z0-9]*)+$`)
	snakeRE = regexp.MustCompile(`^[a-z]+(?:_[a-z0-9]+)+$`)
	upperRE = regexp.MustCompile(`^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$`)
	runRE   = regexp.MustCompile(`[0-9]{3,}`)
)

// MaxLen bounds the length of a plausible name.
const MaxLen = 40

// vocabulary are lower-case words common as member names, beyond those the
// spec names (Names), and their plurals: a member a reply adds tomorrow is
// most likely one of them or camelCase. A word that is also an account
// (admin, guest) says nothing of a person.
var vocabulary = wordSet(`abstract accept access account action active activity actor added addr address admin after age agent agree
alert alias all allow amount answer api app apply approve approved approver apps area article assign attach
attachment attachments attributes audit auth author auto available avatar award background badge balance bank
base batch before begin bind birth birthday block board body book brand browser budget build building bus
business cache campus cancel capacity card cart cash catalog category cause center chain change channel
channels chapter charge chat check child children choice city claim class classes classroom clazz client close
cluster code college color column command comment company complete config confirm consume contact content
contract copy cost count counter country coupon course courses cover create created creator credit currency
current customer daily data date day deadline debit default degree delay delete deleted department deposit
dept depth description design detail details device digest direction disabled discount display district doc
document domain done draft duration duty edit editor education effective email enable enabled end enroll
entities entity entry environment errno error event exam exams expire expired expires export extension
external extra face faculty family fax feature fee feedback field file files filter finance finish first flag
flags floor folder follow force form format forward free frequency friend from fund gate gender grade graduate
group groups guest hash head header health height help hidden hint history holiday home host hour html icon id
identity image images import income index info input instance institute interval invoice issue item items job
join key kind label labels lang language last latitude leader length level library license limit line link
links list load local location lock locked log login logo longitude lost major manager mark market master
match max media member members memo menu merchant message messages meta method middle mime min minor minute
mobile mode model modified module money month more name names nation network new next nick nickname node note
notes notice number object office offline old online open operator option options order organize origin owner
page paid parent part party pass password path pay payment percent period permission person phone phones photo
pin place plan platform point policy pool port position positions post prefix present preview price primary
priority private process product profile program progress project province public publish purpose qrcode
quantity query queue quota range rank rate reader reason receipt receive receiver record reference refund
region register remain remark repeat reply report request required reserve resource response result results
review reward role roles room round rule sales scale scene schedule schema school scope score scores seat
second secret section sector secure select semester sender serial server service session setting sex share
shop short show sign signature site size skill slot source space speaker staff stage standard start state
station status step stock store student style subject submit success suffix summary supplier support surname
switch symbol system table tag tags target task teacher teachers team tel template tenant term text theme
thumb ticket time timeout timestamp timezone tip title to token tool topic total track trade train transaction
transfer trigger type types unit unread update updated upload uri url usage user username users valid value
values vendor verify version video view visible visit volume vote wallet warning web week weight width window
word work year zone`)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range regexp.MustCompile(`\s+`).Split(s, -1) {
		if w != "" {
			m[w] = true
		}
	}
	return m
}

// Plausible reports whether key is a plausible member name, which a report
// may hold, rather than data, which it writes as Placeholder. known are
// names that count as plausible whatever they look like (the member names
// the spec uses anywhere); nil is none.
func Plausible(key string, known map[string]bool) bool {
	if known[key] {
		return true
	}
	if len(key) == 0 || len(key) > MaxLen || runRE.MatchString(key) {
		return false
	}
	return vocabulary[key] || vocabulary[singular(key)] || camelRE.MatchString(key) || snakeRE.MatchString(key) ||
		upperRE.MatchString(key)
}

// singular drops a plural ending: phones, classes, categories.
func singular(w string) string {
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 4:
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ses") || strings.HasSuffix(w, "xes") || strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss"):
		return w[:len(w)-1]
	}
	return w
}
