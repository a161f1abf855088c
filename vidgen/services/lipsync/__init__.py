"""Lip sync: the mouths of the faces that speak move with their lines (issue 15)."""
