package jaccounttest

import (
	"fmt"
	"slices"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/oauth-jaccount/jaccount-go/openapi"
)

// specInfo is what the fake derives from openapi/jaccount.yaml.
type specInfo struct {
	// security maps a route pattern such as "GET /v1/me/profile" to the
	// operation's security requirements: alternatives, each a list of
	// scopes that must all be granted. An empty alternative needs no scope.
	security map[string][][]string
	// scopes is the set of scopes the spec declares.
	scopes map[string]bool
}

var loadSpec = sync.OnceValues(func() (*specInfo, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openapi.Spec)
	if err != nil {
		return nil, fmt.Errorf("jaccounttest: load the embedded OpenAPI spec: %w", err)
	}
	info := &specInfo{security: map[string][][]string{}, scopes: map[string]bool{}}
	for _, scheme := range doc.Components.SecuritySchemes {
		if scheme.Value == nil || scheme.Value.Flows == nil {
			continue
		}
		for _, flow := range []*openapi3.OAuthFlow{scheme.Value.Flows.AuthorizationCode, scheme.Value.Flows.ClientCredentials} {
			if flow != nil {
				for s := range flow.Scopes {
					info.scopes[s] = true
				}
			}
		}
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			reqs := doc.Security
			if op.Security != nil {
				reqs = *op.Security
			}
			var alts [][]string
			for _, req := range reqs {
				var all []string
				for _, scopes := range req {
					all = append(all, scopes...)
				}
				alts = append(alts, all)
			}
			info.security[method+" "+path] = alts
		}
	}
	return info, nil
})

// allowed reports whether granted satisfies one of the alternatives. No
// alternatives at all means the operation is open to any valid token.
func allowed(alts [][]string, granted []string) bool {
	if len(alts) == 0 {
		return true
	}
	for _, alt := range alts {
		if !slices.ContainsFunc(alt, func(s string) bool { return !slices.Contains(granted, s) }) {
			return true
		}
	}
	return false
}
