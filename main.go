// Command azpeer peers Azure virtual networks with Aiven project VPCs.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/azpeer/azpeer/cmd"
)

func main() {
	if err := cmd.NewRootCommand().ExecuteContext(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "azpeer:", err)
		os.Exit(1)
	}
}
