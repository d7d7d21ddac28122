"""Rendering: turn a copy's records and summary into text, tables, charts and pages.

Renderers receive numbers; they never touch streams.
"""
