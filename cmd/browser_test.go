package cmd

// The person's path in a real browser: `az login --use-device-code` prints
// Entra's message; the person opens the page it names in Chromium (Debian's
// chromium, headless, driven over the DevTools protocol by chromedp),
// types the code — mistyping it once — picks their account and continues;
// az then signs in as that person.

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/azpeer/azpeer/sandbox"
)

// chromium is the browser the test drives, or "" when there is none.
func chromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// inBrowser answers a device code the way a person does, in a headless
// Chromium at exec: it opens the page the message names, types a wrong
// code first (the page must say so), then the right one, picks the
// account whose label names upn, and continues; it reads the page's
// outcome. The sandbox's certificate is not in Chromium's store, so the
// browser ignores certificate errors (loopback only).
func inBrowser(ctx context.Context, exec, upn string, outcome *string) codeAnswer {
	return func(message, code string) error {
		m := pageRE.FindStringSubmatch(message)
		if m == nil {
			return fmt.Errorf("no page in the device-code message %q", message)
		}
		page := strings.TrimRight(m[1], ".,")
		// Flags from the workplace's notes for Chromium on this closed
		// network: no background connections, no first-run work.
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(exec), chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.Flag("ignore-certificate-errors", true),
			chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-sync", true))
		actx, cancel := chromedp.NewExecAllocator(ctx, opts...)
		defer cancel()
		bctx, cancel := chromedp.NewContext(actx)
		defer cancel()
		code1 := chromedp.CSS(`input[name="otc"]`)
		submit := chromedp.CSS(`button[type="submit"]`)
		if err := chromedp.Do(bctx, chromedp.Navigate(page), chromedp.SendKeys(code1, "NOTACODE"), chromedp.Click(submit),
			chromedp.WaitVisible(chromedp.ID("error"))); err != nil {
			return fmt.Errorf("the page %s, a mistyped code: %w", page, err)
		}
		mistyped, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID("error")))
		if err != nil || !strings.Contains(mistyped, "We don't recognize this code") {
			return fmt.Errorf("a mistyped code: the page says %q (%v)", mistyped, err)
		}
		account := chromedp.Search(fmt.Sprintf(`//label[contains(., %q)]/input[@type="radio"]`, upn))
		if err := chromedp.Do(bctx, chromedp.Clear(code1), chromedp.SendKeys(code1, code), chromedp.Click(submit),
			chromedp.WaitVisible(account), chromedp.Click(account), chromedp.Click(chromedp.CSS(`button[value="approve"]`)),
			chromedp.WaitVisible(chromedp.ID("outcome"))); err != nil {
			return fmt.Errorf("the page %s, the code and %s: %w", page, upn, err)
		}
		*outcome, err = chromedp.Run(bctx, chromedp.Text(chromedp.ID("outcome")))
		return err
	}
}

func TestPersonSignsInInABrowser(t *testing.T) {
	browser := chromium()
	if browser == "" {
		t.Skip("no Chromium on PATH: install Debian's chromium to open the device-code page in a browser")
	}
	// 10× the clouds' pace: the code lives 90 s, time enough for a
	// browser to start on a loaded machine.
	_, env, ctx := personJourney(t, sandbox.Options{Speed: 10})
	var outcome string
	start := time.Now()
	azDeviceCodeLogin(ctx, t, env, inBrowser(ctx, browser, sandbox.AdminUserUPN, &outcome))
	if !strings.Contains(outcome, "You have signed in to the Microsoft Azure CLI application on your device") {
		t.Errorf("the page's outcome: %q", outcome)
	}
	var me struct{ UserPrincipalName string }
	if err := json.Unmarshal([]byte(az(ctx, t, env, "ad", "signed-in-user", "show", "-o", "json")), &me); err != nil || me.UserPrincipalName != sandbox.AdminUserUPN {
		t.Errorf("az ad signed-in-user show after the browser: %+v, %v", me, err)
	}
	t.Logf("az login --use-device-code answered in Chromium in %.1fs", time.Since(start).Seconds())
}
