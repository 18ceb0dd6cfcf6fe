"""Integration tests of the embedded API server (real processes on 127.0.0.1)."""
