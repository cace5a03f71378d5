package main

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/starinsight/starinsight/callflow"
)

// The charts draw what a Reporter returned; they only arrange it.

// seriesColors is a colour-blind-friendly qualitative palette (Tableau 10).
var seriesColors = [...]color.RGBA{
	{0x4e, 0x79, 0xa7, 0xff}, {0xf2, 0x8e, 0x2b, 0xff}, {0xe1, 0x57, 0x59, 0xff}, {0x76, 0xb7, 0xb2, 0xff}, {0x59, 0xa1, 0x4f, 0xff},
	{0xed, 0xc9, 0x48, 0xff}, {0xb0, 0x7a, 0xa1, 0xff}, {0xff, 0x9d, 0xa7, 0xff}, {0x9c, 0x75, 0x5f, 0xff}, {0xba, 0xb0, 0xac, 0xff},
}

func seriesColor(i int) color.Color { return seriesColors[i%len(seriesColors)] }

// heatColors is ColorBrewer's sequential "Blues": no calls is nearly white.
var heatColors = []color.Color{
	color.RGBA{0xf7, 0xfb, 0xff, 0xff}, color.RGBA{0xde, 0xeb, 0xf7, 0xff}, color.RGBA{0xc6, 0xdb, 0xef, 0xff},
	color.RGBA{0x9e, 0xca, 0xe1, 0xff}, color.RGBA{0x6b, 0xae, 0xd6, 0xff}, color.RGBA{0x42, 0x92, 0xc6, 0xff},
	color.RGBA{0x21, 0x71, 0xb5, 0xff}, color.RGBA{0x08, 0x51, 0x9c, 0xff}, color.RGBA{0x08, 0x30, 0x6b, 0xff},
}

type palette []color.Color

func (p palette) Colors() []color.Color { return p }

// sans is the charts' font. gonum/plot's default is Liberation Serif; the
// sans variant reads better on screen, and the page names it with its
// metric twins Arial and Helvetica, so that text measured here fits there.
func sans(points float64) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: vg.Points(points)}
}

func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(14)
	p.Title.Padding = 8
	p.X.Tick.Label.Font, p.Y.Tick.Label.Font = sans(9), sans(9)
	p.X.Label.TextStyle.Font, p.Y.Label.TextStyle.Font = sans(10), sans(10)
	p.Legend.TextStyle.Font = sans(9)
	return p
}

// newLabels returns text labels at points, centred on them, in the
// charts' font.
func newLabels(xys plotter.XYs, labels []string, points float64) (*plotter.Labels, error) {
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
	if err != nil {
		return nil, err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].Font = sans(points)
		l.TextStyle[i].XAlign, l.TextStyle[i].YAlign = text.XCenter, text.YCenter
	}
	return l, nil
}

// headroom sets an axis' maximum a little above peak, so that the labels
// on the highest bar stay inside the chart.
func headroom(a *plot.Axis, peak float64) {
	a.Min, a.Max = 0, math.Max(1, peak*1.12)
}

// bucketLabel names a ring-time bucket: "≤ 20 s", "≤ 3 min".
func bucketLabel(d time.Duration) string {
	if d < time.Minute || d%time.Minute != 0 {
		return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
	}
	return strconv.Itoa(int(d/time.Minute)) + " min"
}

// noData draws a titled empty chart, so that the report keeps its shape
// for an export without, say, group calls.
func noData(c draw.Canvas, title, msg string) error {
	p := newPlot(title)
	p.HideAxes()
	l, err := newLabels(plotter.XYs{{X: 0.5, Y: 0.5}}, []string{msg}, 12)
	if err != nil {
		return err
	}
	l.TextStyle[0].Color = color.Gray{0x77}
	p.Add(l)
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.Draw(c)
	return nil
}

// drawWithLegend draws p with its legend in a column to the right of the
// plot area, where it cannot hide a line or a bar.
func drawWithLegend(c draw.Canvas, p *plot.Plot, l plot.Legend) {
	l.Top, l.Left = true, true
	l.TextStyle.Font = sans(9)
	l.Padding = 4
	r := l.Rectangle(c)
	width := r.Size().X + 16
	p.Draw(draw.Crop(c, 0, -width, 0, 0))
	lc := draw.Crop(c, c.Size().X-width+8, 0, 0, -28)
	l.Draw(lc)
}

// heatGrid lays a callflow.HeatMap out for plotter.HeatMap: columns are
// the hours from first to last (rows' index 0 is the bottom, so Sunday is
// at the bottom and Monday on top, as a calendar reads).
type heatGrid struct {
	m        *[7][24]int
	from, to int
}

func (g heatGrid) Dims() (c, r int)   { return g.to - g.from + 1, 7 }
func (g heatGrid) Z(c, r int) float64 { return float64(g.m[6-r][g.from+c]) }
func (g heatGrid) X(c int) float64    { return float64(g.from + c) }
func (g heatGrid) Y(r int) float64    { return float64(r) }

func heatMapChart(hm callflow.HeatMap) func(draw.Canvas) error {
	return func(c draw.Canvas) error {
		from, to, peak := 24, -1, 0
		for d := range hm.Calls {
			for h, n := range hm.Calls[d] {
				if n > 0 {
					from, to, peak = min(from, h), max(to, h), max(peak, n)
				}
			}
		}
		if to < 0 {
			return noData(c, titleHeatMap, "no calls")
		}
		g := heatGrid{m: &hm.Calls, from: from, to: to}
		p := newPlot(titleHeatMap)
		hp := plotter.NewHeatMap(g, palette(heatColors))
		hp.Min, hp.Max = 0, float64(max(peak, 1))
		p.Add(hp)

		// The count in each cell that has calls: the exact figure, and no
		// colour scale to read.
		var xys plotter.XYs
		var labels []string
		var light []bool
		for r := range 7 {
			for col := range to - from + 1 {
				n := int(g.Z(col, r))
				if n == 0 {
					continue
				}
				xys = append(xys, plotter.XY{X: g.X(col), Y: g.Y(r)})
				labels = append(labels, strconv.Itoa(n))
				light = append(light, float64(n)/float64(max(peak, 1)) > 0.55)
			}
		}
		l, err := newLabels(xys, labels, 8)
		if err != nil {
			return err
		}
		for i := range l.TextStyle {
			if light[i] {
				l.TextStyle[i].Color = color.White
			}
		}
		p.Add(l)

		var xt, yt []plot.Tick
		for h := from; h <= to; h++ {
			xt = append(xt, plot.Tick{Value: float64(h), Label: fmt.Sprintf("%02d", h)})
		}
		for r := range 7 {
			wd := time.Weekday((6 - r + 1) % 7) // row 6 is index 0, Monday
			yt = append(yt, plot.Tick{Value: float64(r), Label: callflow.English.Weekday(wd)})
		}
		p.X.Tick.Marker, p.Y.Tick.Marker = plot.ConstantTicks(xt), plot.ConstantTicks(yt)
		p.X.Label.Text = "hour of arrival"
		p.X.Padding, p.Y.Padding = 0, 0
		p.Draw(c)
		return nil
	}
}

// serviceLevelChart draws one line per group: the service level of each
// interval, at the interval's middle. An interval with no call that counts
// has no service level (a Ratio without a value): the line has a gap
// there rather than a fake 0 %.
func serviceLevelChart(d *dataset, rows []callflow.GroupKPI) func(draw.Canvas) error {
	return func(c draw.Canvas) error {
		if len(rows) == 0 {
			return noData(c, titleServiceLevel, "no calls reached a group or iQueue")
		}
		loc := d.rep.Location()
		origin := rows[0].Start
		for _, k := range rows {
			if k.Start.Before(origin) {
				origin = k.Start
			}
		}
		x := func(t time.Time) float64 { return t.Sub(origin).Hours() }
		p := newPlot(titleServiceLevel + " (per " + d.interval.String() + ")")
		p.Add(plotter.NewGrid())
		var legend = plot.NewLegend()
		var order []int64
		series := map[int64][]callflow.GroupKPI{}
		for _, k := range rows {
			id := int64(k.GroupID)
			if _, ok := series[id]; !ok {
				order = append(order, id)
			}
			series[id] = append(series[id], k)
		}
		last := origin
		for i, id := range order {
			var segs []plotter.XYs
			var seg plotter.XYs
			for _, k := range series[id] {
				if k.End.After(last) {
					last = k.End
				}
				v, ok := k.ServiceLevel.Value()
				if !ok {
					if len(seg) > 0 {
						segs, seg = append(segs, seg), nil
					}
					continue
				}
				mid := k.Start.Add(d.interval.Next(k.Start, loc).Sub(k.Start) / 2)
				seg = append(seg, plotter.XY{X: x(mid), Y: 100 * v})
			}
			if len(seg) > 0 {
				segs = append(segs, seg)
			}
			for j, s := range segs {
				l, pts, err := plotter.NewLinePoints(s)
				if err != nil {
					return err
				}
				l.Color, l.Width = seriesColor(i), vg.Points(1.5)
				pts.Color, pts.Shape, pts.Radius = seriesColor(i), draw.CircleGlyph{}, vg.Points(2.5)
				p.Add(l, pts)
				if j == 0 {
					legend.Add(d.name(series[id][0].GroupID), l, pts)
				}
			}
		}
		p.Y.Min, p.Y.Max = 0, 100
		p.Y.Label.Text = "service level (%)"
		p.X.Min, p.X.Max = 0, x(last)
		p.X.Tick.Marker = timeTicks(d.interval, origin, last, loc)
		drawWithLegend(c, p, legend)
		return nil
	}
}

// timeTicks labels the time axis: days for hourly and daily series (the
// day's label at its middle, a tick at each midnight), else each interval.
// Labels are thinned so that they do not overlap.
func timeTicks(iv callflow.Interval, origin, last time.Time, loc *time.Location) plot.Ticker {
	step := iv
	if iv == callflow.IntervalHour {
		step = callflow.IntervalDay
	}
	format := map[callflow.Interval]string{callflow.IntervalDay: "Mon 02.01.", callflow.IntervalWeek: "02.01.", callflow.IntervalMonth: "Jan 2006"}[step]
	var starts []time.Time
	for t := step.Start(origin, loc); t.Before(last) && len(starts) < 1000; t = step.Next(t, loc) {
		starts = append(starts, t)
	}
	every := max(1, int(math.Ceil(float64(len(starts))/12)))
	var ticks []plot.Tick
	for i, t := range starts {
		next := step.Next(t, loc)
		ticks = append(ticks, plot.Tick{Value: t.Sub(origin).Hours()}) // a minor tick at the boundary
		if i%every == 0 {
			ticks = append(ticks, plot.Tick{Value: t.Add(next.Sub(t) / 2).Sub(origin).Hours(), Label: t.In(loc).Format(format)})
		}
	}
	return plot.TickerFunc(func(lo, hi float64) []plot.Tick {
		var in []plot.Tick
		for _, t := range ticks {
			if t.Value >= lo && t.Value <= hi {
				in = append(in, t)
			}
		}
		return in
	})
}

// ringTimeChart draws the Reporter's ring-time buckets of each group as
// grouped bars: a histogram over buckets of unequal width, so the buckets
// are categories rather than a linear axis.
func ringTimeChart(d *dataset, total []callflow.GroupKPI) func(draw.Canvas) error {
	return func(c draw.Canvas) error {
		var rows []callflow.GroupKPI
		for _, k := range total {
			if k.Ring.Count > 0 {
				rows = append(rows, k)
			}
		}
		if len(rows) == 0 {
			return noData(c, titleRingTime, "no offered group or iQueue calls")
		}
		p := newPlot(titleRingTime)
		p.Add(plotter.NewGrid())
		legend := plot.NewLegend()
		buckets := rows[0].Ring.Buckets
		width := vg.Points(math.Min(14, 56/float64(len(rows))))
		peak := 0.0
		for i, k := range rows {
			vals := make(plotter.Values, len(k.Ring.Buckets))
			for j, b := range k.Ring.Buckets {
				vals[j] = float64(b.Count)
				peak = math.Max(peak, vals[j])
			}
			bars, err := plotter.NewBarChart(vals, width)
			if err != nil {
				return err
			}
			bars.Color = seriesColor(i)
			bars.LineStyle.Width = 0
			bars.Offset = vg.Length(float64(i)-float64(len(rows)-1)/2) * width
			p.Add(bars)
			legend.Add(d.name(k.GroupID), bars)
		}
		names := make([]string, len(buckets))
		for j, b := range buckets {
			switch {
			case b.UpTo > 0:
				names[j] = "≤ " + bucketLabel(b.UpTo)
			case j > 0:
				names[j] = "> " + bucketLabel(buckets[j-1].UpTo)
			default:
				names[j] = "all"
			}
		}
		p.NominalX(names...)
		p.X.Label.Text = "ring time"
		p.Y.Label.Text = "calls"
		headroom(&p.Y, peak)
		drawWithLegend(c, p, legend)
		return nil
	}
}

// maxBoardBars bounds the leaderboard chart; the table lists every agent.
const maxBoardBars = 20

// leaderboardChart draws the leaderboard as horizontal bars, the first
// place on top, each bar labelled with its count.
func leaderboardChart(d *dataset, board []callflow.AgentKPI) func(draw.Canvas) error {
	return func(c draw.Canvas) error {
		if len(board) == 0 {
			return noData(c, titleLeaderboard, "no agent answered a call")
		}
		board = board[:min(len(board), maxBoardBars)]
		n := len(board)
		vals := make(plotter.Values, n)
		names := make([]string, n)
		var xys plotter.XYs
		var labels []string
		for i, a := range board {
			row := n - 1 - i // the first place on top
			vals[row] = float64(a.Handled)
			names[row] = fmt.Sprintf("%d. %s", a.Rank, d.name(a.AgentID))
			xys = append(xys, plotter.XY{X: float64(a.Handled), Y: float64(row)})
			labels = append(labels, strconv.Itoa(a.Handled))
		}
		p := newPlot(titleLeaderboard)
		grid := plotter.NewGrid()
		grid.Horizontal.Width = 0
		p.Add(grid)
		bars, err := plotter.NewBarChart(vals, vg.Points(14))
		if err != nil {
			return err
		}
		bars.Horizontal = true
		bars.Color = seriesColor(0)
		bars.LineStyle.Width = 0
		p.Add(bars)
		l, err := newLabels(xys, labels, 9)
		if err != nil {
			return err
		}
		for i := range l.TextStyle {
			l.TextStyle[i].XAlign = text.XLeft
		}
		l.Offset = vg.Point{X: 4}
		p.Add(l)
		p.NominalY(names...)
		p.X.Min = 0
		p.X.Max = vals[n-1] * 1.08 // room for the first place's label
		p.X.Label.Text = "answered calls"
		p.Draw(c)
		return nil
	}
}

// lostCallersChart draws two panels from callflow.LostCallerSummary: the
// episodes by outcome, and after how many attempts the lost callers gave up.
func lostCallersChart(lc callflow.LostCallerFigures) func(draw.Canvas) error {
	return func(c draw.Canvas) error {
		if lc.Episodes == 0 {
			return noData(c, titleLostCallers, "no lost callers")
		}
		// The overall title, above both panels.
		ts := text.Style{Font: sans(14), XAlign: text.XCenter, YAlign: text.YTop, Handler: plot.DefaultTextHandler, Color: color.Black}
		c.FillText(ts, vg.Point{X: c.Center().X, Y: c.Max.Y - 4}, titleLostCallers)
		body := draw.Crop(c, 0, 0, 0, -28)

		outcomes := newPlot("episodes by outcome")
		outcomes.Title.TextStyle.Font = sans(11)
		outcomes.Add(plotter.NewGrid())
		figures := []struct {
			name string
			n    int
		}{
			{"called back", lc.RecoveredByCallback}, {"got through", lc.RecoveredByCaller}, {"lost", lc.Lost},
			{"pending", lc.Pending}, {"withheld", lc.Unrecoverable},
		}
		vals := make(plotter.Values, len(figures))
		names := make([]string, len(figures))
		var xys plotter.XYs
		var labels []string
		for i, f := range figures {
			vals[i], names[i] = float64(f.n), f.name
			xys = append(xys, plotter.XY{X: float64(i), Y: float64(f.n)})
			labels = append(labels, strconv.Itoa(f.n))
		}
		bars, err := plotter.NewBarChart(vals, vg.Points(28))
		if err != nil {
			return err
		}
		bars.Color, bars.LineStyle.Width = seriesColor(2), 0
		outcomes.Add(bars)
		if err := addBarLabels(outcomes, xys, labels); err != nil {
			return err
		}
		outcomes.NominalX(names...)
		outcomes.X.Min, outcomes.X.Max = -0.5, float64(len(figures))-0.5
		outcomes.Y.Label.Text = "callers"
		headroom(&outcomes.Y, slices.Max(vals))

		attempts := newPlot("lost callers: attempts before giving up")
		attempts.Title.TextStyle.Font = sans(11)
		attempts.Add(plotter.NewGrid())
		counts := lc.GaveUpAfter.Counts
		if len(counts) > 0 {
			vals = make(plotter.Values, len(counts))
			names = make([]string, len(counts))
			xys, labels = nil, nil
			for i, a := range counts {
				vals[i], names[i] = float64(a.Episodes), strconv.Itoa(a.Attempts)
				xys = append(xys, plotter.XY{X: float64(i), Y: float64(a.Episodes)})
				labels = append(labels, strconv.Itoa(a.Episodes))
			}
			bars, err := plotter.NewBarChart(vals, vg.Points(28))
			if err != nil {
				return err
			}
			bars.Color, bars.LineStyle.Width = seriesColor(0), 0
			attempts.Add(bars)
			if err := addBarLabels(attempts, xys, labels); err != nil {
				return err
			}
			attempts.NominalX(names...)
			attempts.X.Min, attempts.X.Max = -0.5, float64(len(counts))-0.5
			headroom(&attempts.Y, slices.Max(vals))
		}
		attempts.X.Label.Text = fmt.Sprintf("attempts (mean %.1f)", lc.GaveUpAfter.Mean)
		attempts.Y.Label.Text = "callers"

		tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: 24}
		cs := plot.Align([][]*plot.Plot{{outcomes, attempts}}, tiles, body)
		outcomes.Draw(cs[0][0])
		attempts.Draw(cs[0][1])
		return nil
	}
}

// addBarLabels writes each bar's count just above it.
func addBarLabels(p *plot.Plot, xys plotter.XYs, labels []string) error {
	l, err := newLabels(xys, labels, 9)
	if err != nil {
		return err
	}
	for i := range l.TextStyle {
		l.TextStyle[i].YAlign = text.YBottom
	}
	l.Offset = vg.Point{Y: 3}
	p.Add(l)
	return nil
}
