// Package config reads azpeer's configuration file: defaults a user sets
// once (subscription, app name, role, polling, bell, read-only, theme,
// key bindings), as k9s and gh-dash users keep theirs. Flags beat the
// environment, which beats the file; this package only reads the file and
// says where it is.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// EnvFile names the environment variable that points at another file.
const EnvFile = "AZPEER_CONFIG"

// Config is the file's content. Every key is optional; zero means unset.
type Config struct {
	// Subscription is the default Azure subscription id.
	Subscription string `yaml:"subscription" json:"subscription,omitempty"`
	// AppName is the display name of the apps azpeer creates; {project}
	// and {vnet} are replaced (default "azpeer-{project}-{vnet}").
	AppName string `yaml:"app_name" json:"app_name,omitempty"`
	// Role is the app's role on the VNet: network-contributor or least-privilege.
	Role string `yaml:"role" json:"role,omitempty"`
	// AivenAppID is Aiven's (or MST's) multi-tenant app id.
	AivenAppID string `yaml:"aiven_app_id" json:"aiven_app_id,omitempty"`
	// Poll are the dashboard's refresh intervals.
	Poll Poll `yaml:"poll" json:"poll,omitzero"`
	// Bell rings the terminal bell when a watched peering changes state
	// (default true).
	Bell *bool `yaml:"bell" json:"bell,omitempty"`
	// ReadOnly disables every action that changes a cloud.
	ReadOnly bool `yaml:"read_only" json:"read_only,omitempty"`
	// Theme is dark, light, auto (the terminal's background) or none (no colour).
	Theme string `yaml:"theme" json:"theme,omitempty"`
	// Keys rebind the dashboard's actions: action name → keys.
	Keys map[string][]string `yaml:"keys" json:"keys,omitempty"`
}

// Poll are refresh intervals.
type Poll struct {
	// Fast is used while something shown is changing (default 2s).
	Fast Duration `yaml:"fast" json:"fast,omitempty"`
	// Slow is used otherwise (default 30s).
	Slow Duration `yaml:"slow" json:"slow,omitempty"`
}

// Duration reads "2s", "1m30s".
type Duration time.Duration

// UnmarshalYAML reads a Go duration.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil || v <= 0 {
		return fmt.Errorf("line %d: %q is not a positive duration (e.g. 2s, 1m)", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes "2s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// D is the duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Themes are the values theme takes.
var Themes = []string{"auto", "dark", "light", "none"}

// Roles are the values role takes.
var Roles = []string{"network-contributor", "least-privilege"}

// Path is where the file is: $AZPEER_CONFIG, else azpeer/config.yaml in
// the OS's config directory ($XDG_CONFIG_HOME or ~/.config on Linux,
// ~/Library/Application Support on macOS, %AppData% on Windows).
func Path(getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if p := getenv(EnvFile); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no configuration directory (%v); set %s", err, EnvFile)
	}
	return filepath.Join(dir, "azpeer", "config.yaml"), nil
}

// Load reads the file at path; a missing file is an empty configuration.
// Errors name the file, the line and the key.
func Load(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Config{}, nil
	}
	if err != nil {
		return Config{}, fmt.Errorf("configuration %s: %w", path, err)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("configuration %s: %v (azpeer config keys lists the keys)", path, err)
	}
	if err := c.validate(); err != nil {
		return Config{}, fmt.Errorf("configuration %s: %w", path, err)
	}
	return c, nil
}

func (c Config) validate() error {
	switch {
	case c.Role != "" && !slices.Contains(Roles, c.Role):
		return fmt.Errorf("role %q: use %s", c.Role, strings.Join(Roles, " or "))
	case c.Theme != "" && !slices.Contains(Themes, c.Theme):
		return fmt.Errorf("theme %q: use %s", c.Theme, strings.Join(Themes, ", "))
	case c.Poll.Fast != 0 && c.Poll.Slow != 0 && c.Poll.Fast > c.Poll.Slow:
		return fmt.Errorf("poll.fast (%s) is longer than poll.slow (%s)", c.Poll.Fast.D(), c.Poll.Slow.D())
	}
	for action, keys := range c.Keys {
		if len(keys) == 0 {
			return fmt.Errorf("keys.%s: give at least one key, e.g. [%q]", action, "n")
		}
	}
	return nil
}

// AppNameFor expands the app_name template for a target ("" when unset).
func (c Config) AppNameFor(project, vnet string) string {
	if c.AppName == "" {
		return ""
	}
	r := strings.NewReplacer("{project}", project, "{vnet}", strings.ToLower(vnet))
	return r.Replace(c.AppName)
}

// BellOn reports whether the bell rings (default yes).
func (c Config) BellOn() bool { return c.Bell == nil || *c.Bell }

// Keys documents every key of the file, for `azpeer config keys`.
func Keys() []KeyDoc {
	return []KeyDoc{
		{"subscription", "string", "the default Azure subscription id (like --subscription and AZURE_SUBSCRIPTION_ID)"},
		{"app_name", "string", "display name of the apps azpeer creates; {project} and {vnet} are replaced (default azpeer-{project}-{vnet})"},
		{"role", "network-contributor | least-privilege", "the app's role on the VNet (like --role)"},
		{"aiven_app_id", "GUID", "Aiven's (or MST's) multi-tenant Entra app id (like --aiven-app-id)"},
		{"poll.fast", "duration", "dashboard refresh while something shown changes (default 2s)"},
		{"poll.slow", "duration", "dashboard refresh otherwise (default 30s)"},
		{"bell", "bool", "ring the terminal bell when a watched peering changes state (default true)"},
		{"read_only", "bool", "disable every action that changes a cloud (like --read-only and AZPEER_READ_ONLY=1)"},
		{"theme", strings.Join(Themes, " | "), "colours: auto follows the terminal's background; none is no colour (like NO_COLOR)"},
		{"keys.<action>", "list of keys", "rebind a dashboard action, e.g. keys: {new: [n, N], diagnose: [d]}; azpeer config keys lists the actions"},
	}
}

// KeyDoc describes one key.
type KeyDoc struct {
	Key, Type, Meaning string
}
