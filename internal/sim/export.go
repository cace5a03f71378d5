package sim

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/starinsight/starinsight/cdr"
)

// WriteDailyExports writes c's call list into dir as a nightly export job
// drops it: one STARFACE CSV export per day, export-<yyyy-mm-dd>.csv, times
// in c's location. The examples use it for their offline demo data.
func WriteDailyExports(dir string, c Config) (err error) {
	loc := c.Start.Location()
	type export struct {
		f  *os.File
		cw *cdr.CSVWriter
	}
	files := map[string]export{}
	var order []string
	defer func() {
		for _, day := range order {
			if cerr := files[day].f.Close(); err == nil && cerr != nil {
				err = fmt.Errorf("sim: %w", cerr)
			}
		}
	}()
	for e := range Generate(c) {
		day := e.StartTime.In(loc).Format("2006-01-02")
		x, ok := files[day]
		if !ok {
			f, err := os.Create(filepath.Join(dir, "export-"+day+".csv"))
			if err != nil {
				return fmt.Errorf("sim: %w", err)
			}
			x = export{f, cdr.NewCSVWriter(f, cdr.WithLocation(loc))}
			files[day] = x
			order = append(order, day)
		}
		if err := x.cw.Write(e); err != nil {
			return fmt.Errorf("sim: writing entry %d: %w", e.ID, err)
		}
	}
	for _, day := range order {
		if err := files[day].cw.Flush(); err != nil {
			return fmt.Errorf("sim: %s: %w", day, err)
		}
	}
	return nil
}
