package plan

// WriteKind is one kind of change a plan makes to the cluster.
type WriteKind string

const (
	WriteAdopt         WriteKind = "adopt"          // Name: an orphan ReplicaSet
	WriteRelease       WriteKind = "release"        // the routing the spec dropped, back to stable
	WriteWeight        WriteKind = "weight"         // Traffic's weight (and subsets)
	WriteRoutes        WriteKind = "routes"         // Traffic's managed routes
	WriteCreate        WriteKind = "create"         // Create
	WriteRenumber      WriteKind = "renumber"       // Name: a ReplicaSet of Renumber
	WriteMetadata      WriteKind = "metadata"       // Name: a ReplicaSet of Metadata
	WriteSelector      WriteKind = "selector"       // Name: a Service of Selectors
	WriteScale         WriteKind = "scale"          // Name: a ReplicaSet of Scale
	WriteWorkload      WriteKind = "workload"       // Name: the workloadRef Deployment
	WriteEvict         WriteKind = "evict"          // Name: a pod
	WriteDelete        WriteKind = "delete"         // Name: an old ReplicaSet
	WriteStartRun      WriteKind = "start-run"      // Index: of StartRuns
	WriteTerminateRun  WriteKind = "terminate-run"  // Name: a run
	WriteDeleteRun     WriteKind = "delete-run"     // Name: a run
	WriteDeleteIngress WriteKind = "delete-ingress" // Name: a canary Ingress
)

// Write is one change of a plan: one API call (or a router's few) the controller makes.
type Write struct {
	Kind  WriteKind
	Name  string
	Index int
}

// Writes are the plan's changes in the order the controller makes them, the status write
// (last) aside. The order keeps traffic safe at every point a crash could stop it: orphans
// adopted; routing the spec dropped back to stable, then the weight (an abort's return to
// stable is the most urgent write) and the managed routes; a new ReplicaSet; Service
// selectors (they only move to pods already available, so no Service is left selecting only
// pods that go away); scale-downs, then scale-ups (no prefix runs more pods than maxSurge
// allows); the workloadRef Deployment; evictions; clean-up.
func (p Plan) Writes() []Write {
	var out []Write
	add := func(k WriteKind, names ...string) {
		for _, n := range names {
			out = append(out, Write{Kind: k, Name: n})
		}
	}
	add(WriteAdopt, p.Adopt...)
	if p.Release != nil {
		add(WriteRelease, "")
	}
	if p.Traffic != nil {
		add(WriteWeight, "")
		add(WriteRoutes, "")
	}
	if p.Create != nil {
		add(WriteCreate, p.Create.Name)
	}
	add(WriteRenumber, sortedKeys(p.Renumber)...)
	add(WriteMetadata, sortedKeys(p.Metadata)...)
	add(WriteSelector, sortedKeys(p.Selectors)...)
	for _, shrinking := range []bool{true, false} {
		for _, name := range sortedKeys(p.Scale) {
			if p.Shrink[name] == shrinking {
				add(WriteScale, name)
			}
		}
	}
	if p.Workload != nil {
		// after the Rollout's own scale-ups: it is sized by pods already available
		add(WriteWorkload, p.Workload.Name)
	}
	add(WriteEvict, p.Evict...)
	add(WriteDelete, p.Delete...)
	for i := range p.StartRuns {
		out = append(out, Write{Kind: WriteStartRun, Index: i})
	}
	add(WriteTerminateRun, p.TerminateRuns...)
	add(WriteDeleteRun, p.DeleteRuns...)
	add(WriteDeleteIngress, p.DeleteIngresses...)
	return out
}
