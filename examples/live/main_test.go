package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	gocmp "github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/require"

	"github.com/starinsight/starinsight/live/starfacetest"
)

func noEnv(string) string { return "" }

// refreshes splits the output into its refreshes.
func refreshes(out string) []string {
	parts := strings.Split(out, "STARFACE ")
	return parts[1:]
}

// row returns the fields of the table row that starts with name.
func row(t *testing.T, refresh, name string) []string {
	t.Helper()
	for line := range strings.SplitSeq(refresh, "\n") {
		if strings.HasPrefix(line, name+"  ") {
			return strings.Fields(strings.TrimPrefix(line, name))
		}
	}
	t.Fatalf("no row %q in:\n%s", name, refresh)
	return nil
}

// TestOnce: -once prints one refresh of the simulated PBX, every queue
// and user with their state, plain (not a terminal), and exits.
func TestOnce(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, []string{"-once"}, noEnv))
	got := out.String()
	require.Len(t, refreshes(got), 1, got)
	require.NotContains(t, got, "\x1b", "no escape codes when stdout is not a terminal")
	require.Contains(t, got, "STARFACE simulated PBX")

	tests := []struct {
		row  string
		want []string // the fields after the name
	}{
		{"Sales", []string{"10", "0", "1", "4", "2"}},   // id, waiting, connected, members, ready
		{"Support", []string{"11", "1", "0", "4", "2"}}, // the waiting caller
		{"Sam Supervisor", []string{"1", "AVAILABLE", "-", "out", "-", "INCOMING"}},
		{"Ben Berger", []string{"3", "AVAILABLE", "10", "in", "-", "-"}},
		{"Clara Claus", []string{"4", "AVAILABLE", "10,11", "in", "-", "INCOMING"}},
		{"David Dorn", []string{"5", "QUEUE_PAUSE", "10,11", "in", "-", "INCOMING"}},
		{"Eva Ebert", []string{"6", "AVAILABLE", "11", "in", "-", "INCOMING"}},
		{"Felix Fink", []string{"7", "UNAVAILABLE", "11", "out", "FWD", "-"}},
	}
	for _, tt := range tests {
		t.Run(tt.row, func(t *testing.T) {
			if diff := gocmp.Diff(tt.want, row(t, got, tt.row)); diff != "" {
				t.Errorf("row %s (-want +got):\n%s", tt.row, diff)
			}
		})
	}
	// Anna talks since 83 s; the refresh came a moment later.
	anna := row(t, got, "Anna Albers")
	require.Equal(t, []string{"2", "ACTIVE", "10", "in", "-", "CONNECTED"}, anna[:6], got)
	require.Regexp(t, `^1m2[3-9]s$`, anna[6])
}

// TestStateChangeShows: what changes on the PBX between two refreshes
// shows in the next one.
func TestStateChangeShows(t *testing.T) {
	var out bytes.Buffer
	synctest.Test(t, func(t *testing.T) {
		d := newDemo(time.UTC, 1)
		src, err := d.source("")
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		cfg := watchConfig{title: "test", every: 15 * time.Second, loc: time.UTC, after: func(n int) {
			switch n {
			case 1: // Ben pauses with DND, a caller waits in Sales, Felix logs in
				d.pbx.SetUserState(3, starfacetest.UserState{TelephonyState: "QUEUE_PAUSE", DoNotDisturb: true})
				d.pbx.StartCall(starfacetest.Call{ID: "new", UserID: 2, State: "INCOMING", GroupID: "10"})
				d.pbx.SetGroupLogin(11, 7, true)
			case 2:
				cancel()
			}
		}}
		require.ErrorIs(t, watch(ctx, &out, src, cfg), context.Canceled)
	})

	rs := refreshes(out.String())
	require.Len(t, rs, 2, out.String())
	require.Contains(t, rs[0], "2000-01-01 00:00:00 · refresh 1, every 15s")
	require.Contains(t, rs[1], "2000-01-01 00:00:15 · refresh 2, every 15s", "the next refresh one interval later")
	tests := []struct {
		row           string
		before, after []string
	}{
		{"Ben Berger", []string{"3", "AVAILABLE", "10", "in", "-", "-"}, []string{"3", "QUEUE_PAUSE", "10", "in", "DND", "-"}},
		{"Sales", []string{"10", "0", "1", "4", "2"}, []string{"10", "1", "1", "4", "1"}},
		{"Felix Fink", []string{"7", "UNAVAILABLE", "11", "out", "FWD", "-"}, []string{"7", "UNAVAILABLE", "11", "in", "FWD", "-"}},
	}
	for _, tt := range tests {
		t.Run(tt.row, func(t *testing.T) {
			if diff := gocmp.Diff(tt.before, row(t, rs[0], tt.row)); diff != "" {
				t.Errorf("refresh 1 (-want +got):\n%s", diff)
			}
			if diff := gocmp.Diff(tt.after, row(t, rs[1], tt.row)); diff != "" {
				t.Errorf("refresh 2 (-want +got):\n%s", diff)
			}
		})
	}
	// Anna's call, connected 83 s before refresh 1, has grown by 15 s.
	require.Equal(t, "1m23s", row(t, rs[0], "Anna Albers")[6])
	require.Equal(t, "1m38s", row(t, rs[1], "Anna Albers")[6])
}

// TestDemoMoves: the simulation moves the PBX on between refreshes:
// agents ring, talk and pause, callers wait; in a terminal each refresh
// clears the screen first.
func TestDemoMoves(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 59*time.Second)
		defer cancel()
		var out bytes.Buffer
		// run as main does, for 59 s of simulated time.
		require.ErrorIs(t, run(ctx, &out, nil, noEnv), context.DeadlineExceeded)
		rs := refreshes(out.String())
		require.Len(t, rs, 30, "a refresh every 2 s")
		require.NotContains(t, out.String(), "refresh failed")
		states := map[string]bool{}
		waiting := map[string]bool{}
		for _, r := range rs {
			for _, name := range []string{"Anna Albers", "Ben Berger", "Clara Claus", "David Dorn", "Eva Ebert", "Felix Fink"} {
				states[row(t, r, name)[1]] = true
			}
			waiting[row(t, r, "Sales")[1]] = true
		}
		for _, s := range []string{"AVAILABLE", "RINGING", "ACTIVE", "QUEUE_PAUSE", "UNAVAILABLE"} {
			require.True(t, states[s], "some agent is %s in some refresh", s)
		}
		require.Greater(t, len(waiting), 1, "the number of waiting callers changes")
	})

	synctest.Test(t, func(t *testing.T) {
		d := newDemo(time.UTC, 1)
		src, err := d.source("")
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		var out bytes.Buffer
		cfg := watchConfig{title: "test", every: time.Second, loc: time.UTC, term: true, after: func(n int) {
			if n == 3 {
				cancel()
			}
		}}
		require.ErrorIs(t, watch(ctx, &out, src, cfg), context.Canceled)
		require.Equal(t, 3, strings.Count(out.String(), "\x1b[H\x1b[2JSTARFACE test"), "the screen cleared before each refresh")
	})
}

// TestRealPBX: with -url the example reads a PBX over HTTP, here the fake
// on a loopback port: the live state of the -uci users, and the
// incomplete parts of a login that may not read everything.
func TestRealPBX(t *testing.T) {
	pbx := starfacetest.New()
	pbx.AddUser(starfacetest.User{ID: 1, Login: "0001", Password: "admin", FirstName: "Sam", FamilyName: "Service", Admin: true})
	pbx.AddUser(starfacetest.User{ID: 2, Login: "0002", Password: "agent", FirstName: "Anna", FamilyName: "Agent"})
	pbx.AddGroup(starfacetest.Group{ID: 10, Name: "Sales"}, 2)
	pbx.SetGroupLogin(10, 2, true)
	pbx.SetUserState(2, starfacetest.UserState{TelephonyState: "RINGING"})
	pbx.SetRedirect(starfacetest.Redirect{ID: "r1", UserID: 1, Trigger: "ALWAYS", Enabled: true, Destination: "+4917012345"})
	pbx.StartCall(starfacetest.Call{ID: "c1", UserID: 2, State: "RINGING", GroupID: "10", CallerNumber: "+4971112345"})
	srv := pbx.NewServer()
	t.Cleanup(srv.Close)

	tests := []struct {
		name    string
		args    []string
		env     func(string) string
		rows    map[string][]string
		partial string
	}{
		{
			name: "administrator",
			args: []string{"-url", srv.URL, "-login", "0001", "-uci", "0002:agent", "-once", "-tz", "UTC"},
			env: func(k string) string {
				if k == "STARFACE_PASSWORD" {
					return "admin"
				}
				return ""
			},
			rows: map[string][]string{
				"Sales":       {"10", "1", "0", "1", "0"},
				"Sam Service": {"1", "AVAILABLE", "-", "out", "FWD", "-"}, // the login's own UCI session
				"Anna Agent":  {"2", "RINGING", "10", "in", "-", "RINGING"},
			},
		},
		{
			// Anna may not read Sam's redirects: the tables still show,
			// with what is missing said below them.
			name:    "agent login",
			args:    []string{"-url", srv.URL, "-login", "0002", "-password", "agent", "-once"},
			env:     noEnv,
			rows:    map[string][]string{"Anna Agent": {"2", "RINGING", "10", "in", "-", "RINGING"}},
			partial: "incomplete: ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, run(context.Background(), &out, tt.args, tt.env))
			got := out.String()
			require.Contains(t, got, "STARFACE "+strings.TrimPrefix(srv.URL, "http://")+" · ")
			for name, want := range tt.rows {
				if diff := gocmp.Diff(want, row(t, got, name)); diff != "" {
					t.Errorf("row %s (-want +got):\n%s", name, diff)
				}
			}
			if tt.partial != "" {
				require.Contains(t, got, tt.partial)
			} else {
				require.NotContains(t, got, "incomplete")
			}
			require.NotContains(t, got, "+4971112345", "no caller number on the screen")
		})
	}
}

func TestErrors(t *testing.T) {
	pbx := starfacetest.New()
	pbx.AddUser(starfacetest.User{ID: 1, Login: "0001", Password: "admin", Admin: true})
	srv := pbx.NewServer()
	t.Cleanup(srv.Close)

	tests := []struct {
		name string
		args []string
		want *regexp.Regexp
	}{
		{"no login", []string{"-url", srv.URL}, regexp.MustCompile(`-url needs -login and -password`)},
		{"wrong password", []string{"-url", srv.URL, "-login", "0001", "-password", "wrong", "-once"}, regexp.MustCompile(`(?i)auth|login`)},
		{"bad url", []string{"-url", "ftp://pbx", "-login", "0001", "-password", "x"}, regexp.MustCompile(`want http\(s\)://host`)},
		{"bad uci flag", []string{"-uci", "0002"}, regexp.MustCompile(`want LOGIN:PASSWORD`)},
		{"bad zone", []string{"-tz", "Mars/Olympus"}, regexp.MustCompile(`-tz "Mars/Olympus"`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), &out, tt.args, noEnv)
			require.Error(t, err)
			require.Regexp(t, tt.want, err.Error())
			require.NotContains(t, err.Error(), "wrong", "the password is not in the error")
		})
	}
}
