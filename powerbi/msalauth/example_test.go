package msalauth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"

	"github.com/starinsight/starinsight/powerbi"
	"github.com/starinsight/starinsight/powerbi/msalauth"
)

// A person signs in once; the PBX then works unattended with the cached
// refresh token.
func ExampleNewDeviceCode() {
	ctx := context.Background()
	user, err := msalauth.NewDeviceCode("00000000-0000-0000-0000-000000000000", // the app registration's client id
		msalauth.WithCloud(powerbi.CloudPublic),
		msalauth.WithCacheFile("/var/lib/starinsight/powerbi-tokens.json"),
		msalauth.WithLogger(slog.Default()),
		msalauth.WithPrompt(func(ctx context.Context, p msalauth.Prompt) error {
			// Show it in the admin web page, or on the console.
			fmt.Printf("Open %s and enter %s before %s\n", p.VerificationURL, p.UserCode, p.ExpiresOn.Format("15:04"))
			return nil
		}))
	if err != nil {
		log.Fatal(err)
	}
	name, err := user.Account(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if name == "" {
		if err := user.Login(ctx); err != nil {
			log.Fatal(err)
		}
	}
	client, err := powerbi.NewClient(user)
	if err != nil {
		log.Fatal(err)
	}
	_ = client
}

// Token failures say who must act.
func ExampleUser_Token() {
	var user *msalauth.User // from NewDeviceCode
	_, err := user.Token(context.Background())
	var ae *powerbi.AuthError
	if errors.As(err, &ae) {
		switch ae.Kind {
		case powerbi.AuthReloginNeeded:
			fmt.Println("Power BI: please sign in again.", ae.Hint)
		case powerbi.AuthTransient:
			// Retry with the next upload.
		default:
			fmt.Println("Power BI sign-in needs attention:", ae.Hint, ae.Code)
		}
	}
}

// A service principal with a client secret, in a national cloud.
func ExampleNewClientSecret() {
	app, err := msalauth.NewClientSecret(
		"contoso.onmicrosoft.com",              // the tenant: never "common" or "organizations"
		"00000000-0000-0000-0000-000000000000", // the app registration's client id
		os.Getenv("POWERBI_CLIENT_SECRET"),     // the secret's Value
		msalauth.WithCloud(powerbi.CloudUSGov),
		msalauth.WithCacheFile("/var/lib/starinsight/powerbi-app-tokens.json"),
	)
	if err != nil {
		log.Fatal(err)
	}
	client, err := powerbi.NewClient(app, powerbi.WithCloud(powerbi.CloudUSGov))
	if err != nil {
		log.Fatal(err)
	}
	_ = client
}

// A service principal with a certificate: one PEM file holding the
// certificate and its unencrypted RSA key.
func ExampleNewClientCertificate() {
	pemData, err := os.ReadFile("/etc/starinsight/powerbi-app.pem")
	if err != nil {
		log.Fatal(err)
	}
	app, err := msalauth.NewClientCertificate("11111111-2222-3333-4444-555555555555", "00000000-0000-0000-0000-000000000000", pemData, "")
	if err != nil {
		log.Fatal(err)
	}
	token, err := app.Token(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	_ = token
}

func ExampleClassify() {
	// An error of another library that names the Entra ID code.
	err := errors.New("AADSTS700082: The refresh token has expired due to inactivity.")
	ae := msalauth.Classify(err)
	fmt.Println(ae.Kind, ae.Code, ae.Retryable())
	fmt.Println(ae.Hint)
	// Output:
	// re-login needed AADSTS700082 false
	// The sign-in expired because it was not used for a long time (90 days). Sign in to Power BI again.
}
