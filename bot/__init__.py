"""Wiring and transport: the only package that knows about chat platforms."""
