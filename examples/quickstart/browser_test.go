package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// chromiumEnv names the headless browser the report test drives; .ci/run
// sets it (installing Debian's chromium when it is missing).
const chromiumEnv = "STARINSIGHT_CHROMIUM"

var svgRE = regexp.MustCompile(`(?s)(<svg[^>]*>).*?</svg>`)

// screenshot renders page in headless Chromium and returns the image.
func screenshot(t *testing.T, browser, page string) image.Image {
	t.Helper()
	out := filepath.Join(t.TempDir(), "shot.png")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--window-size=1200,5200", "--screenshot="+out, "file://"+page)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Run(), "chromium: %s", stderr.String())
	f, err := os.Open(out)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	return img
}

// inked counts the pixels that are not (nearly) white.
func inked(img image.Image) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r>>8 < 245 || g>>8 < 245 || bl>>8 < 245 {
				n++
			}
		}
	}
	return n
}

// TestReportInChromium renders the HTML report in headless Chromium and
// asserts that each of its charts is drawn: the page with one chart
// emptied (its <svg> kept, its drawing removed) shows clearly less ink
// than the whole page.
func TestReportInChromium(t *testing.T) {
	browser := os.Getenv(chromiumEnv)
	if browser == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: .ci/run installs Debian's chromium and sets it", chromiumEnv)
		}
		t.Skipf("set %s to a headless Chromium (Debian: apt-get install chromium; %s=/usr/bin/chromium) to render the report", chromiumEnv, chromiumEnv)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	require.NoError(t, run(&bytes.Buffer{}, []string{"-html", page}))
	html, err := os.ReadFile(page)
	require.NoError(t, err)
	charts := svgRE.FindAllIndex(html, -1)
	require.Len(t, charts, 5, "the report's charts")

	whole := inked(screenshot(t, browser, page))
	t.Logf("whole report: %d inked pixels", whole)
	for i, loc := range charts {
		t.Run(fmt.Sprint("chart ", i+1), func(t *testing.T) {
			emptied := append([]byte(nil), html[:loc[0]]...)
			emptied = append(emptied, svgRE.ReplaceAll(html[loc[0]:loc[1]], []byte("$1</svg>"))...)
			emptied = append(emptied, html[loc[1]:]...)
			p := filepath.Join(t.TempDir(), "emptied.html")
			require.NoError(t, os.WriteFile(p, emptied, 0o644))
			without := inked(screenshot(t, browser, p))
			// A drawn chart (axes, labels, bars or cells) inks thousands
			// of pixels.
			require.Greater(t, whole-without, 3000, "chart %d adds only %d inked pixels: it is not drawn", i+1, whole-without)
			t.Logf("chart %d: %d inked pixels", i+1, whole-without)
		})
	}
}
