package peering_test

import (
	"flag"
	"os"
	"runtime"
	"strconv"
	"testing"
)

// TestMain runs more parallel tests at once than there are cores, unless
// -parallel says otherwise: the end-to-end tests spend most of their time
// waiting on the sandbox's clock (provisioning, propagation, polls), so on
// a 2-core machine the default of GOMAXPROCS left the cores half idle and
// the package took 204 s under -race instead of 132 s.
func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if !explicit {
		if err := flag.Set("test.parallel", strconv.Itoa(max(8, 4*runtime.GOMAXPROCS(0)))); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}
