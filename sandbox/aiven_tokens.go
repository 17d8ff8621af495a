package sandbox

import (
	"crypto/subtle"
	"net/http"
)

// Aiven API tokens: each sandbox user has one, named in Aiven's token list by
// its prefix, and revoking it is how tests make a run lose its Aiven
// credential half-way.
//
// Sources: go-client-codegen v0.238.0 handler/user/user.go (the handler is
// UserHandler, not a separate accesstoken package):
//
//	AccessTokenRevoke: DELETE /v1/access_token/{token_prefix}, the prefix
//	url.PathEscape'd; the answer body is discarded.
//	TokenOut.TokenPrefix: "First characters of the actual token value ...
//	This value is used when updating or revoking tokens."
//	AccessTokenCreateOut.FullToken: "... This can also be used to update or
//	revoke tokens."
//
// and aiven/aiven-client aiven/client/cli.py: `avn user access-token revoke`
// takes "The full token or token prefix identifying the token to revoke", and
// `avn user logout` revokes the token it is logged in with by passing the
// full token as token_prefix.

// aivenTokenPrefixLen is how many leading characters of a token Aiven shows as
// its token_prefix. Codegen does not say; the example in Aiven's CLI docs
// (https://aiven.io/docs/tools/cli/user/user-access-token) lists the prefix
// "6JsKDclT3OMQ" for the full token "6JsKDclT3OMQd1V2Fl2...RaraBPg==", and
// "XCJ3+bgWywIh" for another: twelve characters both.
const aivenTokenPrefixLen = 12

// aivenTokenPrefix is the token_prefix Aiven would list for a token.
func aivenTokenPrefix(token string) string {
	if len(token) <= aivenTokenPrefixLen {
		return token
	}
	return token[:aivenTokenPrefixLen]
}

// setToken gives the user a new, valid token (persisted as its hash and prefix).
func (u *AivenUser) setToken(token string) {
	u.TokenSHA256 = sha256Hex(token)
	u.TokenPrefix = aivenTokenPrefix(token)
	u.TokenRevoked = false
}

// namesToken reports whether key names the user's token: its token_prefix
// or the full token, the two forms the revoke endpoint takes.
func (u *AivenUser) namesToken(key string) bool {
	if key == "" {
		return false
	}
	if u.TokenPrefix != "" && subtle.ConstantTimeCompare([]byte(key), []byte(u.TokenPrefix)) == 1 {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(sha256Hex(key)), []byte(u.TokenSHA256)) == 1
}

// aivenAccessTokenRevoke answers DELETE /v1/access_token/{token_prefix}. The
// token list is the caller's own, so only the caller's token can be named;
// revoking the token of the request itself is what `avn user logout` does,
// and the answer still arrives. From then on the token is answered like
// any unknown one (variant aiven-invalid-token: 403 "Invalid token" or 401
// "Missing (expired) db token").
//
// Neither the success body nor the answer for a prefix that names no token
// is in codegen (it discards the body) or the CLI; both texts here are the
// sandbox's own, in Aiven's shapes (a "message", and the error shape of
// aivenError).
func (s *Server) aivenAccessTokenRevoke(q *aivenRequest) {
	if !q.user.namesToken(q.params[0]) {
		aivenError(q.w, http.StatusNotFound, "Access token not found", aivenCodeTokenNotFound)
		return
	}
	q.user.TokenRevoked = true
	writeJSON(q.w, http.StatusOK, map[string]any{"message": "Access token revoked"})
}

// RevokeAivenToken revokes an Aiven API token, as its user would in Aiven's
// console, so tests can take a credential away mid-run. It reports whether
// the token was a valid one.
func (s *Server) RevokeAivenToken(token string) bool {
	world, unlock := s.lock()
	defer unlock()
	u := world.aivenUserByToken("aivenv1 " + token)
	if u == nil {
		return false
	}
	u.TokenRevoked = true
	s.markDirty()
	return true
}
