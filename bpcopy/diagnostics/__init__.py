"""Diagnostics: watch a copy through its streams' events and keep its numbers.

Nothing here steers a copy: it listens, counts and reports.
"""
