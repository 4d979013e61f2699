package state

import (
	"fmt"
	"time"
)

// Dump describes everything this State read, for the test that checks what Go reads of a file
// infrastate wrote: every field, each var's and data value's Go type, times in UTC.
func (s *State) Dump() map[string]any {
	s.mu.RLock()
	defer s.mu.RUnlock()
	hosts := map[string]any{}
	for k, h := range s.hosts {
		hosts[k] = map[string]any{
			"name": h.Name, "address": h.Address, "port": h.Port, "user": h.User, "group": h.Group,
			"vars": typed(h.Vars), "created_at": utc(h.CreatedAt), "updated_at": utc(h.UpdatedAt),
		}
	}
	resources := map[string]any{}
	for k, r := range s.resources {
		resources[k] = map[string]any{
			"type": r.Type, "id": r.ID, "name": r.Name, "data": typed(r.Data), "tags": r.Tags,
			"created_at": utc(r.CreatedAt), "updated_at": utc(r.UpdatedAt),
		}
	}
	meta := map[string]any{}
	if s.metadata != nil {
		meta = map[string]any{"version": s.metadata.Version, "created_at": utc(s.metadata.CreatedAt), "updated_at": utc(s.metadata.UpdatedAt)}
	}
	return map[string]any{"metadata": meta, "hosts": hosts, "resources": resources}
}

func typed(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = map[string]any{"type": fmt.Sprintf("%T", v), "value": v}
	}
	return out
}

func utc(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}
