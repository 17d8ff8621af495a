package sandbox

import "github.com/google/uuid"

// newGUID returns a random lower-case GUID, as Azure uses for object ids.
func newGUID() string { return uuid.NewString() }
