"""The Slack app: Bolt wiring (app.py) and thin listeners by Slack surface (listeners/)."""
