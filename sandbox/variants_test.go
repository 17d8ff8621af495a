package sandbox_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/azpeer/azpeer/sandbox"
	"github.com/azpeer/azpeer/sandboxtest"
)

func TestVariantsAdminEndpoint(t *testing.T) {
	s := sandboxtest.Start(t, sandbox.Options{Variants: map[string]string{sandbox.VariantAivenStateInfo: "null-after-active"}})
	if got := s.Variants()[sandbox.VariantAivenStateInfo]; got != "null-after-active" {
		t.Errorf("Options.Variants: %s", got)
	}
	if got := s.Variants()[sandbox.VariantAivenDuplicateCreate]; got != sandbox.AllVariants()[0].Values[0].Name {
		t.Errorf("an unset variant is %q, want its first value", got)
	}
	do := func(method, body string) (int, map[string]any) {
		t.Helper()
		code, b := adminDo(t, s, method, "/_sandbox/variants", s.Credentials().AivenToken, body)
		var v map[string]any
		if err := json.Unmarshal([]byte(b), &v); err != nil {
			t.Fatalf("%s: %d, body is not JSON: %v", method, code, err)
		}
		return code, v
	}
	if code, v := do(http.MethodPut, `{"aiven-duplicate-create":"existing"}`); code != 200 || v["current"].(map[string]any)["aiven-duplicate-create"] != "existing" {
		t.Errorf("PUT: %d %v", code, v)
	}
	if code, v := do(http.MethodPut, `{"aiven-duplicate-create":"revive"}`); code != 400 || !strings.Contains(v["message"].(string), "no value") {
		t.Errorf("PUT of an unknown value: %d %v", code, v)
	}
	if code, v := do(http.MethodGet, ""); code != 200 || len(v["variants"].([]any)) != len(sandbox.AllVariants()) {
		t.Errorf("GET: %d %v", code, v)
	}
	if _, err := sandbox.New(sandbox.Options{Variants: map[string]string{"nope": "x"}}); err == nil {
		t.Error("an unknown variant was accepted")
	}
}

func TestVariantsEnv(t *testing.T) {
	t.Setenv(sandbox.VariantsEnv, "aiven-state-info=null-after-active, aiven-duplicate-create=existing")
	s, err := sandbox.New(sandbox.Options{Variants: map[string]string{sandbox.VariantAivenDuplicateCreate: "conflict"}})
	if err != nil {
		t.Fatal(err)
	}
	if v := s.Variants(); v[sandbox.VariantAivenStateInfo] != "null-after-active" || v[sandbox.VariantAivenDuplicateCreate] != "conflict" {
		t.Errorf("variants = %v, want the environment's, Options winning", v)
	}
	t.Setenv(sandbox.VariantsEnv, "aiven-state-info=sometimes")
	if _, err := sandbox.New(sandbox.Options{}); err == nil || !strings.Contains(err.Error(), sandbox.VariantsEnv) {
		t.Errorf("an unknown value in the environment: %v", err)
	}
}
