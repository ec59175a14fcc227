"""The demo: synthetic events, a simulated team and eval, built through the real paths."""
