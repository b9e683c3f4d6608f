package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/oauth-jaccount/jaccount-go/gen"
)

// UserType is the jAccount user type ("type" claim, "userType" in the API):
// the one type of package gen, which api.UserType names too. Values outside
// the documented set still decode and keep their raw string; use Known to
// tell them apart.
type UserType = gen.UserType

// The user types jAccount documents (gen's constants): the open API's, then
// the data-resource APIs' codes fsyyjzg and schoolFellow.
const (
	UserTypeFaculty         = gen.UserTypeFaculty         // 教职工
	UserTypeStudent         = gen.UserTypeStudent         // 学生
	UserTypeYXY             = gen.UserTypeYXY             // 医学院教职工
	UserTypeFS              = gen.UserTypeFS              // 附属单位职工
	UserTypeVIP             = gen.UserTypeVIP             // 贵宾
	UserTypePostPhD         = gen.UserTypePostPhD         // 博士后
	UserTypeExternalTeacher = gen.UserTypeExternalTeacher // 外聘教师
	UserTypeSummer          = gen.UserTypeSummer          // 暑期生
	UserTypeAlumni          = gen.UserTypeAlumni          // 校友
	UserTypeGreen           = gen.UserTypeGreen           // 绿色通道
	UserTypeOutside         = gen.UserTypeOutside         // 合作交流
	UserTypeFSZXJS          = gen.UserTypeFSZXJS          // 附属中学教师
	UserTypeFreshman        = gen.UserTypeFreshman        // 新生
	UserTypeTeam            = gen.UserTypeTeam            // 集体账号
	UserTypeFSYYJZG         = gen.UserTypeFSYYJZG         // 附属单位职工 (data-resource APIs)
	UserTypeSchoolFellow    = gen.UserTypeSchoolFellow    // 校友 (data-resource APIs)
)

// knownUserTypes are the documented user types, for tests.
var knownUserTypes = []UserType{
	UserTypeFaculty, UserTypeStudent, UserTypeYXY, UserTypeFS, UserTypeVIP, UserTypePostPhD,
	UserTypeExternalTeacher, UserTypeSummer, UserTypeAlumni, UserTypeGreen, UserTypeOutside, UserTypeFSZXJS,
	UserTypeFreshman, UserTypeTeam, UserTypeFSYYJZG, UserTypeSchoolFellow,
}

// IDTokenClaims are the claims of a jAccount ID token. Its JSON form is the
// JWT wire form (exp and iat in UNIX seconds, aud a string or an array), so
// it can also decode a raw claims payload. Decoding alone validates nothing;
// see Config.VerifyIDToken. Claims verified by VerifyIDToken keep the whole
// payload, which their JSON form is, so Claims reads claims this struct does
// not name, also after a FileStore round trip.
type IDTokenClaims struct {
	// Issuer ("iss") is the issuer, https://jaccount.sjtu.edu.cn/oauth2/.
	Issuer string
	// Subject ("sub") is the jAccount username.
	Subject string
	// Audience ("aud") holds the client ids the token is for.
	Audience []string
	// AuthorizedParty ("azp") is the client id the token was issued to,
	// when the provider sends it (required with several audiences).
	AuthorizedParty string
	// Nonce ("nonce") echoes the authorize request's nonce.
	Nonce string
	// ExpiresAt ("exp") is when the ID token expires.
	ExpiresAt time.Time
	// IssuedAt ("iat") is when the ID token was issued.
	IssuedAt time.Time
	// Name ("name") is the user's real name.
	Name string
	// Code ("code") is the student or staff number of the default identity; often empty.
	Code string
	// Type ("type") is the user type of the default identity.
	Type UserType

	// raw is the payload the claims were decoded from, if any.
	raw json.RawMessage
}

// Claims decodes the claims payload into v, like go-oidc's IDToken.Claims:
// use it for claims the struct does not name. Claims without a payload
// (built in code) decode from their JSON form.
func (c *IDTokenClaims) Claims(v any) error {
	if v == nil {
		return errors.New("auth: IDTokenClaims.Claims: nil target")
	}
	b := []byte(c.raw)
	if b == nil {
		var err error
		if b, err = json.Marshal(c.wire()); err != nil {
			return err
		}
	}
	return json.Unmarshal(b, v)
}

// wireClaims is the JWT payload; it implements jwt.Claims through the
// embedded RegisteredClaims and jwt.ClaimsValidator through Validate.
type wireClaims struct {
	jwt.RegisteredClaims
	AuthorizedParty string     `json:"azp,omitempty"`
	Nonce           string     `json:"nonce,omitempty"`
	Name            string     `json:"name,omitempty"`
	Code            flexString `json:"code,omitempty"`
	Type            UserType   `json:"type,omitempty"`
}

// Validate adds the checks jwt.Validator leaves optional.
func (w *wireClaims) Validate() error {
	var errs []error
	if w.Subject == "" {
		errs = append(errs, fmt.Errorf("%w: sub", jwt.ErrTokenRequiredClaimMissing))
	}
	if w.IssuedAt == nil {
		errs = append(errs, fmt.Errorf("%w: iat", jwt.ErrTokenRequiredClaimMissing))
	}
	return errors.Join(errs...)
}

// flexString accepts a JSON string or number, since some identity codes are
// numeric.
type flexString string

// UnmarshalJSON accepts "123" and 123 alike.
func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] != '"' {
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*f = flexString(n)
		return nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	*f = flexString(s)
	return err
}

func numericDate(t time.Time) *jwt.NumericDate {
	if t.IsZero() {
		return nil
	}
	return jwt.NewNumericDate(t)
}

func dateOf(d *jwt.NumericDate) time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.Time
}

func (w *wireClaims) claims() *IDTokenClaims {
	return &IDTokenClaims{
		Issuer:          w.Issuer,
		Subject:         w.Subject,
		Audience:        []string(w.Audience),
		AuthorizedParty: w.AuthorizedParty,
		Nonce:           w.Nonce,
		ExpiresAt:       dateOf(w.ExpiresAt),
		IssuedAt:        dateOf(w.IssuedAt),
		Name:            w.Name,
		Code:            string(w.Code),
		Type:            w.Type,
	}
}

func (c *IDTokenClaims) wire() *wireClaims {
	return &wireClaims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    c.Issuer,
			Subject:   c.Subject,
			Audience:  jwt.ClaimStrings(c.Audience),
			ExpiresAt: numericDate(c.ExpiresAt),
			IssuedAt:  numericDate(c.IssuedAt),
		},
		AuthorizedParty: c.AuthorizedParty,
		Nonce:           c.Nonce,
		Name:            c.Name,
		Code:            flexString(c.Code),
		Type:            c.Type,
	}
}

// namedClaims are the payload members IDTokenClaims has fields for.
var namedClaims = []string{"iss", "sub", "aud", "azp", "nonce", "exp", "iat", "name", "code", "type"}

// MarshalJSON encodes the claims in JWT wire form: the fields, plus the
// payload's other members when the claims were decoded from one.
func (c IDTokenClaims) MarshalJSON() ([]byte, error) {
	known, err := json.Marshal(c.wire())
	if err != nil || c.raw == nil {
		return known, err
	}
	var all map[string]json.RawMessage
	if json.Unmarshal(c.raw, &all) != nil {
		return known, nil
	}
	for _, name := range namedClaims {
		delete(all, name)
	}
	if len(all) == 0 {
		return known, nil
	}
	if err := json.Unmarshal(known, &all); err != nil {
		return nil, err
	}
	return json.Marshal(all)
}

// UnmarshalJSON decodes a JWT claims payload, keeping it for Claims; aud
// may be a string or an array.
func (c *IDTokenClaims) UnmarshalJSON(b []byte) error {
	var w wireClaims
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*c = *w.claims()
	c.raw = bytes.Clone(b)
	return nil
}
