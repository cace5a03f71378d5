package starinsight

import (
	"context"
	"fmt"

	"github.com/starinsight/starinsight/callflow"
	"github.com/starinsight/starinsight/sqlsink"
)

// SQLSink delivers calls to a sqlsink.Sink: each delivery is one
// transaction holding the calls (legs and journeys) and the lane's cursor
// and state (table pipeline_states).
type SQLSink struct {
	s    *sqlsink.Sink
	name string
}

// NewSQLSink returns a pipeline sink on s; name identifies the pipeline's
// state in pipeline_states (one pipeline, one name).
func NewSQLSink(s *sqlsink.Sink, name string) (*SQLSink, error) {
	if s == nil {
		return nil, fmt.Errorf("starinsight: NewSQLSink: nil *sqlsink.Sink")
	}
	if name == "" {
		return nil, fmt.Errorf("starinsight: NewSQLSink: empty name")
	}
	return &SQLSink{s: s, name: name}, nil
}

// Name returns "sql:" and the name.
func (s *SQLSink) Name() string { return "sql:" + s.name }

// Resume returns the stored cursor and state.
func (s *SQLSink) Resume(ctx context.Context, site string) (int64, []byte, error) {
	ps, ok, err := s.s.PipelineState(ctx, s.name, site)
	if err != nil || !ok {
		return 0, nil, err
	}
	return ps.Cursor, []byte(ps.State), nil
}

// Deliver writes the calls and the state in one transaction.
func (s *SQLSink) Deliver(ctx context.Context, site string, calls []callflow.Call, cursor int64, state []byte) error {
	_, err := s.s.Write(ctx, sqlsink.Batch{Calls: calls, PipelineState: &sqlsink.PipelineState{Name: s.name, Site: site, Cursor: cursor, State: string(state)}})
	return err
}
