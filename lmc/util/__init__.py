"""Plumbing every layer may use: atomic file writes and checkpoints (`io`), job logs
(`logs`), device choice and GPU locks (`devices`), where a result came from (`provenance`),
and digests of the library code a rule depends on (`code`). Imports nothing else of `lmc`."""
