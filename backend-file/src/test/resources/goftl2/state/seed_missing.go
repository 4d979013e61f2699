package state

// Backend is what State.backend holds; the seed uses it (FileBackend implements it) without
// showing its declaration.
type Backend interface {
	Load(s *State) error
	Save(s *State) error
}

// Option configures a State in New; the seed uses it without showing its declaration.
type Option func(*State)
