"""Integration tests: real servers and processes on 127.0.0.1."""
