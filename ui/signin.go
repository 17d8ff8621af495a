package ui

import (
	"fmt"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// The Azure sign-in panel: Azure's device code, shown above the screen
// (browsing Aiven goes on meanwhile) until the sign-in succeeds. The code
// is copied with c (OSC 52, which reaches the local clipboard over SSH
// too); a countdown says how long it stays valid; an expired or refused
// code is replaced by a new one on enter.

// deviceCodeLifetime is how long Entra keeps a device code when the
// prompt does not say: its device-code answer gives "expires_in": 900
// (Microsoft identity platform, "OAuth 2.0 device authorization grant").
const deviceCodeLifetime = 15 * time.Minute

// signIn is the panel's state.
type signIn struct {
	code DeviceCodeMessage
	// err is why the sign-in with this code failed (expired, refused).
	err error
	// hidden is set by esc; a new code shows the panel again.
	hidden bool
}

// showDeviceCode puts a new code on the panel.
func (m *Model) showDeviceCode(dc DeviceCodeMessage) {
	if dc.ExpiresOn.IsZero() {
		dc.ExpiresOn = m.now.Add(deviceCodeLifetime)
	}
	m.signIn = &signIn{code: dc}
}

// signedInToAzure closes the panel: a token came back.
func (m *Model) signedInToAzure() { m.signIn = nil }

// signInFailed keeps the panel, saying why and offering a new code.
func (m *Model) signInFailed(err error) {
	if m.signIn == nil {
		m.setStatus("Azure sign-in failed: "+oneLine(err.Error()), true)
		return
	}
	m.signIn.err, m.signIn.hidden = err, false
}

// signInKey handles the panel's keys while it is shown.
func (m *Model) signInKey(msg tea.KeyPressMsg) (bool, tea.Cmd) {
	si := m.signIn
	if si == nil || si.hidden {
		return false, nil
	}
	switch {
	case key.Matches(msg, m.keys.CopyCode):
		m.setStatus("copied the sign-in code "+si.code.UserCode, false)
		return true, tea.SetClipboard(si.code.UserCode)
	case key.Matches(msg, m.keys.NewCode) && m.signInEnded():
		if m.deps.WhoAmI == nil {
			return false, nil
		}
		// A new GetToken starts a new device-code flow.
		m.signIn = nil
		m.setStatus("asking Azure for a new sign-in code…", false)
		return true, fetchWhoAmI(m.ctx, m.deps.WhoAmI)
	case key.Matches(msg, m.keys.Back):
		si.hidden = true
		return true, nil
	}
	return false, nil
}

// signInEnded reports whether the code on the panel can no longer work.
func (m *Model) signInEnded() bool {
	si := m.signIn
	return si != nil && (si.err != nil || !m.now.Before(si.code.ExpiresOn))
}

func (m *Model) signInPanel(w int) string {
	s := &m.styles
	si := m.signIn
	dc := si.code
	lines := s.BoxTitle.Render("Azure sign-in") + "\n" +
		"open " + s.Title.Render(dc.VerificationURL) + " and enter " + s.Pending.Render(dc.UserCode) + "\n"
	left := si.code.ExpiresOn.Sub(m.now).Round(time.Second)
	switch {
	case si.err != nil:
		lines += s.Failed.Render("sign-in failed: "+clip(oneLine(si.err.Error()), max(10, w-24))) + "\n" +
			s.Muted.Render(m.keys.NewCode.Help().Key+" new code · esc hide")
	case left <= 0:
		lines += s.Failed.Render("this code has expired") + "\n" +
			s.Muted.Render(m.keys.NewCode.Help().Key+" new code · esc hide")
	default:
		lines += m.spinner.View() + " " + s.Muted.Render(fmt.Sprintf("waiting for you to sign in · the code expires in %s", left)) + "\n" +
			s.Muted.Render(m.keys.CopyCode.Help().Key+" copy the code · esc hide")
	}
	return s.Box.Width(min(w, 100)).Render(lines)
}

// signInKeys are the panel's bindings, for the help view.
func (m *Model) signInKeys() []key.Binding {
	if m.signIn == nil || m.signIn.hidden {
		return nil
	}
	if m.signInEnded() {
		return []key.Binding{m.keys.NewCode}
	}
	return []key.Binding{m.keys.CopyCode}
}
