package live

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/live/starfacetest"
)

// TestSecretsMatchIndependentSHA512 checks the two login secrets against
// values computed outside Go, with coreutils:
//
//	h1=$(printf %s 'Geheim!42' | sha512sum | cut -d' ' -f1)
//	printf %s "0001" "4f1c2a9e-nonce" "$h1" | sha512sum   # REST
//	printf %s "0001*$h1" | sha512sum                       # UCI
func TestSecretsMatchIndependentSHA512(t *testing.T) {
	const (
		pwHash = "3b42ce4bf3a175bbb44d062d9884c82880bc1a1207399f00186ee6ad05aa84598b0c899291b5cf4554a18cffab919c177ab484d0a85972d19648fb4409c98565"
		rest   = "0001:6102cbf02d517cbf5f28860cb817915e59928f1a703146ece161f9d2f99ec2eb45ac2457ceebda06e1b00024bde94a6d2cca712caa5baf658ec5d4b58f0846b8"
		uci    = "0001:0ac8d7d48e994ac34e647d0bdd0ccbcb8565a7de76d41a857a364898e832b32affa1292993f9c8185588e0f297d7f97f8571e8afede31a23b5f096faa274e98a"
	)
	assert.Equal(t, pwHash, sha512Hex("Geheim!42"))
	assert.Equal(t, rest, restSecret("0001", "4f1c2a9e-nonce", pwHash))
	assert.Equal(t, uci, uciAuth("0001", pwHash))
}

func TestStarfaceErrorText(t *testing.T) {
	for k := StarfaceUnreachable; k <= StarfaceFault; k++ {
		assert.NotEqual(t, "", (&StarfaceError{Kind: k}).Hint(), "%v", k)
		assert.NotContains(t, k.String(), "StarfaceErrorKind(", "%d", k)
	}
	assert.Equal(t, "StarfaceErrorKind(99)", StarfaceErrorKind(99).String())
	err := &StarfaceError{Kind: StarfaceFault, Host: "pbx:443", Endpoint: "XML-RPC m", User: "0002", StatusCode: 0, Err: &RPCFault{Code: 3, Message: "x"}}
	assert.Equal(t, "live: STARFACE pbx:443: XML-RPC m (user 0002): UCI fault: XML-RPC fault 3: x", err.Error())
	err = &StarfaceError{Kind: StarfaceServer, Host: "pbx", Endpoint: "GET /rest/users", StatusCode: 502}
	assert.Equal(t, "live: STARFACE pbx: GET /rest/users: HTTP 502 Bad Gateway: PBX error (it may be busy or restarting; try again later)", err.Error())
	var f *RPCFault
	assert.True(t, errors.As(fmt.Errorf("wrapped: %w", &StarfaceError{Err: &RPCFault{Code: 1}}), &f))
}

func TestDecodeXMLRPC(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	resp := func(v string) string {
		return `<?xml version="1.0"?><methodResponse><params><param>` + v + `</param></params></methodResponse>`
	}
	tests := []struct {
		name string
		doc  string
		want any
	}{
		{"untyped string", resp(`<value> a b </value>`), " a b "},
		{"string", resp(`<value><string>R&amp;D &lt;1&gt;</string></value>`), "R&D <1>"},
		{"empty string", resp(`<value><string/></value>`), ""},
		{"CDATA and comment", resp(`<value><string><![CDATA[x<y]]><!-- c -->z</string></value>`), "x<yz"},
		{"int", resp(`<value><int> -7 </int></value>`), int64(-7)},
		{"i4", resp(`<value><i4>42</i4></value>`), int64(42)},
		{"Apache ex:i8", resp(`<value><ex:i8 xmlns:ex="http://ws.apache.org/xmlrpc/namespaces/extensions">9007199254740993</ex:i8></value>`), int64(9007199254740993)},
		{"boolean", resp(`<value><boolean>1</boolean></value>`), true},
		{"double", resp(`<value><double>-1.5</double></value>`), -1.5},
		{"dateTime without zone", resp(`<value><dateTime.iso8601>20250304T10:11:12</dateTime.iso8601></value>`), time.Date(2025, 3, 4, 10, 11, 12, 0, cet)},
		{"dateTime with zone", resp(`<value><dateTime.iso8601>2025-03-04T10:11:12Z</dateTime.iso8601></value>`), time.Date(2025, 3, 4, 10, 11, 12, 0, time.UTC)},
		{"base64", resp(`<value><base64>aGVs
bG8=</base64></value>`), []byte("hello")},
		{"nil", resp(`<value><nil/></value>`), nil},
		{"Apache ex:nil", resp(`<value><ex:nil xmlns:ex="x"></ex:nil></value>`), nil},
		{"empty array", resp(`<value><array><data></data></array></value>`), []any{}},
		{"nested", resp(`<value><struct>
			<member><name>ids</name><value><array><data><value>a</value><value><i4>1</i4></value></data></array></value></member>
			<member><value><boolean>0</boolean></value><name>flag</name></member>
			<member><name>flag</name><value><boolean>1</boolean></value></member>
		</struct></value>`), map[string]any{"ids": []any{"a", int64(1)}, "flag": true}},
		{"no result", `<methodResponse><params></params></methodResponse>`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeXMLRPCResponse([]byte(tt.doc), cet)
			require.NoError(t, err)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeXMLRPCRefuses(t *testing.T) {
	deep := strings.Repeat("<value><array><data>", xmlrpcMaxDepth+2) + "<value>x</value>" + strings.Repeat("</data></array></value>", xmlrpcMaxDepth+2)
	tests := []struct {
		name, doc, want string
	}{
		{"empty", ``, "unexpected end"},
		{"not XML", `{"a":1}`, "where an element belongs"},
		{"other root", `<methodCall/>`, "want <methodResponse>"},
		{"unclosed", `<methodResponse><params><param><value>`, "unexpected EOF"},
		{"mismatched", `<methodResponse><params></param></methodResponse>`, "malformed XML-RPC"},
		{"DOCTYPE", `<!DOCTYPE methodResponse><methodResponse/>`, "directive"},
		{"entity", `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><methodResponse/>`, "directive"},
		{"undefined entity", `<methodResponse><params><param><value>&e;</value></param></params></methodResponse>`, "malformed XML-RPC"},
		{"two params", `<methodResponse><params><param><value>a</value></param><param><value>b</value></param></params></methodResponse>`, "unexpected <param>"},
		{"trailing element", `<methodResponse><params/></methodResponse><x/>`, "content after"},
		{"trailing text", `<methodResponse><params/></methodResponse>x`, "text after"},
		{"unknown type", `<methodResponse><params><param><value><bigint>1</bigint></value></param></params></methodResponse>`, "unknown type <bigint>"},
		{"bad int", `<methodResponse><params><param><value><int>1.5</int></value></param></params></methodResponse>`, "not an integer"},
		{"bad boolean", `<methodResponse><params><param><value><boolean>yes</boolean></value></param></params></methodResponse>`, "want 0 or 1"},
		{"NaN", `<methodResponse><params><param><value><double>NaN</double></value></param></params></methodResponse>`, "not a finite number"},
		{"bad time", `<methodResponse><params><param><value><dateTime.iso8601>yesterday</dateTime.iso8601></value></param></params></methodResponse>`, "not a time"},
		{"bad base64", `<methodResponse><params><param><value><base64>!!</base64></value></param></params></methodResponse>`, "<base64>"},
		{"text and type", `<methodResponse><params><param><value>x<int>1</int></value></param></params></methodResponse>`, "text and <int>"},
		{"element in scalar", `<methodResponse><params><param><value><string><b/></string></value></param></params></methodResponse>`, "in a scalar"},
		{"member without value", `<methodResponse><params><param><value><struct><member><name>a</name></member></struct></value></param></params></methodResponse>`, "without <name> and <value>"},
		{"array without data", `<methodResponse><params><param><value><array><value/></array></value></param></params></methodResponse>`, "want <data>"},
		{"too deep", `<methodResponse><params><param>` + deep + `</param></params></methodResponse>`, "nested deeper"},
		{"fault not a struct", `<methodResponse><fault><value>x</value></fault></methodResponse>`, "want a struct"},
		{"illegal character", "<methodResponse><params><param><value>\x01</value></param></params></methodResponse>", "malformed XML-RPC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeXMLRPCResponse([]byte(tt.doc), time.UTC)
			require.Error(t, err)
			assert.ErrorIs(t, err, errXMLRPC)
			assert.ErrorContains(t, err, tt.want)
		})
	}
}

func TestDecodeXMLRPCFault(t *testing.T) {
	doc := `<methodResponse><fault><value><struct>
		<member><name>faultCode</name><value><int>4</int></value></member>
		<member><name>faultString</name><value>Too many parameters.</value></member>
	</struct></value></fault></methodResponse>`
	_, err := decodeXMLRPCResponse([]byte(doc), time.UTC)
	var f *RPCFault
	require.ErrorAs(t, err, &f)
	assert.Equal(t, RPCFault{Code: 4, Message: "Too many parameters."}, *f)
}

func TestEncodeXMLRPC(t *testing.T) {
	b, err := encodeXMLRPCCall("ucp.v30.requests.call.getCallState", "a<b", int64(1), 1<<40, true, nil, []string{"x"})
	require.NoError(t, err)
	assert.Equal(t, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<methodCall><methodName>ucp.v30.requests.call.getCallState</methodName><params>`+
		`<param><value><string>a&lt;b</string></value></param>`+
		`<param><value><int>1</int></value></param>`+
		`<param><value><i8>1099511627776</i8></value></param>`+
		`<param><value><boolean>1</boolean></value></param>`+
		`<param><value><nil/></value></param>`+
		`<param><value><array><data><value><string>x</string></value></data></array></value></param>`+
		`</params></methodCall>`, string(b))
	_, err = encodeXMLRPCCall("m", struct{}{})
	assert.ErrorContains(t, err, "cannot encode struct {}")
	_, err = encodeXMLRPCCall("m", math.Inf(1))
	assert.ErrorContains(t, err, "not finite")
}

func TestParseCallTimestamp(t *testing.T) {
	s := &Starface{loc: time.UTC}
	want := time.Date(2025, 3, 4, 10, 11, 12, 0, time.UTC)
	tests := []struct {
		name string
		v    any
		want time.Time
	}{
		{"dateTime", want, want},
		{"epoch milliseconds", want.UnixMilli(), want},
		{"epoch seconds", want.Unix(), want},
		{"RFC 3339 string", "2025-03-04T10:11:12Z", want},
		{"XML-RPC string", "20250304T10:11:12", want},
		{"garbage", "soon", time.Time{}},
		{"negative", int64(-5), time.Time{}},
		{"missing", nil, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := s.parseCall(map[string]any{"timestamp": tt.v, "state": "RINGING", "groupId": int64(7)}, "id-1")
			assert.True(t, tt.want.Equal(c.at), "got %v", c.at)
			assert.Equal(t, "7", c.groupRef)
			assert.Equal(t, "id-1", c.id)
		})
	}
}

func TestRPCScalars(t *testing.T) {
	assert.Equal(t, "x", rpcString("x"))
	assert.Equal(t, "12", rpcString(int64(12)))
	assert.Equal(t, "", rpcString(true))
	for v, want := range map[any]bool{true: true, false: false, int64(1): true, int64(0): false, "true": true, "1": true, "no": false, 1.0: false} {
		assert.Equal(t, want, rpcBool(v), "%#v", v)
	}
}

// FuzzXMLRPCDecode checks that the decoder never panics and that what it
// accepts survives encode → decode unchanged.
func FuzzXMLRPCDecode(f *testing.F) {
	for _, seed := range []string{
		`<methodResponse><params><param><value><struct><member><name>telephonyState</name><value>AVAILABLE</value></member><member><name>redirectAlwaysActive</name><value><boolean>0</boolean></value></member></struct></value></param></params></methodResponse>`,
		`<methodResponse><params><param><value><array><data><value><string>c1</string></value><value><i8>5</i8></value><value><double>0.25</double></value></data></array></value></param></params></methodResponse>`,
		`<methodResponse><params><param><value><dateTime.iso8601>20250304T10:11:12</dateTime.iso8601></value></param></params></methodResponse>`,
		`<methodResponse><params><param><value><base64>AAEC</base64></value></param></params></methodResponse>`,
		`<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1</int></value></member><member><name>faultString</name><value>x</value></member></struct></value></fault></methodResponse>`,
		`<methodResponse><params/></methodResponse>`,
		`<methodResponse><params><param><value><nil/></value></param></params></methodResponse>`,
	} {
		f.Add([]byte(seed))
	}
	loc := time.FixedZone("PBX", 3600)
	f.Fuzz(func(t *testing.T, doc []byte) {
		v, err := decodeXMLRPCResponse(doc, loc)
		var fault *RPCFault
		if errors.As(err, &fault) {
			b, err := encodeXMLRPCFault(fault)
			require.NoError(t, err)
			_, err = decodeXMLRPCResponse(b, loc)
			var again *RPCFault
			require.ErrorAs(t, err, &again)
			require.Equal(t, *fault, *again)
			return
		}
		if err != nil {
			require.ErrorIs(t, err, errXMLRPC)
			return
		}
		b, err := encodeXMLRPCResponse(v)
		require.NoError(t, err, "encoding %#v", v)
		again, err := decodeXMLRPCResponse(b, loc)
		require.NoError(t, err, "decoding %s", b)
		if diff := cmp.Diff(v, again); diff != "" {
			t.Fatalf("round trip (-first +second):\n%s\nre-encoded: %s", diff, b)
		}
	})
}

// fuzzPBX is a small PBX for the fuzz tests.
func fuzzPBX() *starfacetest.PBX {
	p := starfacetest.New()
	p.AddUser(starfacetest.User{ID: 1, Login: "0001", Password: "pw", Admin: true})
	p.AddUser(starfacetest.User{ID: 2, Login: "0002", Password: "pw2"})
	p.AddGroup(starfacetest.Group{ID: 10, Name: "Sales"}, 1, 2)
	p.StartCall(starfacetest.Call{ID: "c1", UserID: 1, State: "RINGING", GroupID: "10"})
	return p
}

// checkFuzzErr requires err to be nil or a *StarfaceError.
func checkFuzzErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var se *StarfaceError
	require.ErrorAs(t, err, &se)
	require.NotContains(t, err.Error(), sha512Hex("pw"))
}

// FuzzRESTAnswers serves arbitrary bodies as REST answers: the client
// must map what it can read and return a *StarfaceError for the rest,
// never panic.
func FuzzRESTAnswers(f *testing.F) {
	paths := []string{"/rest/users", "/rest/groups", "/rest/groups/10", "/rest/accounts", "/rest/redirects", "/rest/login"}
	f.Add(uint8(0), `[{"id":1,"login":"0001","firstName":"A","familyName":"B"},{"id":1,"login":"0001"}]`)
	f.Add(uint8(1), `[{"id":10,"groupname":"S"},{"id":-3}]`)
	f.Add(uint8(2), `{"id":10,"groupId":"g","assignableUsers":[{"id":2,"assigned":true},{"id":99,"assigned":true}]}`)
	f.Add(uint8(3), `[{"accountId":3,"type":"REMOTE_USER","local":false,"displayInformation":"x"},{"accountId":1,"type":"user"}]`)
	f.Add(uint8(4), `[{"id":"r","enabled":true,"groupNumber":false,"redirectTrigger":{"redirectTriggerType":"always"}}]`)
	f.Add(uint8(5), `{"loginType":"Internal","nonce":"","secret":null}`)
	f.Add(uint8(0), `null`)
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		p := fuzzPBX()
		p.InjectFault(starfacetest.Fault{Method: "GET", Path: paths[int(which)%len(paths)], Body: body, Times: -1})
		s, err := NewStarface("https://pbx.test", "0001", "pw", WithStarfaceHTTPClient(p.Client()), WithoutUCI(), WithDirectoryRefresh(0))
		require.NoError(t, err)
		_, err = s.Users(t.Context())
		checkFuzzErr(t, err)
		_, err = s.Accounts(t.Context())
		checkFuzzErr(t, err)
		_, _, err = s.LoginStates(t.Context())
		checkFuzzErr(t, err)
	})
}

// FuzzUCIAnswers serves arbitrary bodies as XML-RPC answers of the UCI
// methods the client calls.
func FuzzUCIAnswers(f *testing.F) {
	methods := []string{uciLogin, uciGetUserState, uciGetCallIDs, uciGetCallState, uciGetGroupSettings}
	f.Add(uint8(1), `<methodResponse><params><param><value><struct><member><name>telephonyState</name><value><int>3</int></value></member></struct></value></param></params></methodResponse>`)
	f.Add(uint8(2), `<methodResponse><params><param><value><array><data><value><i4>1</i4></value><value><struct/></value></data></array></value></param></params></methodResponse>`)
	f.Add(uint8(3), `<methodResponse><params><param><value><struct><member><name>timestamp</name><value><i8>-1</i8></value></member><member><name>groupID</name><value><array><data/></array></value></member></struct></value></param></params></methodResponse>`)
	f.Add(uint8(4), `<methodResponse><params><param><value><array><data><value><struct><member><name>groupId</name><value><i4>10</i4></value></member><member><name>loggedIn</name><value>true</value></member></struct></value><value>x</value></data></array></value></param></params></methodResponse>`)
	f.Add(uint8(0), `<methodResponse><params><param><value><string>yes</string></value></param></params></methodResponse>`)
	f.Fuzz(func(t *testing.T, which uint8, body string) {
		p := fuzzPBX()
		p.InjectFault(starfacetest.Fault{RPCMethod: methods[int(which)%len(methods)], Body: body, Times: -1})
		s, err := NewStarface("https://pbx.test", "0001", "pw", WithStarfaceHTTPClient(p.Client()), WithStarfaceLocation(time.UTC))
		require.NoError(t, err)
		_, err = s.Users(t.Context())
		checkFuzzErr(t, err)
		_, err = s.Queues(t.Context())
		checkFuzzErr(t, err)
	})
}
