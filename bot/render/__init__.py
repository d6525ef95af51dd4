"""Renderers: the answer models as Slack Block Kit (slack/) or terminal text (terminal/); no logic of their own."""
