package sandbox

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"sync"
	"time"
)

// CA is the sandbox's certificate authority. It signs the leaf for the
// loopback address at start, and leaves for the real cloud host names on
// demand in proxy mode. Clients trust its PEM explicitly; nothing ever
// skips certificate verification.
type CA struct {
	cert    *x509.Certificate
	key     crypto.Signer
	certPEM []byte

	mu     sync.Mutex
	leaves map[string]*tls.Certificate
	// projects are the Aiven projects' CAs (projectCA), by project name.
	projects map[string]*CA
}

func newCA() (*CA, error) {
	key, tmpl, err := newCertificate(pkix.Name{CommonName: "azpeer sandbox CA", Organization: []string{"azpeer sandbox"}}, 5*365*24*time.Hour)
	if err != nil {
		return nil, err
	}
	tmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	tmpl.BasicConstraintsValid, tmpl.IsCA, tmpl.MaxPathLenZero = true, true, true
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &CA{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		leaves: map[string]*tls.Certificate{}}, nil
}

// loadCA restores a CA persisted with marshal.
func loadCA(certPEM, keyPEM []byte) (*CA, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, fmt.Errorf("sandbox CA files are not PEM")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, err
	}
	return &CA{cert: cert, key: key, certPEM: certPEM, leaves: map[string]*tls.Certificate{}}, nil
}

// keyPEM returns the CA key, for persistence in a --state-dir (mode 0600).
func (ca *CA) keyPEM() ([]byte, error) {
	k, ok := ca.key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("sandbox: only the sandbox's own CA is persisted")
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

// CertPEM is the CA certificate, for clients to trust.
func (ca *CA) CertPEM() []byte { return ca.certPEM }

// Pool is a cert pool holding only the CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// leaf returns (and caches) a certificate for a host name or IP address.
func (ca *CA) leaf(host string) (*tls.Certificate, error) {
	return ca.leafFor(host, 365*24*time.Hour)
}

// leafFor returns (and caches) a certificate for host names (or an IP
// address) that ends after lifetime from now; a negative lifetime makes
// one that has already expired.
func (ca *CA) leafFor(hosts string, lifetime time.Duration, more ...string) (*tls.Certificate, error) {
	cacheKey := fmt.Sprint(hosts, more, lifetime)
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if c, ok := ca.leaves[cacheKey]; ok {
		return c, nil
	}
	key, tmpl, err := newCertificate(pkix.Name{CommonName: hosts}, lifetime)
	if err != nil {
		return nil, err
	}
	if lifetime < 0 {
		tmpl.NotBefore = tmpl.NotAfter.Add(-365 * 24 * time.Hour)
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	if ip := net.ParseIP(hosts); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = append([]string{hosts}, more...)
	}
	if hosts == "127.0.0.1" || hosts == "localhost" || hosts == "::1" {
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
		tmpl.DNSNames = []string{"localhost"}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, err
	}
	c := &tls.Certificate{Certificate: [][]byte{der, ca.cert.Raw}, PrivateKey: key}
	ca.leaves[cacheKey] = c
	return c, nil
}

// projectCA is an Aiven project's own CA. "Every Aiven project has its
// own private Certificate Authority (CA)", "All the services in a project
// share the same Certificate Authority (CA)", and PostgreSQL clients need
// it for sslmode verify-ca and verify-full (aiven.io/docs/platform/
// concepts/tls-ssl-certificates). It is derived from the sandbox CA's
// key and the project's name (an Ed25519 key from an HMAC of both, the
// certificate's dates the sandbox CA's), so it is the same certificate
// after a restart with --state-dir, which persists only the sandbox CA,
// and GET /v1/project/{project}/kms/ca answers the same PEM. The subject
// is the sandbox's own: no public source gives an Aiven project CA's.
func (ca *CA) projectCA(project string) (*CA, error) {
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if p, ok := ca.projects[project]; ok {
		return p, nil
	}
	root, err := ca.keyPEM()
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, root)
	mac.Write([]byte("aiven project CA\x00" + project))
	seed := mac.Sum(nil)
	key := ed25519.NewKeyFromSeed(seed)
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).SetBytes(seed[:15]),
		Subject:      pkix.Name{CommonName: project + " Project CA", Organization: []string{"azpeer sandbox Aiven"}},
		NotBefore:    ca.cert.NotBefore, NotAfter: ca.cert.NotAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true, IsCA: true, MaxPathLenZero: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	if ca.projects == nil {
		ca.projects = map[string]*CA{}
	}
	p := &CA{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), leaves: map[string]*tls.Certificate{}}
	ca.projects[project] = p
	return p, nil
}

// selfSigned is a certificate for host that no CA signed: what a
// TLS-intercepting middlebox, or another server at the address, presents.
func selfSigned(host string) (*tls.Certificate, error) {
	key, tmpl, err := newCertificate(pkix.Name{CommonName: host, Organization: []string{"intercepting proxy"}}, 365*24*time.Hour)
	if err != nil {
		return nil, err
	}
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign
	tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	tmpl.DNSNames = []string{host}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// newCertificate makes a P-256 key and a certificate template for it with
// a random serial, valid from an hour ago (for clocks slightly behind) for
// lifetime; the caller sets the usages.
func newCertificate(subject pkix.Name, lifetime time.Duration) (*ecdsa.PrivateKey, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	return key, &x509.Certificate{SerialNumber: serial, Subject: subject, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(lifetime)}, nil
}
