"""Block Kit for every Slack surface: pure functions of the answer models; Slack's limits hold by construction."""
