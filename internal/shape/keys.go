package shape

import "github.com/oauth-jaccount/jaccount-go/internal/membername"

// Placeholder stands, in a member path, for the object keys that look like
// data rather than names.
const Placeholder = membername.Placeholder

// nameKey reports whether key is a plausible member name, which a report
// may hold, rather than data, which it collapses to Placeholder. known are
// the member names the spec uses anywhere (all reportable).
func nameKey(key string, known map[string]bool) bool { return membername.Plausible(key, known) }
