"""Rendering of answers: Slack Block Kit (blocks.py), terminal text (text.py), and escaping (escape.py)."""
