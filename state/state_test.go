package state

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/azpeer/azpeer/peering"
)

var target = peering.Target{Project: "tsdb-staging", VPCID: "2a3b4c5d-6e7f-4819-9a0b-1c2d3e4f5a6b",
	SubscriptionID: "3c5d7e9f-1a2b-4c3d-8e4f-5a6b7c8d9e0f", ResourceGroup: "rg-app", VNetName: "app-vnet"}

func TestSaveLoadRemove(t *testing.T) {
	d := Dir{Path: filepath.Join(t.TempDir(), "azpeer")}
	if rec, err := d.Load(target); rec != nil || err != nil {
		t.Fatalf("Load of nothing = %v, %v", rec, err)
	}
	rec := peering.NewRecord(target, peering.Options{AppName: "x"}, time.Now())
	if err := d.Save(rec); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(d.Path, "*.json"))
	if len(files) != 1 {
		t.Fatalf("files %v", files)
	}
	if fi, _ := os.Stat(files[0]); fi.Mode().Perm() != 0o600 {
		t.Errorf("record mode %v, want 0600", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(d.Path); fi.Mode().Perm() != 0o700 {
		t.Errorf("directory mode %v, want 0700", fi.Mode().Perm())
	}
	got, err := d.Load(target)
	if err != nil || got == nil || got.RunID != rec.RunID || got.Options.AppName != "x" {
		t.Fatalf("Load = %+v, %v", got, err)
	}
	// Keys are case-insensitive, as Azure's names are.
	upper := target
	upper.ResourceGroup, upper.VNetName = "RG-APP", "App-VNet"
	if got, _ := d.Load(upper); got == nil {
		t.Error("the record is not found under another case of the same names")
	}
	if list, err := d.List(); err != nil || len(list) != 1 {
		t.Errorf("List = %d records, %v", len(list), err)
	}
	if err := d.Remove(target); err != nil {
		t.Fatal(err)
	}
	if err := d.Remove(target); err != nil {
		t.Errorf("removing an absent record: %v", err)
	}
	if got, _ := d.Load(target); got != nil {
		t.Error("the record is still there")
	}
}

func TestLockNamesTheHolderAndSweepsTemporaryFiles(t *testing.T) {
	d := Dir{Path: t.TempDir()}
	// A save interrupted between its temporary file and the rename.
	stale := filepath.Join(d.Path, "."+fileBase(target)+".json.123.tmp")
	if err := os.WriteFile(stale, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := d.Lock(target)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the stale temporary file is still there: %v", err)
	}
	_, err = d.Lock(target)
	var le *peering.LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() {
		t.Fatalf("second lock: %v, want a LockedError naming pid %d", err, os.Getpid())
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l2, err := d.Lock(target)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	_ = l2.Unlock()
}

// A version-1 record (created: flags among the outputs) loads as a ledger.
func TestMigratesVersion1Records(t *testing.T) {
	d := Dir{Path: t.TempDir()}
	v1 := map[string]any{
		"schema": 1, "target": target, "options": map[string]any{"app_name": "azpeer-x"},
		"steps": map[string]any{}, "events": []any{},
		"outputs": map[string]string{
			peering.OutUserAppID: "app-1", "created:" + peering.OutUserAppID: "true",
			peering.OutAivenSPID: "sp-aiven", peering.OutUserAppKeyID: "key-2", peering.OutReplacedKeyID: "key-1",
		},
	}
	data, _ := json.Marshal(v1)
	if err := WriteFileAtomic(filepath.Join(d.Path, fileBase(target)+".json"), data); err != nil {
		t.Fatal(err)
	}
	rec, err := d.Load(target)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Schema != peering.RecordSchema || rec.RunID == "" {
		t.Errorf("schema %d, run id %q", rec.Schema, rec.RunID)
	}
	if !rec.Owns(peering.OutUserAppID) || rec.Owns(peering.OutAivenSPID) {
		t.Errorf("ownership after migration: app %t, Aiven SP %t", rec.Owns(peering.OutUserAppID), rec.Owns(peering.OutAivenSPID))
	}
	if n := len(rec.Secrets()); n != 2 {
		t.Errorf("%d secrets known, want both keys of version 1", n)
	}
	if _, ok := rec.Outputs["created:"+peering.OutUserAppID]; ok {
		t.Error("a created: flag survived the migration")
	}
	future := map[string]any{"schema": 99, "target": target}
	data, _ = json.Marshal(future)
	_ = WriteFileAtomic(filepath.Join(d.Path, fileBase(target)+".json"), data)
	if _, err := d.Load(target); err == nil {
		t.Error("a record of a newer schema loaded")
	}
}

func TestDefaultDirFollowsXDG(t *testing.T) {
	got, err := DefaultDir(func(k string) string {
		if k == "XDG_STATE_HOME" {
			return "/x/state"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join("/x/state", "azpeer"); got != want && filepath.Base(filepath.Dir(got)) != "azpeer" {
		t.Errorf("DefaultDir = %s, want %s (on Linux) or an OS directory", got, want)
	}
}
