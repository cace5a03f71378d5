package starfacetest_test

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/starinsight/starinsight/live"
	"github.com/starinsight/starinsight/live/starfacetest"
)

func sha512Hex(s string) string {
	h := sha512.Sum512([]byte(s))
	return hex.EncodeToString(h[:])
}

// The REST login handshake by hand, against the PBX in-process.
func ExamplePBX_Transport() {
	pbx := starfacetest.New()
	pbx.AddUser(starfacetest.User{ID: 1, Login: "0001", Password: "secret", FirstName: "Sam", FamilyName: "Service"})
	c := pbx.Client() // uses pbx.Transport(): no socket

	do := func(method, path, token, body string) *http.Response {
		req, _ := http.NewRequestWithContext(context.Background(), method, "https://pbx.test"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Version", "2")
		if token != "" {
			req.Header.Set("authToken", token)
		}
		resp, err := c.Do(req)
		if err != nil {
			panic(err)
		}
		return resp
	}

	// 1. The login template carries a nonce.
	var tmpl struct{ LoginType, Nonce string }
	resp := do("GET", "/rest/login", "", "")
	_ = json.NewDecoder(resp.Body).Decode(&tmpl)
	resp.Body.Close()
	// 2. The secret proves the password without sending it.
	secret := "0001:" + sha512Hex("0001"+tmpl.Nonce+sha512Hex("secret"))
	body, _ := json.Marshal(map[string]string{"loginType": tmpl.LoginType, "nonce": tmpl.Nonce, "secret": secret})
	var tok struct{ Token string }
	resp = do("POST", "/rest/login", "", string(body))
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	// 3. The token opens the API.
	resp = do("GET", "/rest/users", tok.Token, "")
	var users []struct {
		ID        int64  `json:"id"`
		FirstName string `json:"firstName"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&users)
	resp.Body.Close()
	fmt.Println(tmpl.LoginType, resp.StatusCode, users)

	// Without the token: 401.
	resp = do("GET", "/rest/users", "", "")
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	// Output:
	// Internal 200 [{1 Sam}]
	// 401
}

// A live.Starface client reading the fake PBX: REST for the users and
// redirects, UCI for the live state.
func ExampleNew() {
	pbx := starfacetest.New()
	pbx.AddUser(starfacetest.User{ID: 1, Login: "0001", Password: "secret", FirstName: "Sam", FamilyName: "Service", Admin: true})
	pbx.AddUser(starfacetest.User{ID: 2, Login: "0002", Password: "agent", FirstName: "Anna", FamilyName: "Agent"})
	pbx.AddGroup(starfacetest.Group{ID: 10, Name: "Sales"}, 2)
	pbx.SetRedirect(starfacetest.Redirect{ID: "r1", UserID: 1, Trigger: "ALWAYS", Enabled: true, Destination: "+4917012345"})
	pbx.SetUserState(2, starfacetest.UserState{TelephonyState: "ACTIVE"})
	pbx.SetGroupLogin(10, 2, true)
	pbx.StartCall(starfacetest.Call{ID: "c1", UserID: 2, State: "CONNECTED", CallerName: "Kunde", CallerNumber: "+4971112345", GroupID: "10"})

	s, err := live.NewStarface("https://pbx.test", "0001", "secret",
		live.WithStarfaceHTTPClient(pbx.Client()), live.WithUCIUser("0002", "agent"))
	if err != nil {
		panic(err)
	}
	users, err := s.Users(context.Background())
	if err != nil {
		panic(err)
	}
	for _, u := range users {
		fmt.Printf("%d %s: %s forward=%t loggedIn=%t groups=%v call=%q from %q\n",
			u.AccountID, u.Name, u.Telephony, u.AlwaysForward, u.LoggedIn, u.GroupIDs, u.CallState, u.CallerNumber)
	}
	queues, err := s.Queues(context.Background())
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s: waiting=%d connected=%d\n", queues[0].Name, queues[0].WaitingCalls, queues[0].ConnectedCalls)
	// Output:
	// 1 Sam Service: AVAILABLE forward=true loggedIn=false groups=[] call="" from ""
	// 2 Anna Agent: ACTIVE forward=false loggedIn=true groups=[10] call="CONNECTED" from "+4971112345"
	// Sales: waiting=0 connected=1
}

// Injected faults: the PBX answers 503 once, then normally.
func ExamplePBX_InjectFault() {
	pbx := starfacetest.New()
	pbx.InjectFault(starfacetest.Fault{Path: "/rest/login", Status: http.StatusServiceUnavailable})
	for range 2 {
		req, _ := http.NewRequest("GET", "https://pbx.test/rest/login", nil)
		req.Header.Set("X-Version", "2")
		resp, err := pbx.Client().Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	for _, r := range pbx.Requests() {
		fmt.Println(r.Method, r.Path, r.Status)
	}
	// Output:
	// 503
	// 200
	// GET /rest/login 503
	// GET /rest/login 200
}
