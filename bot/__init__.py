"""The product: the answering engine, the models it answers with, the renderers and the faces (Slack, CLI)."""
