"""Thin I/O edges of the proxy-server: gRPC agent and frontend streams, HTTP CONNECT."""
