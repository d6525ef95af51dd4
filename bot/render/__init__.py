"""Renderers: one Answer, shown as Slack Block Kit (blocks.py) or terminal text (text.py)."""
