package pseudo

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"
)

// policyDiff compares policies rule by rule, unexported fields included.
func policyDiff(want, got Policy) string {
	return cmp.Diff(want, got, cmp.AllowUnexported(Policy{}))
}

// The fields by what they hold, for the tests that depend on it.
var (
	idFields     = []Field{CallID, CallLeg}
	nameFields   = []Field{CallerName, CalledName, UserName, GroupName, CommentAuthor}
	numberFields = []Field{CallerNumber, CalledNumber, CallbackNumber}
	textFields   = []Field{Comment, PresenceMessage}
)

func TestFieldsAreClassified(t *testing.T) {
	// The lists above must hold every field once (Login aside), or the
	// tests that loop over them miss one.
	all := slices.Concat(idFields, nameFields, numberFields, textFields, []Field{Login})
	slices.Sort(all)
	require.Equal(t, Fields(), all)
}

func TestFieldText(t *testing.T) {
	for _, f := range Fields() {
		t.Run(f.String(), func(t *testing.T) {
			b, err := f.MarshalText()
			require.NoError(t, err)
			require.Equal(t, f.String(), string(b))
			var g Field
			require.NoError(t, g.UnmarshalText(b))
			require.Equal(t, f, g)
			h, err := ParseField(f.String())
			require.NoError(t, err)
			require.Equal(t, f, h)
		})
	}
	t.Run("names", func(t *testing.T) {
		// The names are in every configuration file: pin them.
		var got []string
		for _, f := range Fields() {
			got = append(got, f.String())
		}
		want := []string{"callId", "callLeg", "callerName", "calledName", "callerNumber", "calledNumber", "callbackNumber", "userName", "groupName", "login", "comment", "commentAuthor", "presenceMessage"}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("field names (-want +got):\n%s", d)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		bad := Field(numFields)
		require.Equal(t, "Field(13)", bad.String())
		_, err := bad.MarshalText()
		require.Error(t, err)
		for _, s := range []string{"", "CallerName", "caller_name", "all", "callerName "} {
			_, err := ParseField(s)
			require.Error(t, err, "ParseField(%q)", s)
			var f Field
			require.Error(t, f.UnmarshalText([]byte(s)))
		}
	})
	t.Run("json", func(t *testing.T) {
		b, err := json.Marshal(map[Field]Field{CallerNumber: GroupName})
		require.NoError(t, err)
		require.JSONEq(t, `{"callerNumber":"groupName"}`, string(b))
		var got map[Field]Field
		require.NoError(t, json.Unmarshal(b, &got))
		require.Equal(t, map[Field]Field{CallerNumber: GroupName}, got)
	})
}

func TestActionText(t *testing.T) {
	for a, name := range map[Action]string{Pseudonymise: "pseudonymise", Keep: "keep", Anonymise: "anonymise", Mask: "mask"} {
		require.Equal(t, name, a.String())
		got, err := ParseAction(name)
		require.NoError(t, err)
		require.Equal(t, a, got)
	}
	for s, want := range map[string]Action{"pseudonymize": Pseudonymise, "anonymize": Anonymise} {
		got, err := ParseAction(s)
		require.NoError(t, err, s)
		require.Equal(t, want, got, s)
	}
	require.Equal(t, "Action(4)", Action(4).String())
	for _, s := range []string{"", "Keep", "hash", "pseudonymous", " keep"} {
		_, err := ParseAction(s)
		require.Error(t, err, "ParseAction(%q)", s)
	}
}

func TestParsePolicy(t *testing.T) {
	def := DefaultPolicy()
	anon := func(c string) Rule { return Rule{Action: Anonymise, Constant: c} }
	mask := func(d int) Rule { return Rule{Action: Mask, MaskDigits: d} }
	tests := []struct {
		name string
		in   string
		want Policy
		// str is the canonical text; "-" means the input itself.
		str string
	}{
		{"empty is the default", "", def, ""},
		{"blank is the default", " \t\n", def, ""},
		{"keep", "callerNumber=keep", def.With(Keep, CallerNumber), "-"},
		{"anonymise", "callerName=anonymise", def.With(Anonymise, CallerName), "-"},
		{"pseudonymise free text", "comment=pseudonymise", def.With(Pseudonymise, Comment), "-"},
		{"default actions written out", "callId=pseudonymise,comment=anonymise", def, ""},
		{"mask a name", "groupName=mask", def.With(Mask, GroupName), "-"},
		{"mask a number", "callerNumber=mask", def.With(Mask, CallerNumber), "callerNumber=mask:3"},
		{"mask:3 is the default count", "callerNumber=mask:3", def.With(Mask, CallerNumber), "-"},
		{"mask digits", "calledNumber=mask:5", def.WithRule(CalledNumber, mask(5)), "-"},
		{"mask 1 and 15", "callerNumber=mask:1,callbackNumber=mask:15", def.WithRule(CallerNumber, mask(1)).WithRule(CallbackNumber, mask(15)), "-"},
		{"constant", `callerName=anonymise:"unknown"`, def.WithRule(CallerName, anon("unknown")), "-"},
		{"constant with commas and quotes", `comment=anonymise:"a, \"b\"=c,",login=keep`,
			def.WithRule(Comment, anon(`a, "b"=c,`)).With(Keep, Login), `login=keep,comment=anonymise:"a, \"b\"=c,"`},
		{"empty constant", `comment=anonymise:""`, def, ""},
		{"back-quoted constant", "userName=anonymise:`x,y`", def.WithRule(UserName, anon("x,y")), `userName=anonymise:"x,y"`},
		{"American spellings", "callerName=anonymize,comment=pseudonymize",
			def.With(Anonymise, CallerName).With(Pseudonymise, Comment), "callerName=anonymise,comment=pseudonymise"},
		{"spaces and line breaks", " calledName = keep ,\n\tcallerNumber= mask :4 , comment =anonymise :\"-\" \n",
			def.With(Keep, CalledName).WithRule(CallerNumber, mask(4)).WithRule(Comment, anon("-")),
			`calledName=keep,callerNumber=mask:4,comment=anonymise:"-"`},
		{"field order", "login=keep,callId=keep", def.With(Keep, CallID, Login), "callId=keep,login=keep"},
		{"later rule wins", "callerName=keep,callerName=mask", def.With(Mask, CallerName), "callerName=mask"},
		{"back to default", "callerName=keep,callerName=pseudonymise", def, ""},
		{"all=keep", "all=keep", KeepAll(), "callId=keep,callLeg=keep,callerName=keep,calledName=keep,callerNumber=keep,calledNumber=keep,callbackNumber=keep,userName=keep,groupName=keep,login=keep,comment=keep,commentAuthor=keep,presenceMessage=keep"},
		{"all then overrides", "all=keep,callerNumber=pseudonymise,comment=anonymise",
			KeepAll().With(Pseudonymise, CallerNumber).With(Anonymise, Comment),
			"callId=keep,callLeg=keep,callerName=keep,calledName=keep,calledNumber=keep,callbackNumber=keep,userName=keep,groupName=keep,login=keep,commentAuthor=keep,presenceMessage=keep"},
		{"all=anonymise", "all=anonymise", def.WithAll(Anonymise),
			"callId=anonymise,callLeg=anonymise,callerName=anonymise,calledName=anonymise,callerNumber=anonymise,calledNumber=anonymise,callbackNumber=anonymise,userName=anonymise,groupName=anonymise,login=anonymise,commentAuthor=anonymise"},
		// "all" fits a rule to the fields it does not suit: numbers take no
		// constant; ids, logins and free text cannot be masked.
		{"all=anonymise with a constant", `all=anonymise:"?"`,
			def.WithAll(Anonymise).
				WithRule(CallID, anon("?")).WithRule(CallLeg, anon("?")).WithRule(CallerName, anon("?")).WithRule(CalledName, anon("?")).
				WithRule(UserName, anon("?")).WithRule(GroupName, anon("?")).WithRule(Login, anon("?")).WithRule(Comment, anon("?")).
				WithRule(CommentAuthor, anon("?")).WithRule(PresenceMessage, anon("?")),
			`callId=anonymise:"?",callLeg=anonymise:"?",callerName=anonymise:"?",calledName=anonymise:"?",callerNumber=anonymise,calledNumber=anonymise,callbackNumber=anonymise,userName=anonymise:"?",groupName=anonymise:"?",login=anonymise:"?",comment=anonymise:"?",commentAuthor=anonymise:"?",presenceMessage=anonymise:"?"`},
		{"all=mask", "all=mask", def.With(Mask, nameFields...).With(Mask, numberFields...),
			"callerName=mask,calledName=mask,callerNumber=mask:3,calledNumber=mask:3,callbackNumber=mask:3,userName=mask,groupName=mask,commentAuthor=mask"},
		{"all=mask:4", "all=mask:4", def.With(Mask, nameFields...).WithRule(CallerNumber, mask(4)).WithRule(CalledNumber, mask(4)).WithRule(CallbackNumber, mask(4)),
			"callerName=mask,calledName=mask,callerNumber=mask:4,calledNumber=mask:4,callbackNumber=mask:4,userName=mask,groupName=mask,commentAuthor=mask"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePolicy(tc.in)
			require.NoError(t, err)
			if d := policyDiff(tc.want, got); d != "" {
				t.Errorf("ParsePolicy(%q) (-want +got):\n%s", tc.in, d)
			}
			require.True(t, tc.want == got, "equal policies compare equal with ==")
			str := tc.str
			if str == "-" {
				str = tc.in
			}
			require.Equal(t, str, got.String())
			again, err := ParsePolicy(got.String())
			require.NoError(t, err)
			if d := policyDiff(got, again); d != "" {
				t.Errorf("ParsePolicy(String()) (-want +got):\n%s", d)
			}
		})
	}
}

// TestParsePolicyEveryFieldAndAction tries each action on each field: the
// rule changes that field alone, and only the masks Validate forbids are
// refused.
func TestParsePolicyEveryFieldAndAction(t *testing.T) {
	for _, f := range Fields() {
		for _, a := range []Action{Pseudonymise, Keep, Anonymise, Mask} {
			t.Run(f.String()+"="+a.String(), func(t *testing.T) {
				p, err := ParsePolicy(f.String() + "=" + a.String())
				maskable := slices.Contains(nameFields, f) || slices.Contains(numberFields, f)
				if a == Mask && !maskable {
					require.ErrorContains(t, err, f.String())
					return
				}
				require.NoError(t, err)
				for _, g := range Fields() {
					want := DefaultPolicy().Action(g)
					if g == f {
						want = a
					}
					require.Equal(t, want, p.Action(g), "action of %v", g)
				}
			})
		}
	}
}

func TestParsePolicyErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		// want are substrings of the error: the rule's position where the
		// parser names it, the field, and what is wrong.
		want []string
	}{
		{"unknown field", "callerNumber=keep,caller=keep", []string{"rule 2", `"caller"`, "unknown field"}},
		{"empty field", "=keep", []string{"rule 1", "unknown field"}},
		{"unknown action", "callerName=hide", []string{"rule 1", "callerName", `"hide"`}},
		{"unknown action later", "callId=keep,login=keep,callerName=hidden", []string{"rule 3", "callerName", `"hidden"`}},
		{"missing =", "callerName", []string{"rule 1", "field=action"}},
		{"missing = later", "callerName=keep,calledName", []string{"rule 2", "field=action"}},
		{"missing comma", "callerName=keep calledName=keep", []string{"rule 1", "callerName"}},
		{"trailing comma", "callerName=keep,", []string{"rule 1", "trailing comma"}},
		{"trailing comma and space", "callerName=keep , ", []string{"rule 1", "trailing comma"}},
		{"mask digits 0", "callerNumber=mask:0", []string{"rule 1", "callerNumber", `"0"`, "1 to 15"}},
		{"mask digits 16", "callId=keep,callerNumber=mask:16", []string{"rule 2", "callerNumber", `"16"`}},
		{"mask digits x", "callerNumber=mask:x", []string{"rule 1", "callerNumber", "digit count"}},
		{"mask digits negative", "callerNumber=mask:-1", []string{"rule 1", "callerNumber", "digit count"}},
		{"mask digits then junk", "callerNumber=mask:3x", []string{"rule 1", "callerNumber", `"x"`}},
		{"parameter on keep", "callerName=keep:1", []string{"rule 1", "callerName", "no parameter"}},
		{"unquoted constant", "comment=anonymise:none", []string{"rule 1", "comment", "quoted constant"}},
		{"unterminated constant", `comment=anonymise:"none`, []string{"rule 1", "comment", "quoted constant"}},
		{"junk after a constant", `callerName=keep,callbackNumber=anonymise:""x`, []string{"rule 2", "callbackNumber", `"x"`}},
		// Validate refuses the rules below after parsing: its errors name
		// the field but not the rule's position, which ParsePolicy's doc
		// promises (reported).
		{"mask on callId", "callId=mask", []string{"callId", "cannot be masked"}},
		{"mask on callLeg", "callLeg=mask", []string{"callLeg", "cannot be masked"}},
		{"mask on login", "login=mask", []string{"login", "cannot be masked"}},
		{"mask on comment", "comment=mask", []string{"comment", "cannot be masked"}},
		{"mask on presenceMessage", "presenceMessage=mask", []string{"presenceMessage", "cannot be masked"}},
		{"mask digits on a name", "callerName=mask:3", []string{"callerName", "initials"}},
		{"constant on a number", `callerNumber=anonymise:"none"`, []string{"callerNumber", "no constant"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePolicy(tc.in)
			require.Error(t, err, "ParsePolicy(%q) = %v", tc.in, p)
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
			require.Equal(t, DefaultPolicy(), p, "a failed parse returns the zero policy")
			var q Policy
			require.Error(t, q.UnmarshalText([]byte(tc.in)))
		})
	}
}

func TestPolicyTextRoundTrip(t *testing.T) {
	// Random valid policies: String parses back to the same policy, is
	// stable, and names exactly the fields whose rule is not the default.
	rng := rand.New(rand.NewPCG(4, 2))
	constants := []string{"", "unknown", `a,b`, `say "hi"`, "x=y", "tab\there", "ünïcode", "\x00\xff"}
	for i := range 500 {
		p := DefaultPolicy()
		for _, f := range Fields() {
			if rng.IntN(2) == 0 {
				continue
			}
			r := Rule{Action: Action(rng.IntN(int(numActions)))}
			switch {
			case r.Action == Mask && slices.Contains(numberFields, f):
				r.MaskDigits = rng.IntN(16) // 0 is the default count
			case r.Action == Mask && !slices.Contains(nameFields, f):
				r.Action = Keep
			case r.Action == Anonymise && !slices.Contains(numberFields, f):
				r.Constant = constants[rng.IntN(len(constants))]
			}
			p = p.WithRule(f, r)
		}
		require.NoError(t, p.Validate(), "policy %d: %v", i, p)
		s := p.String()
		q, err := ParsePolicy(s)
		require.NoError(t, err, "policy %d: %q", i, s)
		if d := policyDiff(p, q); d != "" {
			t.Fatalf("policy %d %q: ParsePolicy(String()) (-want +got):\n%s", i, s, d)
		}
		require.Equal(t, s, q.String(), "String is stable")
		for _, f := range Fields() {
			named := strings.HasPrefix(s, f.String()+"=") || strings.Contains(s, ","+f.String()+"=")
			require.Equal(t, p.Rule(f) != defaultRule(f), named, "policy %q names %v exactly when its rule is not the default", s, f)
		}
	}
}

func TestPolicyJSON(t *testing.T) {
	type config struct {
		Policy Policy `json:"policy"`
	}
	p := KeepAll().WithRule(CallerNumber, Rule{Action: Mask, MaskDigits: 4}).WithRule(Comment, Rule{Action: Anonymise, Constant: `"quoted", with commas`})
	b, err := json.Marshal(config{p})
	require.NoError(t, err)
	var text struct{ Policy string }
	require.NoError(t, json.Unmarshal(b, &text))
	require.Equal(t, p.String(), text.Policy, "a policy is a JSON string in its text form")

	var got config
	require.NoError(t, json.Unmarshal(b, &got))
	if d := policyDiff(p, got.Policy); d != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", d)
	}

	b, err = json.Marshal(config{})
	require.NoError(t, err)
	require.JSONEq(t, `{"policy":""}`, string(b))

	err = json.Unmarshal([]byte(`{"policy":"callId=mask"}`), &got)
	require.ErrorContains(t, err, "callId")
}

func TestDefaultPolicy(t *testing.T) {
	var zero Policy
	require.Equal(t, DefaultPolicy(), zero)
	require.Equal(t, "", zero.String())
	require.NoError(t, zero.Validate())
	for _, f := range Fields() {
		want := Rule{Action: Pseudonymise}
		if f == Comment || f == PresenceMessage {
			want = Rule{Action: Anonymise} // free text cannot be pseudonymised usefully
		}
		require.Equal(t, want, zero.Rule(f), "%v", f)
	}
	want := []Field{CallID, CallLeg, CallerName, CalledName, CallerNumber, CalledNumber, CallbackNumber, UserName, GroupName, Login, CommentAuthor}
	require.Equal(t, want, zero.Pseudonymises())
}

func TestKeepAll(t *testing.T) {
	p := KeepAll()
	for _, f := range Fields() {
		require.Equal(t, Keep, p.Action(f), "%v", f)
	}
	require.Empty(t, p.Pseudonymises())
	require.NoError(t, p.Validate())
}

func TestPolicyRule(t *testing.T) {
	p := DefaultPolicy().With(Mask, CallerNumber, CallerName).WithRule(CalledNumber, Rule{Action: Mask, MaskDigits: 7})
	require.Equal(t, Rule{Action: Mask, MaskDigits: DefaultMaskDigits}, p.Rule(CallerNumber), "the default count is filled in")
	require.Equal(t, Rule{Action: Mask, MaskDigits: 7}, p.Rule(CalledNumber))
	require.Equal(t, Rule{Action: Mask}, p.Rule(CallerName), "names mask to initials, no count")

	// WithRule drops parameters its action does not take, so that equal
	// policies compare equal.
	q := DefaultPolicy().WithRule(CallerName, Rule{Action: Keep, MaskDigits: 4, Constant: "x"})
	require.Equal(t, Rule{Action: Keep}, q.Rule(CallerName))
	require.Equal(t, DefaultPolicy().With(Keep, CallerName), q)
	require.Equal(t, DefaultPolicy(), q.With(Pseudonymise, CallerName), "setting the default again gives the default policy")

	require.Equal(t, Rule{}, p.Rule(Field(numFields)))
	require.Equal(t, p, p.WithRule(Field(numFields), Rule{Action: Keep}), "an invalid field is ignored")

	require.Equal(t, []Field{CallID, CallLeg, CalledName, Login},
		KeepAll().With(Pseudonymise, CallID, CallLeg, CalledName, Login).Pseudonymises())
}

func TestPolicyValidate(t *testing.T) {
	valid := []Policy{
		DefaultPolicy(),
		KeepAll(),
		DefaultPolicy().WithAll(Anonymise),
		DefaultPolicy().With(Mask, nameFields...).With(Mask, numberFields...),
		DefaultPolicy().WithRule(CallerNumber, Rule{Action: Mask, MaskDigits: 15}),
		DefaultPolicy().WithRule(CallerName, Rule{Action: Anonymise, Constant: "x"}),
	}
	for i, p := range valid {
		require.NoError(t, p.Validate(), "policy %d %v", i, p)
	}
	invalid := []struct {
		name string
		p    Policy
		want []string
	}{
		{"mask an id", DefaultPolicy().With(Mask, CallID), []string{"callId", "cannot be masked"}},
		{"mask a login", DefaultPolicy().With(Mask, Login), []string{"login", "cannot be masked"}},
		{"mask free text", DefaultPolicy().With(Mask, PresenceMessage), []string{"presenceMessage", "cannot be masked"}},
		{"digit count on a name", DefaultPolicy().WithRule(UserName, Rule{Action: Mask, MaskDigits: 2}), []string{"userName", "initials"}},
		{"16 digits", DefaultPolicy().WithRule(CallerNumber, Rule{Action: Mask, MaskDigits: 16}), []string{"callerNumber", "16", "1 to 15"}},
		{"negative digits", DefaultPolicy().WithRule(CallerNumber, Rule{Action: Mask, MaskDigits: -1}), []string{"callerNumber", "-1"}},
		{"constant on a number", DefaultPolicy().WithRule(CalledNumber, Rule{Action: Anonymise, Constant: "0"}), []string{"calledNumber", "no constant"}},
		{"invalid action", DefaultPolicy().WithRule(Login, Rule{Action: 9}), []string{"login", "invalid action 9"}},
		{"every error", DefaultPolicy().With(Mask, CallID, Comment).WithRule(CallbackNumber, Rule{Action: Mask, MaskDigits: 99}),
			[]string{"callId", "comment", "callbackNumber"}},
	}
	for _, tc := range invalid {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			require.Error(t, err)
			for _, w := range tc.want {
				require.ErrorContains(t, err, w)
			}
		})
	}
}

func TestPolicyErrorsWrapErrPolicy(t *testing.T) {
	for _, text := range []string{"callId=mask", "caller=keep", "callerName=keep,,calledName=keep", "callerNumber=anonymise:\"x\""} {
		_, err := ParsePolicy(text)
		require.ErrorIs(t, err, ErrPolicy, text)
		require.Equal(t, 1, strings.Count(err.Error(), "pseudo:"), "one prefix: %v", err)
	}
	_, err := ParsePolicy("callerName=keep,,calledName=keep")
	require.ErrorContains(t, err, "rule 2 is empty")
	require.ErrorIs(t, Policy{}.WithRule(CallID, Rule{Action: Mask}).Validate(), ErrPolicy)
}

func TestActionMarshalText(t *testing.T) {
	for a := range numActions {
		b, err := a.MarshalText()
		require.NoError(t, err)
		var back Action
		require.NoError(t, back.UnmarshalText(b))
		require.Equal(t, a, back)
	}
	_, err := numActions.MarshalText()
	require.Error(t, err)
	var a Action
	require.Error(t, a.UnmarshalText([]byte("hide")))
	b, err := json.Marshal(Rule{Action: Mask, MaskDigits: 4})
	require.NoError(t, err)
	require.JSONEq(t, `{"Action":"mask","MaskDigits":4,"Constant":""}`, string(b))
}
