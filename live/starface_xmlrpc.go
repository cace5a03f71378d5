package live

import (
	"bytes"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A minimal XML-RPC codec for the UCI: just what a client needs to call
// methods and read their answers. Values are plain Go values:
//
//	<string>, untyped text   string
//	<int> <i4> <i8> <i1> <i2> int64
//	<boolean>                bool
//	<double> <float>         float64 (finite)
//	<dateTime.iso8601>       time.Time
//	<base64>                 []byte
//	<nil/>                   nil (the Apache extension STARFACE's Java server may send)
//	<array>                  []any
//	<struct>                 map[string]any
//
// Element names are compared without their namespace prefix, so Apache's
// <ex:i8> and <ex:nil/> are read too.

// xmlrpcMaxDepth bounds the nesting of arrays and structs: the decoder
// recurses once per level.
const xmlrpcMaxDepth = 64

// errXMLRPC marks a malformed XML-RPC document.
var errXMLRPC = errors.New("malformed XML-RPC")

// xmlrpcTimeLayouts are the dateTime.iso8601 forms accepted. The spec's
// form has no zone; Apache XML-RPC writes the server's local time.
var xmlrpcTimeLayouts = []string{
	"20060102T15:04:05Z07:00",
	"20060102T15:04:05Z0700",
	"20060102T15:04:05",
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02T15:04:05",
	"20060102T150405Z07:00",
	"20060102T150405",
}

// xmlrpcTimeLayout is the form the encoder writes: the spec's, with the
// zone so that no reader has to guess it.
const xmlrpcTimeLayout = "20060102T15:04:05.999999999Z07:00"

// encodeXMLRPCCall returns a methodCall document.
func encodeXMLRPCCall(method string, params ...any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<methodCall><methodName>")
	if err := xml.EscapeText(&b, []byte(method)); err != nil {
		return nil, err
	}
	b.WriteString("</methodName><params>")
	for i, p := range params {
		b.WriteString("<param>")
		if err := encodeXMLRPCValue(&b, p, 0); err != nil {
			return nil, fmt.Errorf("param %d: %w", i, err)
		}
		b.WriteString("</param>")
	}
	b.WriteString("</params></methodCall>")
	return b.Bytes(), nil
}

// encodeXMLRPCResponse returns a methodResponse document holding v.
func encodeXMLRPCResponse(v any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<methodResponse><params><param>")
	if err := encodeXMLRPCValue(&b, v, 0); err != nil {
		return nil, err
	}
	b.WriteString("</param></params></methodResponse>")
	return b.Bytes(), nil
}

// encodeXMLRPCFault returns a methodResponse document holding a fault.
func encodeXMLRPCFault(f *RPCFault) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<methodResponse><fault>")
	if err := encodeXMLRPCValue(&b, map[string]any{"faultCode": int64(f.Code), "faultString": f.Message}, 0); err != nil {
		return nil, err
	}
	b.WriteString("</fault></methodResponse>")
	return b.Bytes(), nil
}

// encodeXMLRPCValue writes one <value>.
func encodeXMLRPCValue(b *bytes.Buffer, v any, depth int) error {
	if depth > xmlrpcMaxDepth {
		return fmt.Errorf("%w: nested deeper than %d", errXMLRPC, xmlrpcMaxDepth)
	}
	b.WriteString("<value>")
	switch v := v.(type) {
	case nil:
		b.WriteString("<nil/>")
	case string:
		b.WriteString("<string>")
		if err := xml.EscapeText(b, []byte(v)); err != nil {
			return err
		}
		b.WriteString("</string>")
	case bool:
		if v {
			b.WriteString("<boolean>1</boolean>")
		} else {
			b.WriteString("<boolean>0</boolean>")
		}
	case int:
		encodeXMLRPCInt(b, int64(v))
	case int32:
		encodeXMLRPCInt(b, int64(v))
	case int64:
		encodeXMLRPCInt(b, v)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("%w: double %v is not finite", errXMLRPC, v)
		}
		b.WriteString("<double>")
		b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		b.WriteString("</double>")
	case time.Time:
		b.WriteString("<dateTime.iso8601>")
		b.WriteString(v.Format(xmlrpcTimeLayout))
		b.WriteString("</dateTime.iso8601>")
	case []byte:
		b.WriteString("<base64>")
		b.WriteString(base64.StdEncoding.EncodeToString(v))
		b.WriteString("</base64>")
	case []string:
		b.WriteString("<array><data>")
		for _, e := range v {
			if err := encodeXMLRPCValue(b, e, depth+1); err != nil {
				return err
			}
		}
		b.WriteString("</data></array>")
	case []any:
		b.WriteString("<array><data>")
		for _, e := range v {
			if err := encodeXMLRPCValue(b, e, depth+1); err != nil {
				return err
			}
		}
		b.WriteString("</data></array>")
	case map[string]any:
		b.WriteString("<struct>")
		for _, k := range slices.Sorted(maps.Keys(v)) {
			b.WriteString("<member><name>")
			if err := xml.EscapeText(b, []byte(k)); err != nil {
				return err
			}
			b.WriteString("</name>")
			if err := encodeXMLRPCValue(b, v[k], depth+1); err != nil {
				return fmt.Errorf("member %q: %w", k, err)
			}
			b.WriteString("</member>")
		}
		b.WriteString("</struct>")
	default:
		return fmt.Errorf("%w: cannot encode %T", errXMLRPC, v)
	}
	b.WriteString("</value>")
	return nil
}

func encodeXMLRPCInt(b *bytes.Buffer, v int64) {
	if v >= math.MinInt32 && v <= math.MaxInt32 {
		b.WriteString("<int>")
		b.WriteString(strconv.FormatInt(v, 10))
		b.WriteString("</int>")
		return
	}
	// Beyond 32 bits only the i8 extension can hold it.
	b.WriteString("<i8>")
	b.WriteString(strconv.FormatInt(v, 10))
	b.WriteString("</i8>")
}

// decodeXMLRPCResponse reads a methodResponse document. A fault is
// returned as an *RPCFault error. Times without a zone are read in loc.
// The document must be complete: the caller bounds its size.
func decodeXMLRPCResponse(doc []byte, loc *time.Location) (any, error) {
	d := &xmlrpcDecoder{d: xml.NewDecoder(bytes.NewReader(doc)), loc: loc}
	d.d.Strict = true
	root, err := d.start()
	if err != nil {
		return nil, err
	}
	if root.Name.Local != "methodResponse" {
		return nil, fmt.Errorf("%w: root element <%s>, want <methodResponse>", errXMLRPC, root.Name.Local)
	}
	el, err := d.start()
	if err != nil {
		return nil, err
	}
	var v any
	switch el.Name.Local {
	case "params":
		v, err = d.params()
	case "fault":
		v, err = d.fault()
	default:
		return nil, fmt.Errorf("%w: <%s> in <methodResponse>", errXMLRPC, el.Name.Local)
	}
	if err != nil {
		return nil, err
	}
	if err := d.end(); err != nil { // </methodResponse>
		return nil, err
	}
	if err := d.eof(); err != nil {
		return nil, err
	}
	if f, ok := v.(*RPCFault); ok {
		return nil, f
	}
	return v, nil
}

type xmlrpcDecoder struct {
	d   *xml.Decoder
	loc *time.Location
}

// token returns the next token that matters: comments and processing
// instructions are skipped; a directive (DOCTYPE, ENTITY) is refused.
func (d *xmlrpcDecoder) token() (xml.Token, error) {
	for {
		t, err := d.d.Token()
		if err != nil {
			if err == io.EOF {
				return nil, fmt.Errorf("%w: unexpected end of document", errXMLRPC)
			}
			return nil, fmt.Errorf("%w: %v", errXMLRPC, err)
		}
		switch t := t.(type) {
		case xml.Comment, xml.ProcInst:
			continue
		case xml.Directive:
			return nil, fmt.Errorf("%w: directive <!%.20s> not allowed", errXMLRPC, t)
		}
		return t, nil
	}
}

// start returns the next start element, skipping white space.
func (d *xmlrpcDecoder) start() (xml.StartElement, error) {
	for {
		t, err := d.token()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			return t, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return xml.StartElement{}, fmt.Errorf("%w: text %.20q where an element belongs", errXMLRPC, t)
			}
		case xml.EndElement:
			return xml.StartElement{}, fmt.Errorf("%w: unexpected </%s>", errXMLRPC, t.Name.Local)
		}
	}
}

// startOrEnd returns the next start element, or ok false at an end
// element, skipping white space.
func (d *xmlrpcDecoder) startOrEnd() (el xml.StartElement, ok bool, err error) {
	for {
		t, err := d.token()
		if err != nil {
			return xml.StartElement{}, false, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			return t, true, nil
		case xml.EndElement:
			return xml.StartElement{}, false, nil
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return xml.StartElement{}, false, fmt.Errorf("%w: text %.20q where an element belongs", errXMLRPC, t)
			}
		}
	}
}

// end consumes the end element of the current element, skipping white
// space. The xml.Decoder checks that it matches its start.
func (d *xmlrpcDecoder) end() error {
	el, ok, err := d.startOrEnd()
	if err != nil {
		return err
	}
	if ok {
		return fmt.Errorf("%w: unexpected <%s>", errXMLRPC, el.Name.Local)
	}
	return nil
}

// eof checks that nothing but white space, comments and processing
// instructions follows the root element.
func (d *xmlrpcDecoder) eof() error {
	for {
		t, err := d.d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %v", errXMLRPC, err)
		}
		switch t := t.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return fmt.Errorf("%w: text after the document", errXMLRPC)
			}
		default:
			return fmt.Errorf("%w: content after the document", errXMLRPC)
		}
	}
}

// text reads character data up to the current element's end; a child
// element is an error.
func (d *xmlrpcDecoder) text() (string, error) {
	var b strings.Builder
	for {
		t, err := d.token()
		if err != nil {
			return "", err
		}
		switch t := t.(type) {
		case xml.CharData:
			b.Write(t)
		case xml.EndElement:
			return b.String(), nil
		case xml.StartElement:
			return "", fmt.Errorf("%w: unexpected <%s> in a scalar", errXMLRPC, t.Name.Local)
		}
	}
}

// params reads <params> (after its start): exactly one <param>, or none
// for a method without a result.
func (d *xmlrpcDecoder) params() (any, error) {
	el, ok, err := d.startOrEnd()
	if err != nil || !ok {
		return nil, err
	}
	if el.Name.Local != "param" {
		return nil, fmt.Errorf("%w: <%s> in <params>", errXMLRPC, el.Name.Local)
	}
	v, err := d.wrappedValue()
	if err != nil {
		return nil, err
	}
	if err := d.end(); err != nil { // </param>
		return nil, err
	}
	if err := d.end(); err != nil { // </params>: a second <param> is refused here
		return nil, err
	}
	return v, nil
}

// fault reads <fault> (after its start) into an *RPCFault.
func (d *xmlrpcDecoder) fault() (any, error) {
	v, err := d.wrappedValue()
	if err != nil {
		return nil, err
	}
	if err := d.end(); err != nil { // </fault>
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: fault is a %T, want a struct", errXMLRPC, v)
	}
	f := &RPCFault{}
	if c, ok := m["faultCode"].(int64); ok && c >= math.MinInt32 && c <= math.MaxInt32 {
		f.Code = int(c)
	}
	f.Message, _ = m["faultString"].(string)
	return f, nil
}

// wrappedValue reads a <value> element, start to end.
func (d *xmlrpcDecoder) wrappedValue() (any, error) {
	el, err := d.start()
	if err != nil {
		return nil, err
	}
	if el.Name.Local != "value" {
		return nil, fmt.Errorf("%w: <%s>, want <value>", errXMLRPC, el.Name.Local)
	}
	return d.value(0)
}

// value reads the content of a <value> (after its start) up to its end.
func (d *xmlrpcDecoder) value(depth int) (any, error) {
	if depth > xmlrpcMaxDepth {
		return nil, fmt.Errorf("%w: nested deeper than %d", errXMLRPC, xmlrpcMaxDepth)
	}
	var text strings.Builder
	for {
		t, err := d.token()
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.CharData:
			text.Write(t)
		case xml.EndElement:
			// No type element: the text is a string.
			return text.String(), nil
		case xml.StartElement:
			if strings.TrimSpace(text.String()) != "" {
				return nil, fmt.Errorf("%w: text and <%s> in one <value>", errXMLRPC, t.Name.Local)
			}
			v, err := d.typed(t, depth)
			if err != nil {
				return nil, err
			}
			if err := d.end(); err != nil { // </value>
				return nil, err
			}
			return v, nil
		}
	}
}

// typed reads a type element (after its start) up to its end.
func (d *xmlrpcDecoder) typed(el xml.StartElement, depth int) (any, error) {
	name := el.Name.Local
	switch name {
	case "array":
		return d.array(depth)
	case "struct":
		return d.strct(depth)
	case "nil":
		if err := d.end(); err != nil {
			return nil, err
		}
		return nil, nil
	}
	s, err := d.text()
	if err != nil {
		return nil, err
	}
	switch name {
	case "string":
		return s, nil
	case "int", "i4", "i8", "i1", "i2":
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: <%s>%.20q: not an integer", errXMLRPC, name, s)
		}
		return n, nil
	case "boolean":
		switch strings.TrimSpace(s) {
		case "1", "true":
			return true, nil
		case "0", "false":
			return false, nil
		}
		return nil, fmt.Errorf("%w: <boolean>%.20q: want 0 or 1", errXMLRPC, s)
	case "double", "float":
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%w: <%s>%.20q: not a finite number", errXMLRPC, name, s)
		}
		return f, nil
	case "dateTime.iso8601", "dateTime":
		return parseXMLRPCTime(strings.TrimSpace(s), d.loc)
	case "base64":
		b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
		if err != nil {
			return nil, fmt.Errorf("%w: <base64>: %v", errXMLRPC, err)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%w: unknown type <%s>", errXMLRPC, name)
}

func parseXMLRPCTime(s string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	for _, l := range xmlrpcTimeLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%w: <dateTime.iso8601>%.40q: not a time", errXMLRPC, s)
}

// array reads <array> (after its start): <data> holding <value>s.
func (d *xmlrpcDecoder) array(depth int) (any, error) {
	el, err := d.start()
	if err != nil {
		return nil, err
	}
	if el.Name.Local != "data" {
		return nil, fmt.Errorf("%w: <%s> in <array>, want <data>", errXMLRPC, el.Name.Local)
	}
	out := []any{}
	for {
		el, ok, err := d.startOrEnd()
		if err != nil {
			return nil, err
		}
		if !ok { // </data>
			break
		}
		if el.Name.Local != "value" {
			return nil, fmt.Errorf("%w: <%s> in <data>, want <value>", errXMLRPC, el.Name.Local)
		}
		v, err := d.value(depth + 1)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	if err := d.end(); err != nil { // </array>
		return nil, err
	}
	return out, nil
}

// strct reads <struct> (after its start): <member>s of <name> and
// <value>, in either order. A repeated name keeps the last value.
func (d *xmlrpcDecoder) strct(depth int) (any, error) {
	out := map[string]any{}
	for {
		el, ok, err := d.startOrEnd()
		if err != nil {
			return nil, err
		}
		if !ok { // </struct>
			return out, nil
		}
		if el.Name.Local != "member" {
			return nil, fmt.Errorf("%w: <%s> in <struct>, want <member>", errXMLRPC, el.Name.Local)
		}
		var (
			name       string
			v          any
			hasN, hasV bool
		)
		for {
			child, isElem, err := d.startOrEnd()
			if err != nil {
				return nil, err
			}
			if !isElem { // </member>
				break
			}
			switch {
			case child.Name.Local == "name" && !hasN:
				if name, err = d.text(); err != nil {
					return nil, err
				}
				hasN = true
			case child.Name.Local == "value" && !hasV:
				if v, err = d.value(depth + 1); err != nil {
					return nil, err
				}
				hasV = true
			default:
				return nil, fmt.Errorf("%w: <%s> in <member>", errXMLRPC, child.Name.Local)
			}
		}
		if !hasN || !hasV {
			return nil, fmt.Errorf("%w: <member> without <name> and <value>", errXMLRPC)
		}
		out[name] = v
	}
}
