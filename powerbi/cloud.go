package powerbi

import (
	"fmt"
	"strings"
)

// Cloud is a Power BI cloud: the public one or a national cloud
// (DOMAIN.md §5). The zero value is the public cloud. Its text form is its
// name, so a Cloud can sit in a config file.
type Cloud string

// The clouds.
const (
	CloudPublic    Cloud = "public"
	CloudUSGov     Cloud = "usgov"     // US Government Community Cloud
	CloudUSGovHigh Cloud = "usgovhigh" // US Government Community Cloud High
	CloudUSGovDoD  Cloud = "usgovdod"  // US Department of Defense
	CloudChina     Cloud = "china"     // operated by 21Vianet
)

type cloudInfo struct{ apiHost, resource, loginHost string }

func (c Cloud) info() (cloudInfo, bool) {
	switch c {
	case CloudPublic, "":
		return cloudInfo{"api.powerbi.com", "https://analysis.windows.net/powerbi/api", "login.microsoftonline.com"}, true
	case CloudUSGov:
		return cloudInfo{"api.powerbigov.us", "https://analysis.usgovcloudapi.net/powerbi/api", "login.microsoftonline.com"}, true
	case CloudUSGovHigh:
		return cloudInfo{"api.high.powerbigov.us", "https://high.analysis.usgovcloudapi.net/powerbi/api", "login.microsoftonline.us"}, true
	case CloudUSGovDoD:
		return cloudInfo{"api.mil.powerbigov.us", "https://mil.analysis.usgovcloudapi.net/powerbi/api", "login.microsoftonline.us"}, true
	case CloudChina:
		return cloudInfo{"api.powerbi.cn", "https://analysis.chinacloudapi.cn/powerbi/api", "login.chinacloudapi.cn"}, true
	}
	return cloudInfo{}, false
}

// Clouds returns every cloud, the public one first.
func Clouds() []Cloud {
	return []Cloud{CloudPublic, CloudUSGov, CloudUSGovHigh, CloudUSGovDoD, CloudChina}
}

// ParseCloud returns the cloud named s ("public", "usgov", "usgovhigh",
// "usgovdod", "china"; case-insensitive; "" is public).
func ParseCloud(s string) (Cloud, error) {
	c := Cloud(strings.ToLower(strings.TrimSpace(s)))
	if c == "" {
		return CloudPublic, nil
	}
	if _, ok := c.info(); !ok {
		return "", fmt.Errorf("powerbi: unknown cloud %q: one of public, usgov, usgovhigh, usgovdod, china", s)
	}
	return c, nil
}

// String returns the cloud's name ("public" for the zero value).
func (c Cloud) String() string {
	if c == "" {
		return string(CloudPublic)
	}
	return string(c)
}

// MarshalText returns the cloud's name.
func (c Cloud) MarshalText() ([]byte, error) {
	if _, ok := c.info(); !ok {
		return nil, fmt.Errorf("powerbi: unknown cloud %q", string(c))
	}
	return []byte(c.String()), nil
}

// UnmarshalText parses a cloud's name.
func (c *Cloud) UnmarshalText(b []byte) error {
	v, err := ParseCloud(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Valid reports whether c is a known cloud.
func (c Cloud) Valid() bool { _, ok := c.info(); return ok }

// APIHost is the REST API's host, e.g. "api.powerbi.com".
func (c Cloud) APIHost() string { i, _ := c.info(); return i.apiHost }

// BaseURL is the REST API's base for the signed-in user:
// "https://<APIHost>/v1.0/myorg".
func (c Cloud) BaseURL() string { return "https://" + c.APIHost() + "/v1.0/myorg" }

// Resource is the token audience, e.g. "https://analysis.windows.net/powerbi/api".
func (c Cloud) Resource() string { i, _ := c.info(); return i.resource }

// Scope is the OAuth scope a token for the API asks for: Resource + "/.default".
func (c Cloud) Scope() string { return c.Resource() + "/.default" }

// LoginHost is the Microsoft Entra ID host of the cloud, e.g.
// "login.microsoftonline.com".
func (c Cloud) LoginHost() string { i, _ := c.info(); return i.loginHost }

// Authority is the authority URL for a tenant ("organizations" when
// tenant is empty): "https://<LoginHost>/<tenant>".
func (c Cloud) Authority(tenant string) string {
	if tenant == "" {
		tenant = "organizations"
	}
	return "https://" + c.LoginHost() + "/" + tenant
}
