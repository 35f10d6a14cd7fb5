"""Evidence about what a submission did: account snapshots (and the run record from execution)."""
