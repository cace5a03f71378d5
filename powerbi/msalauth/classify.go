package msalauth

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	msalerrors "github.com/AzureAD/microsoft-authentication-library-for-go/apps/errors"

	"github.com/starinsight/starinsight/powerbi"
)

// ServiceError is an error response of Microsoft Entra ID, reduced to what
// helps a person: the HTTP status, the OAuth error ("invalid_grant"), the
// AADSTS codes, the first line of the description and the ids Microsoft
// support asks for. It is the Err of an [powerbi.AuthError] that Entra ID
// caused. It replaces MSAL's own error, which keeps the HTTP request (and
// with it a way to rebuild the form holding the client secret).
type ServiceError struct {
	StatusCode    int    // HTTP status, e.g. 400
	OAuthError    string // the OAuth "error" field, e.g. "invalid_grant"
	Codes         []int  // the "error_codes" field, e.g. [700082]
	Description   string // the first line of "error_description"
	TraceID       string
	CorrelationID string
}

func (e *ServiceError) Error() string {
	var b strings.Builder
	b.WriteString("Entra ID answered HTTP ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if e.OAuthError != "" {
		b.WriteString(" ")
		b.WriteString(e.OAuthError)
	}
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	if e.TraceID != "" || e.CorrelationID != "" {
		b.WriteString(" (trace ID ")
		b.WriteString(orDash(e.TraceID))
		b.WriteString(", correlation ID ")
		b.WriteString(orDash(e.CorrelationID))
		b.WriteString(")")
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// ErrCacheCorrupt is matched (errors.Is) by the error for a token cache file
// that cannot be decoded. See the package documentation for what happens
// to such a file.
var ErrCacheCorrupt = errors.New("msalauth: the token cache file is corrupt")

// rule is one row of the classification table.
type rule struct {
	kind powerbi.AuthErrorKind
	hint string
}

// Hints are sentences for the person running the PBX: what happened, then
// what to do.
const (
	hintRelogin      = "Sign in to Power BI again."
	hintCheckCloud   = "Check the Power BI cloud setting (public, usgov, usgovhigh, usgovdod or china): the account or tenant belongs to another cloud, or the tenant id is wrong."
	hintRotateSecret = "Create a new client secret for the app registration in the Microsoft Entra admin center and put its Value (not its Secret ID) in the configuration."
)

// codeRules maps AADSTS codes to what they need. Sources: Microsoft's
// "Microsoft Entra authentication and authorization error codes" page.
var codeRules = map[int]rule{
	// Re-login: the refresh token is no longer good for this user.
	50173:  {powerbi.AuthReloginNeeded, "The sign-in was revoked (a password change or an administrator revoked the sessions). " + hintRelogin},
	700082: {powerbi.AuthReloginNeeded, "The sign-in expired because it was not used for a long time (90 days). " + hintRelogin},
	70043:  {powerbi.AuthReloginNeeded, "The sign-in expired under the tenant's sign-in frequency policy. " + hintRelogin},
	50076:  {powerbi.AuthReloginNeeded, "Multi-factor authentication is required. Sign in to Power BI again and complete the multi-factor prompt."},
	50079:  {powerbi.AuthReloginNeeded, "The account must register for multi-factor authentication. Sign in to Power BI again and complete the registration."},
	50078:  {powerbi.AuthReloginNeeded, "The multi-factor authentication expired. Sign in to Power BI again and complete the multi-factor prompt."},
	50132:  {powerbi.AuthReloginNeeded, "The session ended because the password changed. " + hintRelogin},
	50133:  {powerbi.AuthReloginNeeded, "The session ended because the password expired or changed. " + hintRelogin},
	70020:  {powerbi.AuthReloginNeeded, "The sign-in code expired before it was entered. Start the sign-in again and enter the code within 15 minutes."},
	// Pending: device code not entered yet.
	70016: {powerbi.AuthPending, "The sign-in is waiting for the code to be entered at the verification page."},
	// Configuration.
	90051:   {powerbi.AuthConfiguration, hintCheckCloud},
	90002:   {powerbi.AuthConfiguration, "The tenant was not found. Check the tenant id, and check the Power BI cloud setting: the tenant may belong to another cloud."},
	900023:  {powerbi.AuthConfiguration, "The tenant id is not valid. Use the directory (tenant) id GUID or a verified domain such as contoso.onmicrosoft.com."},
	700016:  {powerbi.AuthConfiguration, "The application (client) id is not known in this tenant. Check the client id, the tenant id and the Power BI cloud setting."},
	7000215: {powerbi.AuthConfiguration, "The client secret is wrong. " + hintRotateSecret},
	7000222: {powerbi.AuthConfiguration, "The client secret has expired. " + hintRotateSecret},
	700027:  {powerbi.AuthConfiguration, "The certificate is not registered with the app registration, or the key does not match it. Upload the certificate (public part) to the app registration under Certificates & secrets."},
	700024:  {powerbi.AuthConfiguration, "The signed request is outside its valid time. Check that this computer's clock is correct."},
	7000218: {powerbi.AuthConfiguration, "The app registration does not allow the device-code sign-in. In the Microsoft Entra admin center, open the app registration, Authentication, and set 'Allow public client flows' to Yes."},
	50194:   {powerbi.AuthConfiguration, "The app registration is single-tenant. Set the tenant id in the configuration instead of 'organizations'."},
	// Administrator action.
	650052:  {powerbi.AuthAdminAction, "Power BI is not enabled for this organization (no Power BI subscription or licence). A tenant administrator must enable Power BI or assign a licence, then sign in again."},
	65001:   {powerbi.AuthAdminAction, "The application has not been granted the Power BI permissions. A tenant administrator must grant admin consent for the app registration's API permissions."},
	53003:   {powerbi.AuthAdminAction, "A conditional-access policy blocked the sign-in. A tenant administrator must allow it (the Entra sign-in logs name the policy)."},
	500011:  {powerbi.AuthAdminAction, "The Power BI service is not set up in this tenant, or the Power BI cloud setting is wrong. A tenant administrator must sign up for Power BI, or check the cloud setting."},
	7000112: {powerbi.AuthAdminAction, "The application is disabled in this tenant. A tenant administrator must enable it."},
	50057:   {powerbi.AuthAdminAction, "The user account is disabled. A tenant administrator must enable it, or sign in with another account."},
}

// oauthRules classify by the OAuth error string when no AADSTS code is
// known.
var oauthRules = map[string]rule{
	"authorization_pending":   {powerbi.AuthPending, "The sign-in is waiting for the code to be entered at the verification page."},
	"slow_down":               {powerbi.AuthPending, "The sign-in is waiting for the code to be entered at the verification page."},
	"expired_token":           {powerbi.AuthReloginNeeded, "The sign-in code expired before it was entered. Start the sign-in again and enter the code within 15 minutes."},
	"authorization_declined":  {powerbi.AuthReloginNeeded, "The sign-in was declined at the verification page. Start the sign-in again and accept it."},
	"bad_verification_code":   {powerbi.AuthReloginNeeded, "The sign-in code was not recognised. Start the sign-in again."},
	"invalid_grant":           {powerbi.AuthReloginNeeded, hintRelogin},
	"interaction_required":    {powerbi.AuthReloginNeeded, hintRelogin},
	"consent_required":        {powerbi.AuthAdminAction, "The application has not been granted the Power BI permissions. A tenant administrator must grant admin consent for the app registration's API permissions."},
	"invalid_client":          {powerbi.AuthConfiguration, "The application's credentials were refused. Check the client id and the client secret or certificate."},
	"unauthorized_client":     {powerbi.AuthConfiguration, "The application is not allowed to use this sign-in method. Check the app registration."},
	"invalid_scope":           {powerbi.AuthConfiguration, "The Power BI scope was refused. Check the Power BI cloud setting."},
	"temporarily_unavailable": {powerbi.AuthTransient, "Microsoft Entra ID is temporarily unavailable. The request will be retried."},
	"server_error":            {powerbi.AuthTransient, "Microsoft Entra ID had an internal error. The request will be retried."},
}

const (
	hintNetwork    = "Microsoft Entra ID could not be reached (network, DNS, proxy or firewall). The request will be retried; if it keeps failing, check this computer's internet access."
	hintCancelled  = "The sign-in request was cancelled or timed out. It will be retried."
	hintOverloaded = "Microsoft Entra ID is busy or unavailable. The request will be retried."
	hintTLS        = "The certificate of the Microsoft Entra ID sign-in host is not trusted here (often a proxy that inspects TLS). Install the proxy's CA certificate on this computer, or check the sign-in authority setting."
	hintUnknown    = "The sign-in failed for a reason this program does not know. Check the configuration, and read Entra ID's code and message that follow."
	hintCorrupt    = "The token cache file is damaged. Sign in to Power BI again: the sign-in sets the damaged file aside and starts a new one."
)

var aadstsRE = regexp.MustCompile(`AADSTS(\d{4,8})`)

// Classify turns an error from MSAL (or from this package) into an
// [powerbi.AuthError] saying who must act: see the table in the package
// documentation. It returns nil for nil and err itself when it already is
// an *powerbi.AuthError.
//
// Errors Classify does not recognise are configuration errors, not
// transient ones, so that a permanent failure stops and is shown instead of
// being retried forever; only network errors, timeouts, HTTP 429 and 5xx
// count as transient.
//
// The result never holds MSAL's HTTP error: Entra ID's answer becomes a
// [*ServiceError], so no request (with a secret in its form) stays
// reachable through errors.As, and a reply MSAL could not decode (whose
// text quotes the reply, tokens included) is replaced by a plain message.
func Classify(err error) *powerbi.AuthError {
	if err == nil {
		return nil
	}
	var ae *powerbi.AuthError
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, ErrCacheCorrupt) {
		return &powerbi.AuthError{Kind: powerbi.AuthReloginNeeded, Hint: hintCorrupt, Err: err}
	}
	if se := serviceError(err); se != nil {
		return classifyService(se)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &powerbi.AuthError{Kind: powerbi.AuthTransient, Hint: hintCancelled, Err: contextErr(err)}
	}
	if isTLSTrust(err) {
		return &powerbi.AuthError{Kind: powerbi.AuthConfiguration, Hint: hintTLS, Err: networkErr(err)}
	}
	if isNetwork(err) {
		return &powerbi.AuthError{Kind: powerbi.AuthTransient, Hint: hintNetwork, Err: networkErr(err)}
	}
	var bad msalerrors.InvalidJsonErr
	if errors.As(err, &bad) {
		// Its text holds the raw reply, which may hold a token.
		return &powerbi.AuthError{Kind: powerbi.AuthTransient, Hint: hintOverloaded,
			Err: errors.New("msalauth: Entra ID sent a reply that is not the expected JSON")}
	}
	// An error text that names an AADSTS code (another library's error,
	// or a reply MSAL decoded itself) still gets the code's row.
	if m := aadstsRE.FindStringSubmatch(err.Error()); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil {
			if r, ok := codeRules[n]; ok {
				return &powerbi.AuthError{Kind: r.kind, Code: "AADSTS" + m[1], Hint: r.hint, Err: err}
			}
		}
	}
	return &powerbi.AuthError{Kind: powerbi.AuthConfiguration, Hint: hintUnknown, Err: err}
}

func classifyService(se *ServiceError) *powerbi.AuthError {
	code := ""
	if len(se.Codes) > 0 {
		code = "AADSTS" + strconv.Itoa(se.Codes[0])
	}
	for _, c := range se.Codes {
		if r, ok := codeRules[c]; ok {
			return &powerbi.AuthError{Kind: r.kind, Code: "AADSTS" + strconv.Itoa(c), Hint: r.hint, Err: se}
		}
	}
	if r, ok := oauthRules[se.OAuthError]; ok {
		return &powerbi.AuthError{Kind: r.kind, Code: code, Hint: r.hint, Err: se}
	}
	if se.StatusCode == http.StatusTooManyRequests || se.StatusCode >= 500 {
		return &powerbi.AuthError{Kind: powerbi.AuthTransient, Code: code, Hint: hintOverloaded, Err: se}
	}
	return &powerbi.AuthError{Kind: powerbi.AuthConfiguration, Code: code, Hint: hintUnknown, Err: se}
}

// entraReply is the JSON shape of an Entra ID error.
type entraReply struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorCodes       []int  `json:"error_codes"`
	TraceID          string `json:"trace_id"`
	CorrelationID    string `json:"correlation_id"`
}

// serviceError extracts Entra ID's answer from MSAL's CallErr, or returns
// nil when err is not an HTTP error reply.
func serviceError(err error) *ServiceError {
	var ce msalerrors.CallErr
	if !errors.As(err, &ce) || ce.Resp == nil {
		return nil
	}
	se := &ServiceError{StatusCode: ce.Resp.StatusCode}
	body := replyBody(ce)
	var r entraReply
	if len(body) > 0 && json.Unmarshal(body, &r) == nil {
		se.OAuthError = r.Error
		se.Codes = r.ErrorCodes
		se.Description = firstLine(r.ErrorDescription)
		se.TraceID = r.TraceID
		se.CorrelationID = r.CorrelationID
		if len(se.Codes) == 0 {
			if m := aadstsRE.FindStringSubmatch(r.ErrorDescription); m != nil {
				if n, convErr := strconv.Atoi(m[1]); convErr == nil {
					se.Codes = []int{n}
				}
			}
		}
	}
	if se.Description == "" && se.OAuthError == "" {
		// Not an Entra ID reply (a proxy's page, say): its body is not
		// shown, as it is not known to be free of secrets.
		se.Description = http.StatusText(se.StatusCode)
	}
	return se
}

// replyBody returns the body of the failed reply. MSAL may have read it
// already (the device-code poll does), but it also puts it in its error
// text after the status line, so that is the fallback.
func replyBody(ce msalerrors.CallErr) []byte {
	if ce.Resp.Body != nil {
		b, err := io.ReadAll(ce.Resp.Body)
		if err == nil && len(bytes.TrimSpace(b)) > 0 {
			return b
		}
	}
	if ce.Err == nil {
		return nil
	}
	msg := ce.Err.Error()
	i := strings.Index(msg, "reply status code was ")
	if i < 0 {
		return nil
	}
	j := strings.IndexByte(msg[i:], '\n')
	if j < 0 {
		return nil
	}
	return []byte(msg[i+j+1:])
}

// firstLine keeps the sentence of an error_description and drops the
// "Trace ID: … Correlation ID: … Timestamp: …" lines (kept separately).
func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, " Trace ID:"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// isTLSTrust reports a certificate the client refused: retrying does not
// help, a trust store or a proxy must change.
func isTLSTrust(err error) bool {
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	var cv *tls.CertificateVerificationError
	return errors.As(err, &ua) || errors.As(err, &he) || errors.As(err, &ci) || errors.As(err, &cv)
}

func isNetwork(err error) bool {
	var ne net.Error // *url.Error, *net.OpError, *net.DNSError, TLS errors…
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// networkErr keeps the standard library's error (a *url.Error names the
// endpoint and the cause, nothing secret) and drops MSAL's wrapping.
func networkErr(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue
	}
	return err
}

func contextErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("msalauth: Entra ID request: %w", context.DeadlineExceeded)
	}
	return fmt.Errorf("msalauth: Entra ID request: %w", context.Canceled)
}

// configError is a configuration mistake found before talking to Entra
// ID: hint for the person, err naming the argument or option.
func configError(hint string, err error) *powerbi.AuthError {
	return &powerbi.AuthError{Kind: powerbi.AuthConfiguration, Hint: hint, Err: err}
}
