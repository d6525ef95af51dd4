"""The product's faces: the advisor, its answer model, renderers, the Slack app, the CLI and the console."""
