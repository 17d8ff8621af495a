package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"
)

// Files in a --state-dir.
const (
	stateFile  = "world.json"
	caCertFile = "ca.pem"
	caKeyFile  = "ca-key.pem"
	keyFile    = "signing.key"
)

// loadOrCreate restores the world and CA from the state dir, or builds the
// scenario and a new CA.
func (s *Server) loadOrCreate() error {
	dir := s.opts.StateDir
	if dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("sandbox: --state-dir %s: %w", dir, err)
		}
	}
	// The CA and signing key persist with the world, so clients that trust
	// the CA and tokens already issued keep working across a restart.
	if dir != "" {
		certPEM, err1 := os.ReadFile(filepath.Join(dir, caCertFile))
		keyPEM, err2 := os.ReadFile(filepath.Join(dir, caKeyFile))
		if err1 == nil && err2 == nil {
			ca, err := loadCA(certPEM, keyPEM)
			if err != nil {
				return fmt.Errorf("sandbox: %s: %w", dir, err)
			}
			s.ca = ca
		}
		if k, err := os.ReadFile(filepath.Join(dir, keyFile)); err == nil && len(k) == 32 {
			s.signingKey = k
		}
	}
	if s.ca == nil {
		ca, err := newCA()
		if err != nil {
			return err
		}
		s.ca = ca
	}
	if s.signingKey == nil {
		s.signingKey = newSigningKey()
	}

	if dir != "" {
		data, err := os.ReadFile(filepath.Join(dir, stateFile))
		switch {
		case err == nil:
			var world World
			if err := json.Unmarshal(data, &world); err != nil {
				return fmt.Errorf("sandbox: %s is not a sandbox state file (%v); move it away to start afresh", filepath.Join(dir, stateFile), err)
			}
			world.fillMaps()
			s.world = &world
			s.clock = NewClock(s.opts.Speed, world.SimTime)
			if err := s.rotateCredentials(); err != nil {
				return err
			}
		case !errors.Is(err, fs.ErrNotExist):
			return fmt.Errorf("sandbox: read state: %w", err)
		}
	}
	if s.world == nil {
		s.clock = NewClock(s.opts.Speed, time.Time{})
		world, creds, err := buildScenario(s.opts.Scenario, s.clock.Now())
		if err != nil {
			return err
		}
		s.world, s.creds = world, creds
	}
	if dir != "" {
		if err := writeFile0600(filepath.Join(dir, caCertFile), s.ca.CertPEM()); err != nil {
			return err
		}
		kp, err := s.ca.keyPEM()
		if err != nil {
			return err
		}
		if err := writeFile0600(filepath.Join(dir, caKeyFile), kp); err != nil {
			return err
		}
		if err := writeFile0600(filepath.Join(dir, keyFile), s.signingKey); err != nil {
			return err
		}
		s.dirty = true
	}
	return nil
}

// rotateCredentials gives a restored world fresh admin credentials: only
// hashes were persisted, so the old secret and token cannot be handed out
// again. A new password is added to the admin app and a new Aiven token
// replaces the old one, as a user would rotate them.
func (s *Server) rotateCredentials() error {
	world := s.world
	now := s.clock.Now()
	admin := world.Applications[AdminAppObjectID]
	user := world.Aiven.Users[AivenUserEmail]
	if admin == nil || user == nil {
		return fmt.Errorf("sandbox: the saved world has no admin app %s or Aiven user %s", AdminAppObjectID, AivenUserEmail)
	}
	pc, secret := world.addPassword(now.Add(-world.Timing.SecretReplication.D()), admin, "sandbox admin (restart)", time.Time{})
	_ = pc
	token := newSecret() + newSecret()[:8]
	user.setToken(token)
	s.creds = Credentials{AivenToken: token, AivenUser: user.Email, TenantID: admin.TenantID,
		SubscriptionID: UserSubscriptionID, ClientID: admin.AppID, ClientSecret: secret}
	return nil
}

func (s *Server) markDirty() {
	s.persistMu.Lock()
	s.dirty = true
	s.persistMu.Unlock()
}

// startPersistence saves the world every half second while it changes.
func (s *Server) startPersistence() {
	if s.opts.StateDir == "" {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
				if err := s.save(); err != nil {
					s.log.Error("sandbox: save state", "err", err)
				}
			}
		}
	}()
}

// save writes the world when it changed (atomically, mode 0600).
func (s *Server) save() error {
	if s.opts.StateDir == "" {
		return nil
	}
	s.persistMu.Lock()
	dirty := s.dirty
	s.dirty = false
	s.persistMu.Unlock()
	if !dirty {
		return nil
	}
	data, err := s.Snapshot()
	if err != nil {
		return err
	}
	return writeFile0600(filepath.Join(s.opts.StateDir, stateFile), data)
}

// Snapshot is the whole world as JSON (what /_sandbox/state returns).
func (s *Server) Snapshot() ([]byte, error) {
	world, unlock := s.lock()
	defer unlock()
	world.SimTime = s.clock.Now()
	return json.MarshalIndent(world, "", "  ")
}

// writeFile0600 writes a file atomically with mode 0600: a temporary file
// in the same directory, fsynced, renamed into place, and then the
// directory fsynced, so that after a crash the file is either the old one
// or the new one, and the rename itself is not lost (rename(2) is durable
// only once its directory is; see fsync(2) on Linux: "Calling fsync() does
// not necessarily ensure that the entry in the directory containing the
// file has also reached disk. For that an explicit fsync() on a file
// descriptor for the directory is also needed."). The project's state
// package writes its run records the same way; the sandbox keeps its own
// copy because it imports nothing of the project.
func writeFile0600(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	renamed := false
	defer func() {
		if !renamed {
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	renamed = true
	return syncDir(dir)
}

// syncDir makes a directory's entries (a rename into it) durable. Windows
// cannot open a directory for syncing, and NTFS journals renames itself;
// some file systems refuse to sync a directory with EINVAL ("fd is bound
// to a special file which does not support synchronization", fsync(2)),
// which leaves nothing more to do. (EINVAL is matched as itself:
// syscall.Errno does not report it as os.ErrInvalid.)
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}
