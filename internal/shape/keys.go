package shape

import "regexp"

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

// maxKey bounds a reported key's length.
const maxKey = 40

// vocabulary are lower-case words common as member names, beyond those the
// spec names (Names): a member a reply adds tomorrow is most likely one of
// them or camelCase.
var vocabulary = wordSet(`abstract account action active address age alias amount app apps area attachment
attachments attributes author avatar background balance begin birthday body building campus category
channel channels child children city class classes classroom code college color comment content count
country course courses created creator currency data date day deadline default deleted department dept
description detail details device disabled district domain duration email enabled end entities entity error
errno expire expired expires extra fee file files flag flags format from gender grade group groups hash
height hidden html icon id image images index info items key kind label labels lang language level link
links list location locked lost major message messages meta mime mobile mode modified money month name
names nation note notes offline online options order organize owner page parent path period phone photo
place position positions post price province rank reason remark result results role roles room schedule
school score scores seat secure semester sex sign signature site size source start state status subject summary
supplier system tag tags target teacher teachers tel term text thumb time timestamp timezone title to
token total type types unit updated uri url user users valid value values version visible week weight
width year`)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range regexp.MustCompile(`\s+`).Split(s, -1) {
		if w != "" {
			m[w] = true
		}
	}
	return m
}

// nameKey reports whether key is a plausible member name, which a report
// may hold, rather than data, which it collapses to Placeholder. known are
// the member names the spec uses anywhere (all reportable).
func nameKey(key string, known map[string]bool) bool {
	if known[key] {
		return true
	}
	if len(key) == 0 || len(key) > maxKey || runRE.MatchString(key) {
		return false
	}
	return vocabulary[key] || camelRE.MatchString(key) || snakeRE.MatchString(key) || upperRE.MatchString(key)
}
