"""Peer runners: each peer is installed into and benchmarked from its own virtualenv."""
