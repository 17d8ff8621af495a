package azure

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// CLISubscription is a subscription in the Azure CLI's profile.
type CLISubscription struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	TenantID  string `json:"tenantId"`
	IsDefault bool   `json:"isDefault"`
}

// CLIDefaultSubscription is the subscription `az account set` chose (what
// `az account show` prints), from the Azure CLI's azureProfile.json in
// AZURE_CONFIG_DIR, else ~/.azure (azure-cli's azure/cli/core/_profile.py
// keeps it there, written with a UTF-8 byte-order mark). It returns false
// when there is no profile or no default.
func CLIDefaultSubscription(getenv func(string) string) (CLISubscription, bool, error) {
	dir := getenv("AZURE_CONFIG_DIR")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return CLISubscription{}, false, nil
		}
		dir = filepath.Join(home, ".azure")
	}
	path := filepath.Join(dir, "azureProfile.json")
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return CLISubscription{}, false, nil
	}
	if err != nil {
		return CLISubscription{}, false, fmt.Errorf("read the Azure CLI's profile: %w", err)
	}
	var profile struct {
		Subscriptions []CLISubscription `json:"subscriptions"`
	}
	if err := json.Unmarshal(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")), &profile); err != nil {
		return CLISubscription{}, false, fmt.Errorf("read the Azure CLI's profile %s: %w", path, err)
	}
	for _, s := range profile.Subscriptions {
		if s.IsDefault && s.ID != "" {
			s.ID, s.TenantID = strings.ToLower(s.ID), strings.ToLower(s.TenantID)
			return s, true, nil
		}
	}
	return CLISubscription{}, false, nil
}
