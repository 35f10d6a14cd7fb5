"""Reports: what people read (terminal scorecard; HTML, CSV and Gradescope files come later)."""
