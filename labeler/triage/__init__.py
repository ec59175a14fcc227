"""Triage: capture events, PII detection, sampling, and building and importing bundles."""
