package jaccounttest

import "net/http"

// discoveryPath is where jAccount serves its OpenID Connect discovery
// document: under the issuer (/oauth2/), not at the host's root, which
// answers 404 (jaccount-evidence.md F17, probed live).
const discoveryPath = "/oauth2/.well-known/openid-configuration"

// DiscoveryURL returns the OpenID Connect discovery document's URL, URL +
// "/oauth2/.well-known/openid-configuration", which OIDC client libraries
// (authlib's server_metadata_url, openid-client's discover) read.
func (s *Server) DiscoveryURL() string { return s.URL + discoveryPath }

// discovery is jAccount's discovery document, member for member as the
// live one, with the fake's issuer and endpoints. Like the live one it
// names no jwks_uri (ID tokens are HS256, keyed by the client secret), no
// userinfo, end_session or revocation endpoint, and no client
// authentication methods. It advertises the implicit and hybrid response
// types the live service does; the fake serves the code flow only.
type discovery struct {
	ResponseTypesSupported           []string `json:"response_types_supported"`
	SubjectTypesSupported            []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported []string `json:"id_token_signing_alg_values_supported"`
	ScopesSupported                  []string `json:"scopes_supported"`
	Issuer                           string   `json:"issuer"`
	AuthorizationEndpoint            string   `json:"authorization_endpoint"`
	TokenEndpoint                    string   `json:"token_endpoint"`
}

// handleDiscovery serves GET /oauth2/.well-known/openid-configuration.
func (s *Server) handleDiscovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, discovery{
		ResponseTypesSupported:           []string{"code", "code id_token", "id_token", "id_token token"},
		SubjectTypesSupported:            []string{"public"},
		IDTokenSigningAlgValuesSupported: []string{"HS256"},
		ScopesSupported:                  []string{"openid", "basic"},
		Issuer:                           s.Issuer(),
		AuthorizationEndpoint:            s.AuthURL(),
		TokenEndpoint:                    s.TokenURL(),
	})
}
