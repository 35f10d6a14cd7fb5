"""Staff's decisions after grading (docs/batch.md, "A term as a TA"): adjustments with reasons, the late
policy, notes and triage flags, the history of each student's results, and similar submissions. Each
takes result records and returns result records; reports render them without knowing of a review."""
