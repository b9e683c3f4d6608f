package api

// envelopeErrno finds the errno member of the JSON object in data without
// decoding it (envelopeMember) and reads it as an integer. It reports false
// when data is not an object, has no such member before a syntax error, or
// its value is not an integer.
//
// It exists so that the transport can tell a rejected token in a reply of
// any status (jAccount answers an invalid token with HTTP 200 and errno
// 10002, evidence E11) without a second full decode of every reply:
// jAccount writes errno first, so a successful reply costs a few bytes'
// scan. A reply with errno twice is read by its first here and by its last
// in decode; the worst that can do is one refresh too many or too few.
func envelopeErrno(data []byte) (int, bool) {
	v, ok := envelopeMember(data, "errno")
	if !ok {
		return 0, false
	}
	return jsonScan(v).integer(0)
}

// envelopeMember returns the raw value of the first member of the JSON
// object in data named name (in any ASCII case, as encoding/json matches
// it; name is lower case), without decoding anything: it walks the
// top-level members, skipping each value unparsed. It reports false when
// data is not an object or has no such member before a syntax error. It
// checks brackets and strings only: whatever else is malformed, decode
// reports.
func envelopeMember(data []byte, name string) ([]byte, bool) {
	b := jsonScan(data)
	i := b.space(0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	i++
	for {
		i = b.space(i)
		if i >= len(b) || b[i] != '"' {
			return nil, false // '}' (no such member), or not JSON
		}
		start := i + 1
		end := b.str(i)
		if end < 0 {
			return nil, false
		}
		key := b[start : end-1]
		i = b.space(end)
		if i >= len(b) || b[i] != ':' {
			return nil, false
		}
		i = b.space(i + 1)
		vend := b.value(i)
		if vend < 0 {
			return nil, false
		}
		if asciiFold(key, name) {
			return data[i:vend], true
		}
		i = b.space(vend)
		if i >= len(b) || b[i] != ',' {
			return nil, false
		}
		i++
	}
}

// jsonScan is a reply body that envelopeMember walks.
type jsonScan []byte

// asciiFold reports whether a member name (as written, escapes not
// decoded) is lower, a lower-case ASCII name, in any case.
func asciiFold(key []byte, lower string) bool {
	if len(key) != len(lower) {
		return false
	}
	for k, c := range key {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[k] {
			return false
		}
	}
	return true
}

// integer reads b[i:], all of it, as a JSON integer of at most 18 digits
// (beyond any errno, and no overflow).
func (b jsonScan) integer(i int) (int, bool) {
	neg := i < len(b) && b[i] == '-'
	if neg {
		i++
	}
	n, digits := 0, 0
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if digits++; digits > 18 {
			return 0, false
		}
		n = n*10 + int(b[i]-'0')
	}
	if digits == 0 || i != len(b) {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// value returns the index just past the JSON value at b[i:], or -1 when
// it does not end. It checks brackets and strings only: whatever else is
// malformed in a value, decode reports.
func (b jsonScan) value(i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return b.str(i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				if i = b.str(i); i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	}
	// A number or a literal runs to the next separator.
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && !jsonSpace(b[i]) {
		i++
	}
	return i
}

// str returns the index just past the string whose opening quote is
// at b[i], or -1 when it does not end.
func (b jsonScan) str(i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// space returns the index of the first byte at or after i that is not
// JSON white space.
func (b jsonScan) space(i int) int {
	for i < len(b) && jsonSpace(b[i]) {
		i++
	}
	return i
}

func jsonSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
