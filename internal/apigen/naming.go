package apigen

import (
	"fmt"
	"go/token"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// SplitWords splits a camelCase or PascalCase identifier into words:
// "listMyCardTransactions" gives list, My, Card, Transactions and
// "getURLInfo" gives get, URL, Info. Digits stay with the word before them.
// Separators (-, _, space, .) split too and are dropped.
func SplitWords(s string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
	}
	rs := []rune(s)
	for i, r := range rs {
		switch {
		case r == '-' || r == '_' || r == ' ' || r == '.':
			flush()
			continue
		case unicode.IsUpper(r) && len(cur) > 0:
			prev := cur[len(cur)-1]
			nextLower := i+1 < len(rs) && unicode.IsLower(rs[i+1])
			if unicode.IsLower(prev) || unicode.IsDigit(prev) || (unicode.IsUpper(prev) && nextLower) {
				flush()
			}
		}
		cur = append(cur, r)
	}
	flush()
	return words
}

// initialisms are written in capitals in Go names (Go's own list, plus the
// ones jAccount's paths use).
var initialisms = map[string]bool{
	"API": true, "ASCII": true, "CPU": true, "CSS": true, "DNS": true, "EOF": true, "GPA": true,
	"GUID": true, "HTML": true, "HTTP": true, "HTTPS": true, "ID": true, "IP": true, "JSON": true,
	"PDF": true, "QR": true, "SMS": true, "SQL": true, "TLS": true, "TTL": true, "UI": true,
	"UID": true, "URI": true, "URL": true, "UTF8": true, "UUID": true, "XML": true,
}

// spelled are words with a fixed Go spelling.
var spelled = map[string]string{"openid": "OpenID"}

// GoWord capitalises one word the Go way: initialisms in capitals
// ("id" and "Id" give ID), any other word with a capital first letter.
func GoWord(w string) string {
	if w == "" {
		return ""
	}
	if up := strings.ToUpper(w); initialisms[up] {
		return up
	}
	if s, ok := spelled[strings.ToLower(w)]; ok {
		return s
	}
	r, n := utf8.DecodeRuneInString(w)
	return string(unicode.ToUpper(r)) + w[n:]
}

// GoName is the exported Go name of an identifier: its words, each through
// GoWord ("cardNo" gives CardNo, "userId" UserID).
func GoName(s string) string {
	var b strings.Builder
	for _, w := range SplitWords(s) {
		b.WriteString(GoWord(w))
	}
	return b.String()
}

// reservedArgs are the names generated methods use for their own locals
// and receiver, which an argument must not shadow.
var reservedArgs = map[string]bool{"ctx": true, "s": true, "p": true, "q": true, "body": true, "path": true, "err": true}

// ArgName is the Go name of a method argument for a parameter whose Go name
// is goName: goName with a lower-case first word, with "Arg" added when the
// result is a keyword, a predeclared identifier or a generated local.
func ArgName(goName string) string {
	words := SplitWords(goName)
	if len(words) == 0 {
		return "arg"
	}
	words[0] = strings.ToLower(words[0])
	for i := 1; i < len(words); i++ {
		words[i] = GoWord(words[i])
	}
	n := strings.Join(words, "")
	if token.IsKeyword(n) || reservedArgs[n] || predeclared[n] {
		n += "Arg"
	}
	return n
}

var predeclared = map[string]bool{
	"bool": true, "byte": true, "error": true, "float64": true, "int": true, "int64": true, "string": true,
	"true": true, "false": true, "nil": true, "len": true, "cap": true, "new": true, "make": true,
	"append": true, "copy": true, "delete": true, "any": true, "min": true, "max": true, "iota": true,
}

// tagWords are the words of a tag, for the naming rule.
func tagWords(tag string) []string { return SplitWords(tag) }

// sameNoun reports whether a word of an operationId names the same thing as
// a word of a tag, ignoring case and a plural ending: Lesson and lessons,
// Card and card, Category and categories.
func sameNoun(word, tagWord string) bool {
	w, t := strings.ToLower(word), strings.ToLower(tagWord)
	return singular(w) == singular(t)
}

func singular(w string) string {
	switch {
	case strings.HasSuffix(w, "ies") && len(w) > 3:
		return w[:len(w)-3] + "y"
	case strings.HasSuffix(w, "ses") || strings.HasSuffix(w, "xes") || strings.HasSuffix(w, "ches") || strings.HasSuffix(w, "shes"):
		return w[:len(w)-2]
	case strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && len(w) > 1:
		return w[:len(w)-1]
	}
	return w
}

// MethodName applies the naming rule to an operationId and its tag. The
// rule, also written in docs/api.md ("Method names"):
//
//  1. Split the operationId into camelCase words. The first word is the
//     verb; it is capitalised (get → Get, list → List).
//  2. Drop the word "My": the signed-in user is implied by the token.
//  3. Drop the first run of words that names the tag, singular or plural
//     (Lesson or Lessons in tag lessons, Card in tag card).
//  4. The method name is the verb followed by the remaining words, each
//     capitalised, initialisms in capitals (Id → ID).
//
// So getMyProfile in tag profile is Get, listMyCardTransactions in tag card
// is ListTransactions, listMyLessonsBySemester in tag lessons is
// ListBySemester, getUserPositions in tag enterprise is GetUserPositions.
// It returns the verb, the remaining words and the name.
func MethodName(operationID, tag string) (verb string, words []string, name string, err error) {
	if !operationIDRe.MatchString(operationID) {
		return "", nil, "", fmt.Errorf("operationId %q is not lowerCamelCase starting with a verb (like listMyLessons)", operationID)
	}
	all := SplitWords(operationID)
	verb = GoWord(all[0])
	var rest []string
	for _, w := range all[1:] {
		if w != "My" {
			rest = append(rest, w)
		}
	}
	tw := tagWords(tag)
	if len(tw) > 0 {
	search:
		for i := 0; i+len(tw) <= len(rest); i++ {
			for j, t := range tw {
				if !sameNoun(rest[i+j], t) {
					continue search
				}
			}
			rest = append(rest[:i:i], rest[i+len(tw):]...)
			break
		}
	}
	words = make([]string, len(rest))
	for i, w := range rest {
		words[i] = GoWord(w)
	}
	name = verb + strings.Join(words, "")
	if !token.IsIdentifier(name) {
		return "", nil, "", fmt.Errorf("operationId %q gives %q, not a Go identifier", operationID, name)
	}
	return verb, words, name, nil
}

var operationIDRe = regexp.MustCompile(`^[a-z]+([A-Z0-9][A-Za-z0-9]*)?$`)

// verbs are the first words of summaries that the doc comments turn into
// the third person ("Get the profile" → "Get gets the profile").
var verbs = map[string]bool{
	"add": true, "bind": true, "cancel": true, "change": true, "check": true, "configure": true,
	"create": true, "delete": true, "download": true, "fetch": true, "find": true, "freeze": true,
	"get": true, "list": true, "mark": true, "open": true, "pay": true, "post": true, "put": true,
	"query": true, "read": true, "recharge": true, "remove": true, "replace": true, "report": true,
	"return": true, "search": true, "send": true, "set": true, "start": true, "stop": true,
	"transfer": true, "unbind": true, "unfreeze": true, "update": true, "upload": true,
	"validate": true, "verify": true,
}

// ThirdPerson turns an imperative summary into the continuation of a Go doc
// comment's first sentence: "Get the profile" gives "gets the profile". It
// reports false when the summary does not start with a known verb.
func ThirdPerson(summary string) (string, bool) {
	first, rest, _ := strings.Cut(summary, " ")
	lw := strings.ToLower(first)
	if !verbs[lw] {
		return "", false
	}
	var v string
	switch {
	case strings.HasSuffix(lw, "y") && len(lw) > 1 && !strings.ContainsRune("aeiou", rune(lw[len(lw)-2])):
		v = lw[:len(lw)-1] + "ies"
	case strings.HasSuffix(lw, "s") || strings.HasSuffix(lw, "sh") || strings.HasSuffix(lw, "ch") ||
		strings.HasSuffix(lw, "x") || strings.HasSuffix(lw, "z") || strings.HasSuffix(lw, "o"):
		v = lw + "es"
	default:
		v = lw + "s"
	}
	if rest == "" {
		return v, true
	}
	return v + " " + rest, true
}

// ConstName turns a SCREAMING_SNAKE symbol into a Go name:
// ACCESS_TOKEN_EXPIRED gives AccessTokenExpired, GETDATA_NOT_FOUND
// GetdataNotFound.
func ConstName(symbol string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(symbol, func(r rune) bool { return r == '_' || r == '-' || r == ' ' }) {
		b.WriteString(GoWord(strings.ToLower(w)))
	}
	return b.String()
}

// FieldName is the Go name oapi-codegen gives the field of a JSON member:
// the member name with its first letter, and each letter after a separator,
// in capitals, separators dropped ("createDate" gives CreateDate, "id" Id).
// AddModels checks the result against the generated struct.
func FieldName(member string) string {
	var b strings.Builder
	capNext := true
	for _, r := range strings.TrimSpace(member) {
		switch {
		case unicode.IsLetter(r) && capNext:
			b.WriteRune(unicode.ToUpper(r))
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
		capNext = strings.ContainsRune("-_ .+:;~(){}[]", r)
	}
	return b.String()
}
