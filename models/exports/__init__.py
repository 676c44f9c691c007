"""Workbooks and charts people take away."""
