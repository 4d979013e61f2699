// The Go-FTL2 state package, as its design document (the project's seed "Go-FTL2 state
// package") shows it: the code blocks of its sections "State Structure", "State Operations"
// (creating state, host operations, resource operations, persistence) and "File Backend", in
// that order and unchanged, under one package clause and one import block. "State Merging" is
// left out: it imports Go-FTL2's inventory package, which the document does not show.
// seed_missing.go declares the two types the blocks use but the document does not show.
package state

import (
    "encoding/json"
    "fmt"
    "os"
    "sync"
    "time"
)

// State holds all persistent state
type State struct {
    // File path for persistence
    path string

    // Host state
    hosts map[string]*HostState

    // Resource state (cloud instances, IPs, etc.)
    resources map[string]*ResourceState

    // Metadata
    metadata *Metadata

    // Concurrency
    mu sync.RWMutex

    // Backend
    backend Backend
}

// HostState tracks a provisioned host
type HostState struct {
    Name      string         `json:"name"`
    Address   string         `json:"address"`
    Port      int            `json:"port"`
    User      string         `json:"user"`
    Vars      map[string]any `json:"vars,omitempty"`
    Group     string         `json:"group,omitempty"`
    CreatedAt time.Time      `json:"created_at"`
    UpdatedAt time.Time      `json:"updated_at"`
}

// ResourceState tracks a provisioned resource
type ResourceState struct {
    Type      string         `json:"type"`      // e.g., "ec2_instance", "linode"
    ID        string         `json:"id"`        // Provider-specific ID
    Name      string         `json:"name"`      // Human-readable name
    Data      map[string]any `json:"data"`      // Resource-specific data
    Tags      map[string]string `json:"tags,omitempty"`
    CreatedAt time.Time      `json:"created_at"`
    UpdatedAt time.Time      `json:"updated_at"`
}

// Metadata contains state file metadata
type Metadata struct {
    Version   string    `json:"version"`
    CreatedAt time.Time `json:"created_at"`
    UpdatedAt time.Time `json:"updated_at"`
}

// New creates a new state instance
func New(path string, opts ...Option) (*State, error) {
    s := &State{
        path:      path,
        hosts:     make(map[string]*HostState),
        resources: make(map[string]*ResourceState),
        metadata: &Metadata{
            Version:   "1.0",
            CreatedAt: time.Now(),
            UpdatedAt: time.Now(),
        },
        backend: &FileBackend{path: path},
    }

    for _, opt := range opts {
        opt(s)
    }

    return s, nil
}

// Load reads state from the backend
func Load(path string) (*State, error) {
    s, err := New(path)
    if err != nil {
        return nil, err
    }

    if err := s.backend.Load(s); err != nil {
        if os.IsNotExist(err) {
            // New state file
            return s, nil
        }
        return nil, fmt.Errorf("failed to load state: %w", err)
    }

    return s, nil
}

// AddHost adds or updates a host in state
func (s *State) AddHost(host *HostState) error {
    s.mu.Lock()
    defer s.mu.Unlock()

    now := time.Now()

    if existing, ok := s.hosts[host.Name]; ok {
        // Update existing
        existing.Address = host.Address
        existing.Port = host.Port
        existing.User = host.User
        existing.Vars = host.Vars
        existing.Group = host.Group
        existing.UpdatedAt = now
    } else {
        // Add new
        host.CreatedAt = now
        host.UpdatedAt = now
        s.hosts[host.Name] = host
    }

    s.metadata.UpdatedAt = now

    // Persist immediately
    return s.save()
}

// GetHost retrieves a host by name
func (s *State) GetHost(name string) (*HostState, bool) {
    s.mu.RLock()
    defer s.mu.RUnlock()

    host, ok := s.hosts[name]
    return host, ok
}

// RemoveHost removes a host from state
func (s *State) RemoveHost(name string) error {
    s.mu.Lock()
    defer s.mu.Unlock()

    delete(s.hosts, name)
    s.metadata.UpdatedAt = time.Now()

    return s.save()
}

// HasHost returns true if the host exists in state
func (s *State) HasHost(name string) bool {
    s.mu.RLock()
    defer s.mu.RUnlock()

    _, ok := s.hosts[name]
    return ok
}

// AllHosts returns all hosts in state
func (s *State) AllHosts() []*HostState {
    s.mu.RLock()
    defer s.mu.RUnlock()

    hosts := make([]*HostState, 0, len(s.hosts))
    for _, h := range s.hosts {
        hosts = append(hosts, h)
    }
    return hosts
}

// AddResource adds or updates a resource in state
func (s *State) AddResource(key string, res *ResourceState) error {
    s.mu.Lock()
    defer s.mu.Unlock()

    now := time.Now()

    if existing, ok := s.resources[key]; ok {
        existing.Data = res.Data
        existing.Tags = res.Tags
        existing.UpdatedAt = now
    } else {
        res.CreatedAt = now
        res.UpdatedAt = now
        s.resources[key] = res
    }

    s.metadata.UpdatedAt = now
    return s.save()
}

// GetResource retrieves a resource by key
func (s *State) GetResource(key string) (*ResourceState, bool) {
    s.mu.RLock()
    defer s.mu.RUnlock()

    res, ok := s.resources[key]
    return res, ok
}

// RemoveResource removes a resource from state
func (s *State) RemoveResource(key string) error {
    s.mu.Lock()
    defer s.mu.Unlock()

    delete(s.resources, key)
    s.metadata.UpdatedAt = time.Now()

    return s.save()
}

// GetResourcesByType returns all resources of a given type
func (s *State) GetResourcesByType(resourceType string) []*ResourceState {
    s.mu.RLock()
    defer s.mu.RUnlock()

    var resources []*ResourceState
    for _, res := range s.resources {
        if res.Type == resourceType {
            resources = append(resources, res)
        }
    }
    return resources
}

// save writes state to the backend
func (s *State) save() error {
    return s.backend.Save(s)
}

// Save explicitly saves state (for manual control)
func (s *State) Save() error {
    s.mu.Lock()
    defer s.mu.Unlock()

    return s.save()
}

// FileBackend stores state in a JSON file
type FileBackend struct {
    path string
}

// stateFile is the serialization format
type stateFile struct {
    Metadata  *Metadata                 `json:"metadata"`
    Hosts     map[string]*HostState     `json:"hosts"`
    Resources map[string]*ResourceState `json:"resources"`
}

func (b *FileBackend) Load(s *State) error {
    data, err := os.ReadFile(b.path)
    if err != nil {
        return err
    }

    var sf stateFile
    if err := json.Unmarshal(data, &sf); err != nil {
        return fmt.Errorf("invalid state file: %w", err)
    }

    s.metadata = sf.Metadata
    s.hosts = sf.Hosts
    s.resources = sf.Resources

    if s.hosts == nil {
        s.hosts = make(map[string]*HostState)
    }
    if s.resources == nil {
        s.resources = make(map[string]*ResourceState)
    }

    return nil
}

func (b *FileBackend) Save(s *State) error {
    sf := stateFile{
        Metadata:  s.metadata,
        Hosts:     s.hosts,
        Resources: s.resources,
    }

    data, err := json.MarshalIndent(sf, "", "  ")
    if err != nil {
        return fmt.Errorf("failed to marshal state: %w", err)
    }

    // Write atomically
    tmpPath := b.path + ".tmp"
    if err := os.WriteFile(tmpPath, data, 0644); err != nil {
        return fmt.Errorf("failed to write state: %w", err)
    }

    if err := os.Rename(tmpPath, b.path); err != nil {
        return fmt.Errorf("failed to rename state file: %w", err)
    }

    return nil
}
